// A frozen primary (SIGSTOP 3.5 s, deadtime 1 s): the peer takes over, the guard drops the frozen node's VIP, one holder after SIGCONT.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { ServiceSampler, setUpSeedPair, vipHolders } from "../../../scripts/lab/seed-pair";
import { membership, statusSeen, waitFor } from "../../../scripts/lab/lab-daemon";

const isRoot = process.getuid?.() === 0;
const FREEZE_MS = 3500;

describe("a frozen daemon", { skip: !isRoot && "needs root for network namespaces" }, () => {
  it("SIGSTOP of the primary for 3.5 s: the guard removes its VIP before the peer takes it; exactly one holder after SIGCONT", async () => {
    const work = mkdtempSync(join(tmpdir(), "tb-e2e-freeze-"));
    try {
      await NetnsLab.withLab(
        async (lab) => {
          const pair = await setUpSeedPair(lab, work, { nodeNames: "short" });
          const srv5 = pair.start("srv5");
          const srv6 = pair.start("srv6");
          const sampler = new ServiceSampler(lab, pair.vip, 50);
          const report = () => `\n--- srv5\n${lab.outputOf(srv5.proc).slice(-4000)}\n--- srv6\n${lab.outputOf(srv6.proc).slice(-4000)}`;
          try {
            await sampler.waitForPage("NodeA", 15_000);
            await waitFor("both active", async () => (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "active", 10_000);
            await new Promise((r) => setTimeout(r, 5500)); // past the start-up dt grace
            const frozenAt = sampler.now();
            process.kill(srv5.proc.pid!, "SIGSTOP");
            let srv5LostAt: number | undefined;
            let srv6GotAt: number | undefined;
            while (sampler.now() - frozenAt < FREEZE_MS) {
              const holders = await vipHolders(lab, pair.vip);
              if (srv5LostAt === undefined && !holders.includes("srv5")) srv5LostAt = sampler.now() - frozenAt;
              if (srv6GotAt === undefined && holders.includes("srv6")) srv6GotAt = sampler.now() - frozenAt;
              await new Promise((r) => setTimeout(r, 20));
            }
            const markAtThaw = lab.outputOf(srv5.proc).length;
            process.kill(srv5.proc.pid!, "SIGCONT");
            const thawedAt = sampler.now();
            await new Promise((r) => setTimeout(r, 6000));
            const holders = await vipHolders(lab, pair.vip);
            // What each daemon believes: a node whose core still counts the group as running without its VIP is wrong too.
            const believed: string[] = [];
            for (const [key, node] of [
              ["srv5", srv5],
              ["srv6", srv6],
            ] as const) {
              const m = await membership(node);
              if (m?.groups.some((g) => g.state === "running" || g.state === "starting")) believed.push(key);
            }
            const t = (x: number | undefined) => (x === undefined ? "never" : `${x} ms`);
            const story = `frozen: srv5 lost the VIP at ${t(srv5LostAt)}, srv6 got it at ${t(srv6GotAt)}; after SIGCONT VIP holders ${JSON.stringify(holders)}, cores holding the group ${JSON.stringify(believed)}`;
            process.stderr.write(
              `# ${story}\n# srv5 after SIGCONT:\n${lab
                .outputOf(srv5.proc)
                .slice(markAtThaw)
                .split("\n")
                .filter((l) => /WARN|CRIT|ERROR|info: (Resource|Resources|node|Cluster|Taking|Releasing|mach_down|Status update|ipfail)/.test(l))
                .slice(0, 30)
                .map((l) => `#   ${l}`)
                .join("\n")}\n`,
            );
            assert.ok(srv5LostAt !== undefined && srv5LostAt < 1000, `the guard removed the frozen node's VIP within deadtime: ${story}${report()}`);
            assert.ok(srv6GotAt !== undefined, `the peer took over: ${story}${report()}`);
            assert.ok(sampler.longestDoubleHoldingMs(frozenAt) <= 150, `two holders for ${sampler.longestDoubleHoldingMs(frozenAt)} ms: ${story}${report()}`);
            assert.equal(holders.length, 1, `exactly one holder after waking: ${story}${report()}`);
            assert.deepEqual(believed, holders, `the cores agree with the addresses: ${story}${report()}`);
            const servedAfter = sampler.samples.filter((s) => s.atMs > thawedAt + 3000);
            assert.ok(
              servedAfter.length > 0 && servedAfter.every((s) => s.page !== "-"),
              `served after waking: ${JSON.stringify(servedAfter.slice(-5))}${report()}`,
            );
          } finally {
            await sampler.stop();
            try {
              process.kill(srv5.proc.pid!, "SIGCONT");
            } catch {
              // already gone
            }
          }
        },
        { deadlineMs: 90_000 },
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
