// Reload in namespaces: `heartbeat -r` / SIGHUP during steady state, a key rotation node by node, logrotate + SIGHUP.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { ServiceSampler, setUpSeedPair, vipHolders, type SeedPair } from "../../../scripts/lab/seed-pair";
import { statusSeen, twinbeatArgv, waitFor } from "../../../scripts/lab/lab-daemon";
import type { SeedNodeKey } from "../../../scripts/lab/seed-topology";

const isRoot = process.getuid?.() === 0;

async function withWork<T>(fn: (work: string) => Promise<T>): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), "tb-e2e-reload-"));
  try {
    return await fn(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `heartbeat -r` for one node, as an operator would type it. */
function reloadCli(pair: SeedPair, node: SeedNodeKey): { status: number | null; stderr: string } {
  const n = pair.nodes[node]!;
  const argv = twinbeatArgv();
  const r = spawnSync(
    argv[0]!,
    [...argv.slice(1), "heartbeat", "-r", "--config-dir", pair.cfg.dirs[node], "--run-dir", n.runDir, "--node-name", pair.cfg.nodeNames[node]],
    { encoding: "utf8", timeout: 20_000 },
  );
  return { status: r.status, stderr: r.stderr };
}

/** How much each daemon has written so far (disturbances are looked for after it). */
function outputMarks(pair: SeedPair): Record<SeedNodeKey, number> {
  return { srv5: pair.lab.outputOf(pair.nodes.srv5!.proc).length, srv6: pair.lab.outputOf(pair.nodes.srv6!.proc).length };
}

/** Lines written since `marks` that would mean a failover or a missed heartbeat. */
function disturbances(pair: SeedPair, marks: Record<SeedNodeKey, number>): string[] {
  const out: string[] = [];
  for (const node of ["srv5", "srv6"] as const) {
    const text = pair.lab.outputOf(pair.nodes[node]!.proc).slice(marks[node]);
    for (const line of text.split("\n"))
      if (/is dead|Late heartbeat|Resources being acquired|giving up|returning after partition|Cannot|not valid/.test(line)) out.push(`${node}: ${line}`);
  }
  return out;
}

async function steadyPair(lab: NetnsLab, work: string): Promise<{ pair: SeedPair; sampler: ServiceSampler }> {
  const pair = await setUpSeedPair(lab, work, { autoFailback: "on", nodeNames: "short" });
  const srv5 = pair.start("srv5");
  const srv6 = pair.start("srv6");
  const sampler = new ServiceSampler(lab, pair.vip, 100);
  await sampler.waitForPage("NodeA", 15_000);
  await waitFor(
    "both active",
    async () => (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "active" && (await statusSeen(srv5, pair.cfg.nodeNames.srv6)) === "active",
    10_000,
  );
  await new Promise((r) => setTimeout(r, 5500)); // past the start-up dt grace
  return { pair, sampler };
}

function assertServedByPrimaryThroughout(sampler: ServiceSampler, fromMs: number, pair: SeedPair): void {
  const after = sampler.samples.filter((s) => s.atMs >= fromMs);
  const bad = after.filter((s) => s.holders.join() !== "srv5" || s.page !== "NodeA");
  assert.deepEqual(
    bad,
    [],
    `the VIP left srv5 or the page changed:\n${pair.lab.outputOf(pair.nodes.srv5!.proc).slice(-2500)}\n${pair.lab.outputOf(pair.nodes.srv6!.proc).slice(-2500)}`,
  );
  assert.ok(after.length >= 20, `${after.length} samples`);
}

describe("reload in the lab", { skip: !isRoot && "needs root for network namespaces" }, () => {
  it("heartbeat -r and SIGHUP during steady state keep the VIP, with no failover on either node; a bad file is refused; logrotate + SIGHUP reopens the log", async () => {
    await withWork((work) =>
      NetnsLab.withLab(
        async (lab) => {
          const { pair, sampler } = await steadyPair(lab, work);
          try {
            const from = sampler.now();
            const marks = outputMarks(pair);
            // Timings changed on both, one after the other, through `heartbeat -r`.
            for (const node of ["srv5", "srv6"] as const) {
              const haCf = join(pair.cfg.dirs[node], "ha.cf");
              writeFileSync(haCf, readFileSync(haCf, "utf8").replace(/^warntime .*$/m, "warntime 600ms"));
              const r = reloadCli(pair, node);
              assert.equal(r.status, 0, r.stderr);
              await waitFor(`${node} reloaded`, () => /Configuration reloaded: timings changed/.test(lab.outputOf(pair.nodes[node]!.proc)), 5000);
              await new Promise((r2) => setTimeout(r2, 1000));
            }
            // An invalid ha.cf: `heartbeat -r` refuses it (path:line, exit 1) and the daemon is not disturbed.
            const haCf5 = join(pair.cfg.dirs.srv5, "ha.cf");
            const good = readFileSync(haCf5, "utf8");
            writeFileSync(haCf5, good + "deadtime banana\n");
            const bad = reloadCli(pair, "srv5");
            assert.equal(bad.status, 1);
            assert.match(bad.stderr, /ha\.cf:\d+: /);
            // The same file by SIGHUP: logged with its findings, the running configuration kept.
            process.kill(pair.nodes.srv5!.proc.pid!, "SIGHUP");
            await waitFor("srv5 refused the bad file", () => /not valid: keeping the running one/.test(lab.outputOf(pair.nodes.srv5!.proc)), 5000);
            writeFileSync(haCf5, good);
            // logrotate: rename the log, then SIGHUP (its postrotate): the daemon writes to a new file.
            const logDir = pair.cfg.logDirs.srv6!;
            const log = join(logDir, "ha-log");
            await waitFor("srv6 logs to its logfile", () => existsSync(log) && readFileSync(log, "utf8").length > 0, 5000);
            renameSync(log, `${log}.1`);
            const rotatedSize = readFileSync(`${log}.1`, "utf8").length;
            process.kill(pair.nodes.srv6!.proc.pid!, "SIGHUP");
            await waitFor("a new ha-log", () => existsSync(log) && /Re-reading the configuration/.test(readFileSync(log, "utf8")), 5000);
            await new Promise((r) => setTimeout(r, 2000));
            const rotated = readFileSync(`${log}.1`, "utf8");
            assert.doesNotMatch(rotated.slice(rotatedSize), /Configuration unchanged/, "nothing after the reopen went to the renamed file");
            assertServedByPrimaryThroughout(sampler, from, pair);
            assert.deepEqual(
              disturbances(pair, marks).filter((l) => !/not valid|ha\.cf:/.test(l)),
              [],
            );
            assert.deepEqual(await vipHolders(lab, pair.vip), ["srv5"]);
          } finally {
            await sampler.stop();
          }
        },
        { deadlineMs: 120_000 },
      ),
    );
  });

  it("a key rotation done on both nodes one after the other never breaks the pair", async () => {
    await withWork((work) =>
      NetnsLab.withLab(
        async (lab) => {
          const { pair, sampler } = await steadyPair(lab, work);
          try {
            const from = sampler.now();
            const marks = outputMarks(pair);
            const steps = [
              "auth 1\n1 crc\n2 sha1 rotated-secret\n", // accept the new key everywhere first
              "auth 2\n1 crc\n2 sha1 rotated-secret\n", // then sign with it
              "auth 2\n2 sha1 rotated-secret\n", // then forget the old one
            ];
            for (const text of steps) {
              for (const node of ["srv5", "srv6"] as const) {
                const path = join(pair.cfg.dirs[node], "authkeys");
                writeFileSync(path, text, { mode: 0o600 });
                const r = reloadCli(pair, node);
                assert.equal(r.status, 0, r.stderr);
                await waitFor(
                  `${node} took the new keys`,
                  () => (lab.outputOf(pair.nodes[node]!.proc).match(/Configuration reloaded: authkeys changed/g) ?? []).length === steps.indexOf(text) + 1,
                  5000,
                );
                // Longer than deadtime between the two nodes: a mismatch would show as a dead peer.
                await new Promise((r2) => setTimeout(r2, 1500));
              }
            }
            await new Promise((r) => setTimeout(r, 2000));
            assert.equal(await statusSeen(pair.nodes.srv6!, pair.cfg.nodeNames.srv5), "active");
            assert.equal(await statusSeen(pair.nodes.srv5!, pair.cfg.nodeNames.srv6), "active");
            assertServedByPrimaryThroughout(sampler, from, pair);
            assert.deepEqual(disturbances(pair, marks), []);
          } finally {
            await sampler.stop();
          }
        },
        { deadlineMs: 120_000 },
      ),
    );
  });
});
