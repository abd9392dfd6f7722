// Test fixtures for the status, HTTP and notify tests: the seed tutorial's pair (documentation addresses), parsed by the real parsers, and snapshots of it.

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { MembershipSnapshot } from "../../src/cluster/cluster-node";
import type { ClusterConfig } from "../../src/config/cluster-config";
import { parseHaCf } from "../../src/config/ha-cf-parser";
import { parseHaresources } from "../../src/config/haresources-parser";
import { defaultTwinbeatConfig } from "../../src/config/twinbeat-cf-parser";
import { millis, normalizeNodeName } from "../../src/cluster/time";

/** The seed's ha.cf with its addresses mapped to documentation ranges (scripts/lab/seed-topology.ts). */
export const SEED_HA_CF = `logfacility local0
keepalive 2
warntime 10
deadtime 30
initdead 120
hopfudge 1
udpport 694
ucast eth1 192.0.2.6
auto_failback on
node srv5.localdomain
node srv6.localdomain
ping 198.51.100.2 192.0.2.7
respawn root /usr/lib/heartbeat/ipfail
apiauth ipfail gid=root uid=root
`;

export const SEED_HARESOURCES = "srv5.localdomain IPaddr::198.51.100.100/32 httpd\n";

export const SRV5 = normalizeNodeName("srv5.localdomain");
export const SRV6 = normalizeNodeName("srv6.localdomain");
export const VIP_KEY = "IPaddr::198.51.100.100/32";

/** The seed pair's configuration as node `localNode` loads it. */
export function seedConfig(options: { localNode?: string; haCf?: string; twinbeat?: Partial<ClusterConfig["twinbeat"]> } = {}): ClusterConfig {
  const parsed = parseHaCf(options.haCf ?? SEED_HA_CF, "/etc/ha.d/ha.cf");
  if (!parsed.ha) throw new Error(`fixture ha.cf does not parse: ${JSON.stringify(parsed.diagnostics)}`);
  const res = parseHaresources(SEED_HARESOURCES, "/etc/ha.d/haresources", parsed.declaredNodes);
  return {
    configDir: "/etc/ha.d",
    localNode: options.localNode === undefined ? SRV5 : normalizeNodeName(options.localNode),
    ha: parsed.ha,
    groups: res.groups,
    authKeys: { activeIndex: 1, keys: new Map([[1, { method: "sha1", key: "test" }]]) },
    twinbeat: { ...defaultTwinbeatConfig(), ...(options.twinbeat ?? {}) },
  };
}

type SnapNode = MembershipSnapshot["nodes"][number];

/**
 * A snapshot of the seed pair seen from `localNode` at monotonic time `nowMs` = 100000:
 * both nodes active, the peer heard 150 ms ago on eth1, the VIP group in `groupState`,
 * ping nodes answering (`ping`) unless `pings` says otherwise.
 */
export function seedSnapshot(
  options: {
    localNode?: string;
    peerStatus?: SnapNode["status"];
    peerLinkStatus?: "up" | "dead" | "init";
    groupState?: MembershipSnapshot["groups"][number]["state"];
    rscStatus?: MembershipSnapshot["rscStatus"];
    pings?: "ping" | "dead" | "init" | "absent";
    counters?: Record<string, number>;
  } = {},
): MembershipSnapshot {
  const local = options.localNode === undefined ? SRV5 : normalizeNodeName(options.localNode);
  const peerStatus = options.peerStatus ?? "active";
  const linkStatus = options.peerLinkStatus ?? (peerStatus === "dead" ? "dead" : "up");
  const nodes: SnapNode[] = [SRV5, SRV6].map((name) =>
    name === local
      ? { name, type: "normal", status: "active", links: [{ name: "eth1", status: "up" }] }
      : {
          name,
          type: "normal",
          status: peerStatus,
          ...(peerStatus === "init" ? {} : { lastStatusAt: millis(99_850) }),
          links: [{ name: "eth1", status: linkStatus, ...(linkStatus === "init" ? {} : { lastHeardAt: millis(99_850) }) }],
        },
  );
  const pings = options.pings ?? "ping";
  if (pings !== "absent") {
    for (const host of ["198.51.100.2", "192.0.2.7"]) {
      nodes.push({
        name: normalizeNodeName(host),
        type: "ping",
        status: pings,
        ...(pings === "ping" ? { lastStatusAt: millis(99_000) } : {}),
        links: [
          { name: host, status: pings === "ping" ? "up" : pings === "dead" ? "dead" : "init", ...(pings === "ping" ? { lastHeardAt: millis(99_000) } : {}) },
        ],
      });
    }
  }
  const groupState = options.groupState ?? (local === SRV5 ? "running" : "stopped");
  return {
    localNode: local,
    localStatus: "active",
    commUp: true,
    generation: 7,
    nodes,
    counters: options.counters ?? {
      heartbeatsSent: 120,
      heartbeatsReceived: 118,
      duplicates: 3,
      lateHeartbeats: 1,
      rejected: 2,
      replays: 0,
      "rejected:bad-signature": 2,
    },
    rscStatus: options.rscStatus ?? (local === SRV5 ? "local" : "none"),
    rscState: "stable",
    groups: [{ key: VIP_KEY, homeNode: SRV5, state: groupState }],
  };
}

/**
 * Finds a file of the source tree (testdata, the JSON schema) from compiled tests, whether
 * they were compiled into the repo's .out/ or elsewhere with --outDir (then the working
 * directory must be the repo).
 */
export function sourceFile(relFromRepo: string): string {
  const candidates = [resolve(__dirname, "../../../..", relFromRepo), resolve(__dirname, "../../../../..", relFromRepo), join(process.cwd(), relFromRepo)];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`cannot find ${relFromRepo} (looked at ${candidates.join(", ")}); run the tests from the repository root`);
}
