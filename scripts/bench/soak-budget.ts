// The fastest safe budget: a Twinbeat pair on two media soaks with 20 % loss on one link and both cores busy; false failovers per keepalive/deadtime.
// Usage (root): node .out/scripts/bench/soak-budget.js [--minutes 5] [--budgets 200/1000,100/500,50/250,25/100] [--loss 20] [--no-stress] [--out DIR]

import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { NetnsLab } from "../lab/netns-lab";
import { buildSeedTopology, LAB_ADDR, writeSeedConfigs } from "../lab/seed-topology";
import { startNode, statusSeen, waitFor, type RunningNode } from "../lab/lab-daemon";
import { ServicePoller } from "./service-poller";
import { HTTPD_SCRIPT } from "../lab/seed-pair";

export interface SoakResult {
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
  readonly minutes: number;
  readonly lossPercent: number;
  readonly stress: boolean;
  /** "node srvN: is dead" (the peer) declared by either daemon during the soak: each is a false failover (nothing failed). */
  readonly falseDeadDeclarations: number;
  /** How often the page the client got changed node (a VIP move). */
  readonly vipMoves: number;
  readonly longestOutageMs: number;
  readonly lateHeartbeatWarnings: number;
  readonly error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts matches of `re` in everything a process writes from now on. */
function counter(node: RunningNode, re: RegExp): () => number {
  let n = 0;
  let tail = "";
  const on = (d: Buffer) => {
    const text = tail + d.toString("utf8");
    const lines = text.split("\n");
    tail = lines.pop() ?? "";
    for (const l of lines) if (re.test(l)) n++;
  };
  node.proc.stdout?.on("data", on);
  node.proc.stderr?.on("data", on);
  return () => n;
}

export async function soakOnce(keepaliveMs: number, deadtimeMs: number, minutes: number, lossPercent: number, stress: boolean): Promise<SoakResult> {
  const work = mkdtempSync(join(tmpdir(), "tb-soak-"));
  const base = { keepaliveMs, deadtimeMs, minutes, lossPercent, stress };
  try {
    return await NetnsLab.withLab(
      async (lab) => {
        await buildSeedTopology(lab, { nodeNames: "short" });
        const cfg = writeSeedConfigs(join(work, "etc"), {
          nodeNames: "short",
          haCfOverrides: {
            keepalive: `${keepaliveMs}ms`,
            deadtime: `${deadtimeMs}ms`,
            warntime: `${Math.max(keepaliveMs, Math.round(deadtimeMs / 2))}ms`,
            initdead: `${Math.max(3000, 2 * deadtimeMs)}ms`,
            auto_failback: "on",
            respawn: "root /usr/libexec/heartbeat/ipfail",
          },
          extraHaCf: ["bcast eth0"],
        });
        // The service the client reads: httpd moves with the VIP, as in the bench.
        for (const node of ["srv5", "srv6"] as const) {
          const dir = cfg.dirs[node];
          writeFileSync(join(dir, "haresources"), `srv5 IPaddr::${LAB_ADDR.vip}/32 httpd\n`);
          mkdirSync(join(dir, "resource.d"), { recursive: true });
          copyFileSync(HTTPD_SCRIPT, join(dir, "resource.d", "httpd"));
          mkdirSync(join(dir, "www"), { recursive: true });
          writeFileSync(join(dir, "www", "index.html"), node === "srv5" ? "NodeA\n" : "NodeB\n");
        }
        const nodes = [startNode(lab, "srv5", "srv5", cfg.dirs.srv5, work), startNode(lab, "srv6", "srv6", cfg.dirs.srv6, work)];
        // The peer declared dead (not a ping node: 192.0.2.7 sits behind the lossy link and may go).
        const dead = nodes.map((n) => counter(n, /node srv[56]: is dead/));
        const late = nodes.map((n) => counter(n, /Late heartbeat/));
        await waitFor(
          "both active",
          async () => (await statusSeen(nodes[0]!, "srv6")) === "active" && (await statusSeen(nodes[1]!, "srv5")) === "active",
          30_000,
        );
        const poller = new ServicePoller(lab, `http://${LAB_ADDR.vip}/`, 100, 1000);
        await sleep(3000);
        const dead0 = dead.map((f) => f());
        const late0 = late.map((f) => f());
        const t0 = poller.now();
        await lab.setLoss("srv5", "eth1", lossPercent);
        const seconds = Math.round(minutes * 60);
        // Both cores busy, from inside the lab (the lab ends it with everything else).
        const hog = stress
          ? lab.spawn("witness", ["stress-ng", "--cpu", "0", "--cpu-load", "100", "--timeout", `${seconds}s`, "--quiet"], { stdio: "ignore" })
          : undefined;
        await sleep(seconds * 1000);
        if (hog) await lab.stop(hog, 3000);
        await lab.clearLoss("srv5", "eth1");
        const t1 = poller.now();
        poller.stop();
        const pages = poller.samples.filter((s) => s.sentMs >= t0 && s.sentMs <= t1 && s.page !== "-").sort((a, b) => a.sentMs - b.sentMs);
        let moves = 0;
        for (let i = 1; i < pages.length; i++) if (pages[i]!.page !== pages[i - 1]!.page) moves++;
        return {
          ...base,
          falseDeadDeclarations: dead.reduce((s, f, i) => s + f() - dead0[i]!, 0),
          vipMoves: moves,
          longestOutageMs: poller.longestOutage(t0, t1),
          lateHeartbeatWarnings: late.reduce((s, f, i) => s + f() - late0[i]!, 0),
        };
      },
      { deadlineMs: (minutes * 60 + 120) * 1000 },
    );
  } catch (err) {
    return {
      ...base,
      falseDeadDeclarations: NaN,
      vipMoves: NaN,
      longestOutageMs: NaN,
      lateHeartbeatWarnings: NaN,
      error: (err as Error).message.split("\n")[0]!,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string", default: "5" },
      budgets: { type: "string", default: "200/1000,100/500,50/250,25/100" },
      loss: { type: "string", default: "20" },
      "no-stress": { type: "boolean", default: false },
      out: { type: "string", default: "." },
      "no-write": { type: "boolean", default: false },
    },
  });
  const minutes = Number(values.minutes);
  const budgets = values.budgets!.split(",").map((b) => b.split("/").map(Number) as [number, number]);
  const results: SoakResult[] = [];
  for (const [k, d] of budgets) {
    process.stdout.write(
      `soak keepalive ${k} ms / deadtime ${d} ms, ${minutes} min, ${values.loss} % loss on srv5 eth1${values["no-stress"] ? "" : ", both cores busy"}... `,
    );
    const r = await soakOnce(k, d, minutes, Number(values.loss), !values["no-stress"]);
    results.push(r);
    process.stdout.write(
      r.error
        ? `error: ${r.error}\n`
        : `false dead declarations ${r.falseDeadDeclarations}, VIP moves ${r.vipMoves}, longest outage ${r.longestOutageMs} ms, late heartbeat warnings ${r.lateHeartbeatWarnings}\n`,
    );
  }
  const safe = results.filter((r) => !r.error && r.falseDeadDeclarations === 0 && r.vipMoves === 0).sort((a, b) => a.deadtimeMs - b.deadtimeMs)[0];
  process.stdout.write(safe ? `smallest safe budget here: keepalive ${safe.keepaliveMs} ms / deadtime ${safe.deadtimeMs} ms\n` : "no budget tried was safe\n");
  if (!values["no-write"]) {
    const dir = resolve(values.out!, "bench", "results");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `soak-budget-${new Date().toISOString().slice(0, 16).replace(":", "")}.json`);
    writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), results, smallestSafe: safe ?? null }, null, 2) + "\n");
    process.stdout.write(`wrote ${file}\n`);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
