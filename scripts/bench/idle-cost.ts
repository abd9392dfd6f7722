// Benchmark: a Twinbeat pair idling at keepalive 200ms in namespaces; prints CPU seconds per minute and RSS per daemon.
// Usage (root): node .out/scripts/bench/idle-cost.js [seconds=60]

import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../lab/netns-lab";
import { buildSeedTopology, writeSeedConfigs } from "../lab/seed-topology";
import { startNode, statusSeen, waitFor } from "../lab/lab-daemon";

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 60);
  const work = mkdtempSync(join(tmpdir(), "tb-bench-"));
  try {
    await NetnsLab.withLab(async (lab) => {
      await buildSeedTopology(lab, { nodeNames: "short" });
      const cfg = writeSeedConfigs(join(work, "etc"), {
        nodeNames: "short",
        haCfOverrides: { keepalive: "200ms", deadtime: "1", warntime: "500ms", initdead: "3", respawn: null, ping: null, apiauth: null },
        extraHaCf: ["bcast eth0"],
      });
      const nodes = [startNode(lab, "srv5", "srv5", cfg.dirs.srv5, work), startNode(lab, "srv6", "srv6", cfg.dirs.srv6, work)];
      await waitFor("both active", async () => (await statusSeen(nodes[0]!, "srv6")) === "active" && (await statusSeen(nodes[1]!, "srv5")) === "active", 15_000);
      await new Promise((r) => setTimeout(r, 10_000)); // settle: JIT warm-up, the first GCs
      const before = nodes.map((n) => cpuSeconds(n.proc.pid!));
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const after = nodes.map((n) => cpuSeconds(n.proc.pid!));
      console.log(`Idle cost at keepalive 200ms, two media (ucast eth1 + bcast eth0), over ${seconds} s:`);
      nodes.forEach((n, i) => {
        const perMinute = ((after[i]! - before[i]!) * 60) / seconds;
        console.log(`  ${n.name}: ${perMinute.toFixed(2)} s CPU per minute, RSS ${rssMb(n.proc.pid!).toFixed(1)} MB (1 process)`);
      });
      const late = nodes.some((n) => /Late heartbeat/.test(lab.outputOf(n.proc)));
      console.log(`  late heartbeats logged: ${late ? "yes" : "none"}`);
    }, { deadlineMs: (seconds + 60) * 1000 });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
