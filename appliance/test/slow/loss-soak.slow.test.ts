// Soak: 20% random loss on one of two media, both CPU cores busy, for 5 minutes: not a single failover.
// TWINBEAT_SOAK_SECONDS shortens or lengthens it (default 300).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { setUpSeedPair, vipHolders } from "../../../scripts/lab/seed-pair";
import { statusSeen, waitFor } from "../../../scripts/lab/lab-daemon";

const isRoot = process.getuid?.() === 0;
const SECONDS = Number(process.env.TWINBEAT_SOAK_SECONDS ?? 300);

describe("loss soak", { skip: !isRoot && "needs root for network namespaces" }, () => {
  it(`${SECONDS} s with 20% loss on eth1 (ucast) of two media and stress-ng on both cores: zero failovers`, { timeout: (SECONDS + 120) * 1000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), "tb-soak-"));
    const stress = spawn("stress-ng", ["--cpu", "2", "--timeout", `${SECONDS + 30}s`, "--quiet"], { stdio: "ignore" });
    try {
      await NetnsLab.withLab(
        async (lab) => {
          // The witness ping node sits behind the lossy link too: give it a deadping that a
          // few lost echoes cannot reach (DESIGN.md, "False failovers and packet loss").
          const pair = await setUpSeedPair(lab, work, { autoFailback: "on", timings: { deadping: "3" } });
          // A second medium, as the issue asks: broadcast on the public network.
          const { appendFileSync } = await import("node:fs");
          for (const node of ["srv5", "srv6"] as const) appendFileSync(join(pair.cfg.dirs[node], "ha.cf"), "bcast eth0\n");
          const srv5 = pair.start("srv5");
          const srv6 = pair.start("srv6");
          await waitFor("srv5 holds the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv5", 20_000);
          await waitFor(
            "both active",
            async () => (await statusSeen(srv5, pair.cfg.nodeNames.srv6)) === "active" && (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "active",
            10_000,
          );
          await lab.setLoss("srv5", "eth1", 20);
          const end = Date.now() + SECONDS * 1000;
          let checks = 0;
          while (Date.now() < end) {
            await new Promise((r) => setTimeout(r, 2000));
            assert.deepEqual(await vipHolders(lab, pair.vip), ["srv5"], `the VIP moved after ${checks * 2} s`);
            checks++;
          }
          await lab.clearLoss("srv5", "eth1");
          let pingNodeDeaths = 0;
          for (const n of [srv5, srv6]) {
            const out = lab.outputOf(n.proc);
            // A failover: the peer declared dead, a takeover, a heal after a partition, groups given up.
            // The witness behind the lossy link may be declared dead for a moment (seen once in CI with
            // both cores busy): ipfail then compares counts, and nothing moves unless it stays dead.
            const peerDead = out.split("\n").filter((l) => / node \S+: is dead/.test(l) && !/ node [\d.]+: is dead/.test(l));
            assert.deepEqual(peerDead, [], `${n.name} declared its peer dead`);
            assert.doesNotMatch(out, /mach_down|returning after partition|Giving up/, `${n.name} saw a failover`);
            pingNodeDeaths += out.match(/ node [\d.]+: is dead/g)?.length ?? 0;
          }
          process.stdout.write(`# soak: ping node deaths (no failover): ${pingNodeDeaths}\n`);
          const late = (lab.outputOf(srv5.proc) + lab.outputOf(srv6.proc)).match(/Late heartbeat/g)?.length ?? 0;
          process.stdout.write(`# soak: ${SECONDS} s, ${checks} checks, late-heartbeat warnings: ${late}\n`);
        },
        { deadlineMs: (SECONDS + 100) * 1000 },
      );
    } finally {
      if (stress.pid) {
        try {
          process.kill(stress.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
      rmSync(work, { recursive: true, force: true });
    }
  });
});
