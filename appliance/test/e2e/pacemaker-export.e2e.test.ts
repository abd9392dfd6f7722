// The seed's pair exported with `twinbeat export pacemaker` and run by a real Corosync + Pacemaker in namespaces: VIP on srv5, on srv6 once srv5's stack is killed; Twinbeat's failover on the same lab, side by side.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { setUpSeedPair, vipHolders } from "../../../scripts/lab/seed-pair";
import { MAIN_JS, statusSeen, waitFor } from "../../../scripts/lab/lab-daemon";
import { pacemakerInstalled, setUpPacemakerNode, type PacemakerNode } from "../../../scripts/lab/pacemaker-node";

const isRoot = process.getuid?.() === 0;
const skip = !isRoot
  ? "needs root for network namespaces"
  : !pacemakerInstalled()
    ? "corosync/pacemaker missing (bash scripts/lab/install-pacemaker.sh)"
    : false;

async function withWork<T>(fn: (work: string) => Promise<T>): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), "tb-pcmk-"));
  try {
    return await fn(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Milliseconds from now until srv6 alone holds the VIP. */
async function timeToSrv6(lab: NetnsLab, vip: string, timeoutMs: number): Promise<number> {
  return waitFor("the VIP on srv6", async () => (await vipHolders(lab, vip)).includes("srv6"), timeoutMs, 50);
}

describe("export pacemaker: the seed's pair on a real Corosync + Pacemaker cluster", { skip }, () => {
  it("serves the VIP on srv5, moves it to srv6 when srv5's stack is killed; Twinbeat on the same lab for comparison", async (t) => {
    const figures: Record<string, number> = {};
    await withWork((work) =>
      NetnsLab.withLab(
        async (lab) => {
          const pair = await setUpSeedPair(lab, work);
          // Export on srv5 itself: its own address on eth1 is found from its interfaces, srv6's from the ucast line.
          const out = join(work, "export");
          const exported = await lab.exec(
            "srv5",
            [process.execPath, MAIN_JS, "export", "pacemaker", "--config-dir", pair.cfg.dirs.srv5, "--node-name", pair.cfg.nodeNames.srv5, "--out", out],
            { timeoutMs: 30_000 },
          );
          assert.equal(exported.code, 0, exported.stdout + exported.stderr);
          assert.match(exported.stderr, /resource\.d script/, "the lab's httpd (a resource.d script) is reported as not converted");
          const corosyncConf = readFileSync(join(out, "corosync.conf"), "utf8");
          const authkey = readFileSync(join(out, "authkey"));
          const nodes: PacemakerNode[] = [];
          try {
            for (const key of ["srv5", "srv6"] as const)
              nodes.push(await setUpPacemakerNode(lab, key, pair.cfg.nodeNames[key], work, { corosyncConf, authkey }));
            const [srv5, srv6] = nodes as [PacemakerNode, PacemakerNode];
            const startedAt = Date.now();
            srv5.start();
            srv6.start();
            // Both members, a DC elected (dc-deadtime is 20 s by default when the nodes start together).
            await waitFor(
              "both nodes online with a DC",
              async () => {
                const r = await srv5.exec(["crm_mon", "-1"]);
                return /partition with quorum/.test(r.stdout) && /Online: \[ srv5\.localdomain srv6\.localdomain \]/.test(r.stdout);
              },
              60_000,
              500,
            ).catch((e: Error) => {
              throw new Error(`${e.message}\n${srv5.log()}`);
            });
            figures.pacemakerUpMs = Date.now() - startedAt;
            const replaced = await srv5.exec(["cibadmin", "--replace", "--xml-file", join(out, "cib.xml")]);
            assert.equal(replaced.code, 0, replaced.stdout + replaced.stderr);
            const loadedAt = Date.now();
            await waitFor("the VIP on srv5", async () => (await vipHolders(lab, pair.vip)).includes("srv5"), 30_000, 100).catch(async (e: Error) => {
              throw new Error(`${e.message}\n${(await srv5.exec(["crm_mon", "-1"])).stdout}\n${srv5.log()}`);
            });
            figures.pacemakerVipUpMs = Date.now() - loadedAt;
            assert.deepEqual(await vipHolders(lab, pair.vip), ["srv5"]);
            const ping = await lab.ping("client", pair.vip, { count: 1, waitS: 2 });
            t.diagnostic(`client ping of the VIP on srv5: ${JSON.stringify(ping).slice(0, 200)}`);

            // srv5's whole stack dies (corosync, pacemakerd and its daemons) and its cables are pulled.
            srv5.killStack();
            await Promise.all([lab.unplug("srv5", "eth0"), lab.unplug("srv5", "eth1")]);
            figures.pacemakerFailoverMs = await timeToSrv6(lab, pair.vip, 60_000).catch(async (e: Error) => {
              throw new Error(`${e.message}\n${(await srv6.exec(["crm_mon", "-1"])).stdout}\n${srv6.log()}`);
            });
          } finally {
            for (const n of nodes) await n.cleanup();
          }
          for (const n of nodes) assert.equal(n.killStack().length, 0, `${n.nodeName}: nothing left running`);
        },
        { tag: "pcmk", deadlineMs: 150_000 },
      ),
    );

    // Twinbeat on the same lab shape and timings: kill srv5's daemon and pull its cables.
    await withWork((work) =>
      NetnsLab.withLab(
        async (lab) => {
          const pair = await setUpSeedPair(lab, work);
          const srv5 = pair.start("srv5");
          const srv6 = pair.start("srv6");
          await waitFor("the VIP on srv5", async () => (await vipHolders(lab, pair.vip)).includes("srv5"), 20_000, 100);
          // As with Pacemaker, the pair is formed before the kill (else srv6 would still be counting initdead).
          await waitFor("srv6 sees srv5 active", async () => (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "active", 20_000, 100);
          process.kill(srv5.proc.pid!, "SIGKILL");
          await Promise.all([lab.unplug("srv5", "eth0"), lab.unplug("srv5", "eth1")]);
          figures.twinbeatFailoverMs = await timeToSrv6(lab, pair.vip, 20_000);
        },
        { tag: "pcmt", deadlineMs: 60_000 },
      ),
    );
    t.diagnostic(`failover (srv5 killed → VIP on srv6): Pacemaker ${figures.pacemakerFailoverMs} ms, Twinbeat ${figures.twinbeatFailoverMs} ms`);
    t.diagnostic(`Pacemaker: cluster formed in ${figures.pacemakerUpMs} ms, VIP up ${figures.pacemakerVipUpMs} ms after cibadmin --replace`);
    console.log(`PACEMAKER_EXPORT_FIGURES ${JSON.stringify(figures)}`);
  });
});
