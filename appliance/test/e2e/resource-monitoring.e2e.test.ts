// Resource monitoring end to end in namespaces: httpd killed on the holder is restarted; broken for good it moves to srv6; broken there too it stays stopped, never bouncing.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { breakHttpd, httpCheckLines, killHttpd, ServiceSampler, setUpSeedPair, vipHolders } from "../../../scripts/lab/seed-pair";
import { MAIN_JS, membership, statusSeen, waitFor } from "../../../scripts/lab/lab-daemon";

const isRoot = process.getuid?.() === 0;

/** From `from` on: when the client was last without an answer before reading `page` again, and for how long it had none. */
function outageAfter(sampler: ServiceSampler, from: number, page: string): { servedAgainAt: number; firstMissAt: number | undefined } {
  const after = sampler.samples.filter((s) => s.atMs >= from);
  const firstMiss = after.find((s) => s.page !== page);
  const servedAgain = firstMiss ? after.find((s) => s.atMs > firstMiss.atMs && s.page === page) : undefined;
  return { servedAgainAt: servedAgain?.atMs ?? Number.NaN, firstMissAt: firstMiss?.atMs };
}

describe("resource monitoring in the seed's pair", { skip: !isRoot && "needs root for network namespaces" }, () => {
  it("restarts a killed httpd in place, moves the group when httpd cannot start, and keeps it stopped when both nodes fail", async () => {
    const work = mkdtempSync(join(tmpdir(), "tb-e2e-mon-"));
    try {
      await NetnsLab.withLab(
        async (lab) => {
          // The notify hook records `GROUP STATE NODE` per node.
          const notify = join(work, "notify.sh");
          writeFileSync(notify, `#!/bin/sh\necho "$1 $2 $3" >> "${work}/notify.log"\n`);
          chmodSync(notify, 0o755);
          const pair = await setUpSeedPair(lab, work, { autoFailback: "on", twinbeatCf: () => [...httpCheckLines("198.51.100.100"), `notify ${notify}`] });
          const srv5 = pair.start("srv5");
          const srv6 = pair.start("srv6");
          const sampler = new ServiceSampler(lab, pair.vip, 50);
          const logs = () => `\n--- srv5\n${lab.outputOf(srv5.proc).slice(-3000)}\n--- srv6\n${lab.outputOf(srv6.proc).slice(-3000)}`;
          try {
            await sampler.waitForPage("NodeA", 15_000);
            await waitFor("both active", async () => (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "active", 5000);
            await new Promise((r) => setTimeout(r, 2000));

            // 1. A real service crash: httpd killed on the holder. Restarted in place.
            const crashAt = sampler.now();
            killHttpd(pair, "srv5");
            await sampler.waitForPage("-", 3000).catch(() => undefined);
            await sampler.waitForPage("NodeA", 5000).catch((e: Error) => assert.fail(e.message + logs()));
            const restart = outageAfter(sampler, crashAt, "NodeA");
            const restartMs = restart.servedAgainAt - crashAt;
            process.stdout.write(`# REFERENCE monitor.restart.crash_to_served_ms ${restartMs}\n`);
            assert.ok(restartMs <= 3000, `served again ${restartMs} ms after the crash${logs()}`);
            assert.deepEqual(await vipHolders(lab, pair.vip), ["srv5"]);
            assert.match(lab.outputOf(srv5.proc), /Restarting resource httpd of group/);
            const m5 = (await membership(srv5))!.monitors![0]!;
            assert.equal(m5.failures, 1);

            // 2. Broken for good on srv5: its document root is gone, so httpd cannot start. The group moves.
            await new Promise((r) => setTimeout(r, 1500));
            breakHttpd(pair, "srv5");
            const breakAt = sampler.now();
            killHttpd(pair, "srv5");
            const nodeBAt = await sampler.waitForPage("NodeB", 10_000).catch((e: Error) => assert.fail(e.message + logs()));
            const moveMs = nodeBAt - breakAt;
            process.stdout.write(`# REFERENCE monitor.failover.crash_to_served_ms ${moveMs}\n`);
            assert.ok(moveMs <= 5000, `NodeB served ${moveMs} ms after the crash${logs()}`);
            await waitFor("only srv6 holds the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv6", 3000);
            assert.match(lab.outputOf(srv5.proc), /Moving resource group .* to the peer/);
            assert.equal((await membership(srv5))!.monitors![0]!.refusing, true);
            await waitFor(
              "the notify hook's FAILED",
              () => existsSync(join(work, "notify.log")) && /IPaddr::198\.51\.100\.100\/32 FAILED srv5/.test(readFileSync(join(work, "notify.log"), "utf8")),
              3000,
            );

            // 3. Broken on srv6 too: stopped there (srv6 has fewer failures), reported, never bouncing back to srv5.
            await new Promise((r) => setTimeout(r, 1500));
            breakHttpd(pair, "srv6");
            const bothAt = sampler.now();
            killHttpd(pair, "srv6");
            await waitFor("srv6 to stop the group", async () => (await membership(srv6))?.monitors?.[0]?.phase === "stopped", 10_000).catch((e: Error) =>
              assert.fail(e.message + logs()),
            );
            await new Promise((r) => setTimeout(r, 5000));
            const later = sampler.samples.filter((s) => s.atMs > bothAt + 3000);
            assert.ok(later.length >= 5, `only ${later.length} samples`); // an unanswered request takes its 400 ms timeout
            assert.ok(
              later.every((s) => s.holders.length === 0 && s.page === "-"),
              `the group came back somewhere: ${JSON.stringify(later.filter((s) => s.holders.length > 0).slice(0, 3))}`,
            );
            assert.ok(
              sampler.samples.filter((s) => s.atMs > bothAt).every((s) => !s.holders.includes("srv5")),
              "never back on srv5",
            );
            assert.match(lab.outputOf(srv6.proc), /fails on both nodes/);
            const m6 = (await membership(srv6))!.monitors![0]!;
            const text = execFileSync(process.execPath, [MAIN_JS, "status", "--run-dir", srv6.runDir], { encoding: "utf8" });
            assert.match(
              text,
              /group IPaddr::198\.51\.100\.100\/32: stopped, 1 failure\(s\) of 3, refused here until the failures expire; peer: 2 failure\(s\)/,
              text,
            );
            assert.match(text, /failing httpd http:\/\/198\.51\.100\.100\/ /, text);
            assert.ok(m6.failures < (await membership(srv5))!.monitors![0]!.failures, "stopped on the node with fewer failures");
          } finally {
            await sampler.stop();
          }
          assert.ok(sampler.longestDoubleHoldingMs() <= 300, `two holders for ${sampler.longestDoubleHoldingMs()} ms`);
        },
        { deadlineMs: 120_000 },
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
