// Reads a process and all its descendants from /proc: names, RSS, PSS and CPU seconds, summed per tree.

import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface ProcessCost {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** utime + stime, seconds. */
  readonly cpuS: number;
  readonly rssKb: number;
  /** Proportional set size (/proc/<pid>/smaps_rollup): shared pages split among their users. */
  readonly pssKb: number;
}

/** Parses /proc/<pid>/stat; undefined when the process is gone. */
function readStat(pid: number): { ppid: number; comm: string; cpuS: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const close = stat.lastIndexOf(")");
  const comm = stat.slice(stat.indexOf("(") + 1, close);
  const fields = stat.slice(close + 2).split(" ");
  // fields[0] is state (field 3 of the man page): ppid is field 4, utime 14, stime 15.
  return { ppid: Number(fields[1]), comm, cpuS: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS };
}

function kbField(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

/** One process's cost now, or undefined when it has exited. */
export function processCost(pid: number): ProcessCost | undefined {
  const st = readStat(pid);
  if (!st) return undefined;
  try {
    const rssKb = kbField(readFileSync(`/proc/${pid}/status`, "utf8"), "VmRSS");
    const pssKb = kbField(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"), "Pss");
    return { pid, ppid: st.ppid, comm: st.comm, cpuS: st.cpuS, rssKb, pssKb };
  } catch {
    return undefined;
  }
}

/** `root` and every process descended from it (children found through their ppid), root first. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(Number(name));
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  if (readStat(root)) walk(root);
  return out;
}

export interface TreeCost {
  readonly processes: readonly ProcessCost[];
  readonly rssKb: number;
  readonly pssKb: number;
  readonly cpuS: number;
}

/** The cost of `roots` and their descendants, each process once, leaving out those `exclude` names. */
export function treeCost(roots: readonly number[], exclude: (p: ProcessCost) => boolean = () => false): TreeCost {
  const seen = new Set<number>();
  const processes: ProcessCost[] = [];
  for (const root of roots) {
    for (const pid of processTree(root)) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      const c = processCost(pid);
      if (c && !exclude(c)) processes.push(c);
    }
  }
  return {
    processes,
    rssKb: processes.reduce((s, p) => s + p.rssKb, 0),
    pssKb: processes.reduce((s, p) => s + p.pssKb, 0),
    cpuS: processes.reduce((s, p) => s + p.cpuS, 0),
  };
}

/**
 * CPU seconds a set of processes used between two readings: processes present in both are
 * compared; one that appeared later (a respawned ping) counts in full; one that went away is lost
 * (its time is not readable any more), which the caller reports as a changed process count.
 */
export function cpuBetween(before: TreeCost, after: TreeCost): number {
  const was = new Map(before.processes.map((p) => [p.pid, p.cpuS]));
  return after.processes.reduce((s, p) => s + (p.cpuS - (was.get(p.pid) ?? 0)), 0);
}

/** "twinbeat 41.2 MB, logger 1.9 MB, ping 1.1 MB ×2": the tree's processes by name. */
export function describeTree(t: TreeCost): string {
  const byName = new Map<string, { n: number; rssKb: number }>();
  for (const p of t.processes) {
    const e = byName.get(p.comm) ?? { n: 0, rssKb: 0 };
    e.n++;
    e.rssKb += p.rssKb;
    byName.set(p.comm, e);
  }
  return [...byName.entries()].map(([name, e]) => `${name} ${(e.rssKb / 1024).toFixed(1)} MB${e.n > 1 ? ` (${e.n})` : ""}`).join(", ");
}
