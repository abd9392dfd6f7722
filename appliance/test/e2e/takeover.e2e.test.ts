// The seed's hot-standby pair end to end in namespaces: the client's view of http://VIP/ through failover and failback.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { ServiceSampler, setUpSeedPair, vipHolders } from "../../../scripts/lab/seed-pair";
import { statusSeen, twinbeatArgv, waitFor } from "../../../scripts/lab/lab-daemon";

const isRoot = process.getuid?.() === 0;
const DEADTIME_MS = 1000;

async function withPair<T>(fn: (work: string) => Promise<T>): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), "tb-e2e-"));
  try {
    return await fn(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe("the seed's pair: failover and failback as the client sees it", { skip: !isRoot && "needs root for network namespaces" }, () => {
  for (const mode of ["on", "off", "legacy"] as const) {
    it(`auto_failback ${mode}: NodeA, then NodeB after the primary dies, then ${mode === "off" ? "NodeB still" : "NodeA again"} when it returns`, async () => {
      await withPair((work) =>
        NetnsLab.withLab(
          async (lab) => {
            const pair = await setUpSeedPair(lab, work, { autoFailback: mode });
            const srv5 = pair.start("srv5");
            const srv6 = pair.start("srv6");
            const sampler = new ServiceSampler(lab, pair.vip, 100);
            try {
              await sampler.waitForPage("NodeA", 15_000);
              await waitFor("both stable", async () => (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "active", 5000);
              await new Promise((r) => setTimeout(r, 5500)); // past the start-up dt grace

              // The primary dies: its daemon killed outright and its cables pulled.
              const killedAt = sampler.now();
              process.kill(srv5.proc.pid!, "SIGKILL");
              await lab.unplug("srv5", "eth0");
              await lab.unplug("srv5", "eth1");
              const nodeBAt = await sampler.waitForPage("NodeB", 10_000);
              assert.ok(nodeBAt - killedAt <= DEADTIME_MS + 1500, `client saw NodeB ${nodeBAt - killedAt} ms after the kill`);
              await waitFor("the dead primary's guard to release the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv6", 3000).catch(
                (err: Error) => assert.fail(`${err.message}\n${lab.outputOf(srv5.proc).slice(-3000)}`),
              );
              assert.match(lab.outputOf(srv6.proc), /mach_down takeover complete/);

              // It comes back.
              await lab.waitExit(srv5.proc, 5000);
              await lab.plug("srv5", "eth0");
              await lab.plug("srv5", "eth1");
              const back = pair.start("srv5");
              await waitFor("srv5 active again", async () => (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "active", 15_000);
              if (mode === "off") {
                await new Promise((r) => setTimeout(r, 4000));
                assert.equal(sampler.samples.at(-1)!.page, "NodeB");
                assert.deepEqual(await vipHolders(lab, pair.vip), ["srv6"]);
              } else {
                await sampler
                  .waitForPage("NodeA", 15_000)
                  .catch((err: Error) =>
                    assert.fail(`${err.message}\n--- srv5\n${lab.outputOf(back.proc).slice(-6000)}\n--- srv6\n${lab.outputOf(srv6.proc).slice(-6000)}`),
                  );
                await waitFor("exactly srv5 holds the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv5", 5000);
              }
              void back;
              await new Promise((r) => setTimeout(r, 1000));
            } finally {
              await sampler.stop();
            }
            // Exactly one holder at every sample, apart from the takeover instant.
            assert.ok(
              sampler.longestDoubleHoldingMs() <= 300,
              `two holders for ${sampler.longestDoubleHoldingMs()} ms: ${JSON.stringify(sampler.samples.filter((s) => s.holders.length !== 1))}\n${lab.outputOf(pair.nodes.srv5!.proc).slice(-2500)}\n${lab.outputOf(srv6.proc).slice(-2500)}`,
            );
            const served = sampler.samples.filter((s) => s.page !== "-").length;
            assert.ok(served > sampler.samples.length * 0.7, `served ${served} of ${sampler.samples.length} samples`);
          },
          { deadlineMs: 90_000 },
        ),
      );
    });
  }

  it("kill -9 of the primary's daemon alone never leaves both nodes answering for the VIP beyond a deadtime", async (t) => {
    await withPair((work) =>
      NetnsLab.withLab(
        async (lab) => {
          const pair = await setUpSeedPair(lab, work, { autoFailback: "on" });
          const srv5 = pair.start("srv5");
          const srv6 = pair.start("srv6");
          const sampler = new ServiceSampler(lab, pair.vip, 100);
          try {
            await sampler.waitForPage("NodeA", 15_000);
            await new Promise((r) => setTimeout(r, 5500));
            const killedAt = sampler.now();
            process.kill(srv5.proc.pid!, "SIGKILL"); // the daemon only: links up, VIP and httpd left behind
            // The guard's shell removes the VIP itself when the pipe closes (no Node start first).
            const killMs = Date.now();
            await waitFor("the dead daemon's VIP removed by its guard", async () => !(await vipHolders(lab, pair.vip)).includes("srv5"), 3000);
            const goneMs = Date.now() - killMs;
            t.diagnostic(`srv5's VIP removed by the guard ${goneMs} ms after kill -9 (deadtime ${DEADTIME_MS} ms)`);
            assert.ok(goneMs <= DEADTIME_MS / 2, `the guard took ${goneMs} ms to remove the VIP`);
            await sampler.waitForPage("NodeB", 10_000);
            await waitFor("srv6 alone holds the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv6", 5000);
            assert.ok(sampler.longestDoubleHoldingMs(killedAt) <= DEADTIME_MS, `two holders for ${sampler.longestDoubleHoldingMs(killedAt)} ms`);
            // Restarted, it finds nothing of its own running and gets the group back (auto_failback on).
            await lab.waitExit(srv5.proc, 5000);
            pair.start("srv5");
            await sampler.waitForPage("NodeA", 15_000);
            await waitFor("exactly srv5 holds the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv5", 5000);
            void srv6;
          } finally {
            await sampler.stop();
          }
          assert.ok(sampler.longestDoubleHoldingMs() <= DEADTIME_MS);
        },
        { deadlineMs: 90_000 },
      ),
    );
  });

  it("hb_standby and hb_takeover typed on either node move the group, with Heartbeat's argument rules", async () => {
    await withPair((work) =>
      NetnsLab.withLab(
        async (lab) => {
          const pair = await setUpSeedPair(lab, work, { autoFailback: "off" });
          const srv5 = pair.start("srv5");
          const srv6 = pair.start("srv6");
          const sampler = new ServiceSampler(lab, pair.vip, 100);
          const tool = (host: "srv5" | "srv6", name: string, ...args: string[]) =>
            lab.exec(host, [...twinbeatArgv(), name, ...args, "--run-dir", pair.nodes[host]!.runDir]);
          try {
            await sampler.waitForPage("NodeA", 15_000);
            await waitFor("both stable", async () => (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "active", 5000);
            await new Promise((r) => setTimeout(r, 1000));

            const bad = await tool("srv5", "hb_standby", "everything");
            assert.equal(bad.code, 1);
            assert.match(bad.stderr, /wrong resources\(everything\)/);
            const tooMany = await tool("srv5", "hb_standby", "all", "local");
            assert.equal(tooMany.code, 1);
            assert.match(tooMany.stderr, /too many arguments/);

            const standby = await tool("srv5", "hb_standby");
            assert.equal(standby.code, 0, standby.stderr);
            assert.match(standby.stdout, /Going standby \[all\]\./);
            await sampler.waitForPage("NodeB", 5000);
            await waitFor("srv6 alone holds the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv6", 3000);

            const takeover = await tool("srv5", "hb_takeover", "failback");
            assert.equal(takeover.code, 0, takeover.stderr);
            await sampler.waitForPage("NodeA", 5000);
            await waitFor("srv5 alone holds the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv5", 3000);

            const fromPeer = await tool("srv6", "hb_takeover");
            assert.equal(fromPeer.code, 0, fromPeer.stderr);
            await sampler.waitForPage("NodeB", 5000);
            void srv5;
          } finally {
            await sampler.stop();
          }
          assert.equal(sampler.longestDoubleHoldingMs(), 0);
        },
        { deadlineMs: 90_000 },
      ),
    );
  });
});
