// The seed's own test in namespaces: unplug the primary's heartbeat cable, or its public one; no split brain, no outage on heal.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { ServiceSampler, setUpSeedPair, vipHolders } from "../../../scripts/lab/seed-pair";
import { statusSeen, waitFor } from "../../../scripts/lab/lab-daemon";

const isRoot = process.getuid?.() === 0;
const DEADTIME_MS = 1000;

async function inLab(fn: (lab: NetnsLab, work: string) => Promise<void>): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "tb-e2e-"));
  try {
    await NetnsLab.withLab((lab) => fn(lab, work), { deadlineMs: 120_000 });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The longest run of samples (ms) without a good answer, from `fromMs` on. */
function longestOutageMs(sampler: ServiceSampler, fromMs: number): number {
  let longest = 0;
  let since: number | undefined;
  for (const s of sampler.samples.filter((x) => x.atMs >= fromMs)) {
    if (s.page === "-") since ??= s.atMs;
    else if (since !== undefined) {
      longest = Math.max(longest, s.atMs - since);
      since = undefined;
    }
  }
  return longest;
}

describe("network arbitration with the seed's ping nodes (gateway on eth0, witness on eth1)", { skip: !isRoot && "needs root for network namespaces" }, () => {
  it("cutting the primary's eth1 leaves only srv6 with the VIP; restoring it brings srv5 back without an outage", async () => {
    await inLab(async (lab, work) => {
      const pair = await setUpSeedPair(lab, work, { autoFailback: "on" });
      const srv5 = pair.start("srv5");
      const srv6 = pair.start("srv6");
      const sampler = new ServiceSampler(lab, pair.vip, 100);
      try {
        await sampler.waitForPage("NodeA", 15_000);
        await waitFor("both see both ping nodes", async () => /status ping[\s\S]*status ping/.test(lab.outputOf(srv5.proc)) && /status ping[\s\S]*status ping/.test(lab.outputOf(srv6.proc)), 10_000);
        await new Promise((r) => setTimeout(r, 5500));

        const cutAt = sampler.now();
        await lab.unplug("srv5", "eth1");
        await waitFor("only srv6 holds the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv6", DEADTIME_MS + 3000);
        const settledAt = sampler.now();
        assert.ok(settledAt - cutAt <= DEADTIME_MS + 1500, `only srv6 after ${settledAt - cutAt} ms`);
        await sampler.waitForPage("NodeB", 3000);
        assert.match(lab.outputOf(srv5.proc), /we are cut off, so we give way/);
        await new Promise((r) => setTimeout(r, 3000));
        assert.deepEqual(await vipHolders(lab, pair.vip), ["srv6"]);

        const healAt = sampler.now();
        await lab.plug("srv5", "eth1");
        await waitFor("srv5 holds the VIP again", async () => (await vipHolders(lab, pair.vip)).join() === "srv5", 15_000).catch((err: Error) =>
          assert.fail(`${err.message}\n--- srv5\n${lab.outputOf(srv5.proc).slice(-12000)}\n--- srv6\n${lab.outputOf(srv6.proc).slice(-12000)}`),
        );
        await sampler.waitForPage("NodeA", 5000);
        await new Promise((r) => setTimeout(r, 2000));
        const outage = longestOutageMs(sampler, healAt);
        assert.ok(outage <= 500, `no answer for ${outage} ms after the heal`);
        assert.deepEqual(await vipHolders(lab, pair.vip), ["srv5"]);
        const mac = await lab.macOf("srv5", "eth0");
        assert.equal((await lab.neighbour("client", pair.vip))?.toLowerCase(), mac.toLowerCase(), "the client's neighbour entry points at the holder");
        void srv6;
      } finally {
        await sampler.stop();
      }
    });
  });

  it("cutting the primary's eth0 (public side) moves the group to srv6 through ipfail while the heartbeat link stays up", async () => {
    await inLab(async (lab, work) => {
      const pair = await setUpSeedPair(lab, work, { autoFailback: "on" });
      const srv5 = pair.start("srv5");
      const srv6 = pair.start("srv6");
      const sampler = new ServiceSampler(lab, pair.vip, 100);
      try {
        await sampler.waitForPage("NodeA", 15_000);
        await new Promise((r) => setTimeout(r, 5500));
        await lab.unplug("srv5", "eth0");
        await waitFor("srv6 holds the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv6", 10_000);
        await sampler.waitForPage("NodeB", 5000);
        assert.equal(await statusSeen(srv6, pair.cfg.nodeNames.srv5), "active", "the heartbeat link stayed up");
        assert.match(lab.outputOf(srv5.proc), /ipfail: giving up/);
        void srv5;
      } finally {
        await sampler.stop();
      }
    });
  });
});
