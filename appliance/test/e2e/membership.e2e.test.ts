// Two real daemons in network namespaces (the seed's srv5/srv6): comm-up, a killed peer, a cut link.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { buildSeedTopology, writeSeedConfigs } from "../../../scripts/lab/seed-topology";
import { startNode, statusSeen, membership, waitFor } from "../../../scripts/lab/lab-daemon";

const isRoot = process.getuid?.() === 0;
const KEEPALIVE_MS = 200;
const DEADTIME_MS = 1000;

describe("two daemons in namespaces, ucast on eth1 and bcast on eth0", { skip: !isRoot && "needs root for network namespaces" }, () => {
  it("reach active, see a killed peer dead within deadtime + 2 keepalives, and track a cut link", async () => {
    const work = mkdtempSync(join(tmpdir(), "tb-e2e-"));
    try {
      await NetnsLab.withLab(
        async (lab) => {
          await buildSeedTopology(lab, { nodeNames: "short" });
          const cfg = writeSeedConfigs(join(work, "etc"), {
            nodeNames: "short",
            haCfOverrides: { keepalive: "200ms", deadtime: "1", warntime: "500ms", initdead: "3" },
            extraHaCf: ["bcast eth0"],
          });
          const srv5 = startNode(lab, "srv5", "srv5", cfg.dirs.srv5, work);
          let srv6 = startNode(lab, "srv6", "srv6", cfg.dirs.srv6, work);
          await waitFor(
            "both nodes active, each seeing the other active",
            async () =>
              (await statusSeen(srv5, "srv6")) === "active" &&
              (await statusSeen(srv6, "srv5")) === "active" &&
              (await statusSeen(srv5, "srv5")) === "active" &&
              (await statusSeen(srv6, "srv6")) === "active",
            10_000,
          );
          const view = (await membership(srv5))!;
          const links = view.nodes.find((n) => n.name === "srv6")!.links;
          assert.deepEqual(
            links.map((l) => `${l.name}:${l.status}`),
            ["eth1:up", "eth0:up"],
          );

          // Past the 5 s start-up window in which a node advertises deadtime + 2 s.
          await new Promise((r) => setTimeout(r, 5500));
          lab.kill(srv6.proc, "SIGKILL");
          const detectMs = await waitFor("srv5 to see srv6 dead", async () => (await statusSeen(srv5, "srv6")) === "dead", 5000, 10);
          assert.ok(detectMs <= DEADTIME_MS + 2 * KEEPALIVE_MS, `detected after ${detectMs} ms`);
          assert.match(lab.outputOf(srv5.proc), /WARN: node srv6: is dead/);
          await lab.waitExit(srv6.proc, 2000);

          srv6 = startNode(lab, "srv6", "srv6", cfg.dirs.srv6, work);
          await waitFor("srv6 back and active", async () => (await statusSeen(srv5, "srv6")) === "active", 10_000);
          assert.match(lab.outputOf(srv5.proc), /Heartbeat restart on node srv6|Status update for node srv6: status up/);

          await lab.unplug("srv6", "eth1");
          await waitFor("srv5 to log srv6's eth1 link dead", () => /Link srv6:eth1 dead\./.test(lab.outputOf(srv5.proc)), 5000);
          await new Promise((r) => setTimeout(r, 2 * DEADTIME_MS));
          assert.equal(await statusSeen(srv5, "srv6"), "active", "the node stays active over eth0");
          assert.equal(await statusSeen(srv6, "srv5"), "active");
          await lab.plug("srv6", "eth1");
          await waitFor(
            "srv6's eth1 link up again",
            async () => {
              const m = await membership(srv5);
              return m?.nodes.find((n) => n.name === "srv6")?.links.find((l) => l.name === "eth1")?.status === "up";
            },
            5000,
          );
          assert.doesNotMatch(lab.outputOf(srv5.proc), /Late heartbeat/);

          // The interface loses its address and gets it back (a DHCP renew, a bridge re-created):
          // the medium is closed and reopened, and the link comes back without a restart.
          await lab.ip("srv6", ["addr", "del", "192.0.2.6/24", "dev", "eth1"]);
          await waitFor("srv6 to close its eth1 media", () => /Interface eth1 lost its IPv4 address/.test(lab.outputOf(srv6.proc)), 5000);
          const eth1Of = async () => (await membership(srv5))?.nodes.find((n) => n.name === "srv6")?.links.find((l) => l.name === "eth1")?.status;
          await waitFor("srv5 to see srv6's eth1 link dead", async () => (await eth1Of()) === "dead", 5000);
          await lab.ip("srv6", ["addr", "add", "192.0.2.6/24", "dev", "eth1"]);
          await waitFor("srv6 to reopen its eth1 media", () => /Interface eth1 is back \(192\.0\.2\.6\): media reopened/.test(lab.outputOf(srv6.proc)), 5000);
          await waitFor("srv5 to hear srv6 on eth1 again", async () => (await eth1Of()) === "up", 5000);
        },
        { deadlineMs: 60_000 },
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
