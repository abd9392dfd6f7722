// Benchmark: a Twinbeat pair idling with the seed's config (ping nodes, ipfail) at keepalive 200ms; CPU, RSS and PSS of each node's whole process tree.
// Usage (root): node .out/scripts/bench/idle-cost.js [seconds=60]   (TWINBEAT_BIN=dist/twinbeat measures the single executable)

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../lab/netns-lab";
import { buildSeedTopology, writeSeedConfigs } from "../lab/seed-topology";
import { startNode, statusSeen, waitFor } from "../lab/lab-daemon";
import { cpuBetween, describeTree, treeCost, type TreeCost } from "./process-tree";

export interface NodeIdleCost {
  readonly node: string;
  readonly processes: number;
  /** Process names and RSS, e.g. "twinbeat 40.1 MB, ping 1.0 MB (2)". */
  readonly tree: string;
  readonly rssMb: number;
  readonly pssMb: number;
  readonly cpuSPerMin: number;
  /** Per process: name, RSS MB, PSS MB, CPU s per minute. */
  readonly perProcess: readonly { comm: string; rssMb: number; pssMb: number; cpuSPerMin: number }[];
}

/** Sums a node's tree at the end of the window; CPU over the window. */
export function idleFigures(node: string, before: TreeCost, after: TreeCost, seconds: number): NodeIdleCost {
  return {
    node,
    processes: after.processes.length,
    tree: describeTree(after),
    rssMb: after.rssKb / 1024,
    pssMb: after.pssKb / 1024,
    cpuSPerMin: (cpuBetween(before, after) * 60) / seconds,
    perProcess: after.processes.map((p) => ({
      comm: p.comm,
      rssMb: p.rssKb / 1024,
      pssMb: p.pssKb / 1024,
      cpuSPerMin: ((p.cpuS - (before.processes.find((q) => q.pid === p.pid)?.cpuS ?? 0)) * 60) / seconds,
    })),
  };
}

/** Samples `roots()` before and after `seconds` of idling; returns one row per node. */
export async function measureIdle(roots: () => Record<string, number[]>, seconds: number): Promise<NodeIdleCost[]> {
  const at0 = Object.entries(roots()).map(([n, pids]) => [n, treeCost(pids)] as const);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const now = roots();
  return at0.map(([n, before]) => idleFigures(n, before, treeCost(now[n] ?? []), seconds));
}

/** The seed's pair (ping 198.51.100.2 192.0.2.7, respawn ipfail) at keepalive 200ms / deadtime 1 s, idling in a lab. */
export async function twinbeatIdleCost(seconds: number, settleS = 10): Promise<{ nodes: NodeIdleCost[]; lateHeartbeats: boolean }> {
  const work = mkdtempSync(join(tmpdir(), "tb-bench-"));
  try {
    return await NetnsLab.withLab(
      async (lab) => {
        await buildSeedTopology(lab, { nodeNames: "short" });
        const cfg = writeSeedConfigs(join(work, "etc"), {
          nodeNames: "short",
          haCfOverrides: { keepalive: "200ms", deadtime: "1", warntime: "500ms", initdead: "3" },
        });
        const nodes = [startNode(lab, "srv5", "srv5", cfg.dirs.srv5, work), startNode(lab, "srv6", "srv6", cfg.dirs.srv6, work)];
        await waitFor(
          "both active",
          async () => (await statusSeen(nodes[0]!, "srv6")) === "active" && (await statusSeen(nodes[1]!, "srv5")) === "active",
          20_000,
        );
        await new Promise((r) => setTimeout(r, settleS * 1000)); // settle: JIT warm-up, the first GCs
        const rows = await measureIdle(() => Object.fromEntries(nodes.map((n) => [n.name, [n.proc.pid!]])), seconds);
        const lateHeartbeats = nodes.some((n) => /Late heartbeat/.test(lab.outputOf(n.proc)));
        return { nodes: rows, lateHeartbeats };
      },
      { deadlineMs: (seconds + settleS + 90) * 1000 },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 60);
  const { nodes, lateHeartbeats } = await twinbeatIdleCost(seconds);
  console.log(
    `Idle cost of the seed's pair (ucast eth1, ping nodes, ipfail) at keepalive 200ms, whole process tree per node, over ${seconds} s (${process.env.TWINBEAT_BIN ?? "node main.js"}):`,
  );
  for (const n of nodes) {
    console.log(
      `  ${n.node}: ${n.cpuSPerMin.toFixed(3)} s CPU per minute, RSS ${n.rssMb.toFixed(1)} MB, PSS ${n.pssMb.toFixed(1)} MB (${n.processes} processes: ${n.tree})`,
    );
  }
  if (process.env.TWINBEAT_BENCH_VERBOSE)
    for (const n of nodes)
      for (const p of n.perProcess)
        console.log(`    ${n.node} ${p.comm}: RSS ${p.rssMb.toFixed(1)} MB, PSS ${p.pssMb.toFixed(1)} MB, ${p.cpuSPerMin.toFixed(3)} s CPU/min`);
  console.log(`  late heartbeats logged: ${lateHeartbeats ? "yes" : "none"}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
