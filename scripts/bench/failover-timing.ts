// Benchmark: cold start to serving, and how much the takeover adds to failure detection, for the seed's pair.
// Usage (root): node .out/scripts/bench/failover-timing.js [rounds=3]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../lab/netns-lab";
import { setUpSeedPair, vipHolders } from "../lab/seed-pair";
import { statusSeen, waitFor } from "../lab/lab-daemon";

async function round(i: number): Promise<{ coldStartMs: number; detectMs: number; vipMs: number; servingMs: number }> {
  const work = mkdtempSync(join(tmpdir(), "tb-bench-"));
  try {
    return await NetnsLab.withLab(
      async (lab) => {
        const pair = await setUpSeedPair(lab, work, { autoFailback: "on" });
        const page = async () => {
          const r = await lab.httpGet("client", `http://${pair.vip}/`, 200);
          return r.ok ? r.body.trim() : "-";
        };
        const t0 = Date.now();
        pair.start("srv5");
        const srv6 = pair.start("srv6");
        await waitFor("NodeA", async () => (await page()) === "NodeA", 20_000, 10);
        const coldStartMs = Date.now() - t0;
        await new Promise((r) => setTimeout(r, 6000));
        const killAt = Date.now();
        process.kill(pair.nodes.srv5!.proc.pid!, "SIGKILL");
        await lab.unplug("srv5", "eth0");
        await lab.unplug("srv5", "eth1");
        const detect = waitFor("srv6 sees srv5 dead", async () => (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "dead", 10_000, 5);
        const vipUp = waitFor("VIP on srv6", async () => (await vipHolders(lab, pair.vip)).includes("srv6"), 10_000, 5);
        const serve = waitFor("NodeB", async () => (await page()) === "NodeB", 10_000, 10);
        const [detectMs, vipMs, servingMs] = await Promise.all([detect, vipUp, serve].map((p) => p.then(() => Date.now() - killAt)));
        process.stdout.write(
          `round ${i}: cold start to serving ${coldStartMs} ms; after kill: detected ${detectMs} ms, VIP up on srv6 ${vipMs} ms, client served ${servingMs} ms ` +
            `(takeover to VIP: +${vipMs! - detectMs!} ms; client-side ARP/TCP catch-up: +${servingMs! - vipMs!} ms)\n`,
        );
        return { coldStartMs, detectMs: detectMs!, vipMs: vipMs!, servingMs: servingMs! };
      },
      { deadlineMs: 90_000 },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const results = [];
  for (let i = 1; i <= rounds; i++) results.push(await round(i));
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  process.stdout.write(
    `median over ${rounds}: cold start ${med(results.map((r) => r.coldStartMs))} ms; detection ${med(results.map((r) => r.detectMs))} ms (deadtime 1000 ms); VIP up ${med(results.map((r) => r.vipMs - r.detectMs))} ms after detection; client served ${med(results.map((r) => r.servingMs - r.detectMs))} ms after detection\n`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
