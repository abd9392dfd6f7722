// The daemon's pid file in the run dir: who is running, for `-k`, `-s`, `-r` and the already-running check.

import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

export function pidFilePath(runDir: string): string {
  return join(runDir, "heartbeat.pid");
}

/**
 * `<pid> <start time>` of the daemon that wrote the pid file. heartbeat.pid itself holds
 * only the pid, as Heartbeat's does (init scripts and the image's status page `cat` it);
 * the start time (field 22 of /proc/<pid>/stat, clock ticks since boot) lives beside it.
 */
export function pidStartPath(runDir: string): string {
  return join(runDir, "heartbeat.pid.start");
}

/** What /proc tells about one process: its state letter, start time and command line. */
export interface ProcessFacts {
  readonly state: string;
  readonly startTime: string;
  readonly argv: readonly string[];
}

/** Reads /proc/<pid>/stat and cmdline; undefined when the process does not exist. */
export function processFacts(pid: number, procDir = "/proc"): ProcessFacts | undefined {
  try {
    const stat = readFileSync(join(procDir, String(pid), "stat"), "utf8");
    // "pid (comm) S ppid …": comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmdline = readFileSync(join(procDir, String(pid), "cmdline"), "utf8");
    return { state: fields[0] ?? "?", startTime: fields[19] ?? "", argv: cmdline.split("\0").filter((a) => a !== "") };
  } catch {
    return undefined;
  }
}

/** Whether a command line is Twinbeat's daemon: `heartbeat …` (a link), or `twinbeat heartbeat …`, `node …/main.js heartbeat …`. */
export function looksLikeDaemon(argv: readonly string[]): boolean {
  return argv.some((a) => basename(a) === "heartbeat");
}

/**
 * The pid of a live daemon recorded in `runDir`, or undefined: no file, garbage, a pid
 * that is gone, a zombie (killed, not yet reaped by init), our own pid (a restarted
 * daemon that got its predecessor's number), or a pid now used by another program (its
 * command line is not a daemon's, or its start time is not the one recorded).
 */
export function runningPid(runDir: string, procDir = "/proc"): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidFilePath(runDir), "utf8").trim();
  } catch {
    return undefined;
  }
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return undefined;
  const facts = processFacts(pid, procDir);
  if (!facts) return aliveBySignal(pid);
  if (facts.state === "Z" || facts.state === "X") return undefined;
  if (!looksLikeDaemon(facts.argv)) return undefined;
  const recorded = recordedStart(runDir, pid);
  if (recorded !== undefined && recorded !== facts.startTime) return undefined;
  return pid;
}

/** Without /proc (not Linux): kill(pid, 0), the old check. */
function aliveBySignal(pid: number): number | undefined {
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive but not ours to signal; still running.
    return (err as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined;
  }
}

function recordedStart(runDir: string, pid: number): string | undefined {
  try {
    const [p, start] = readFileSync(pidStartPath(runDir), "utf8").trim().split(" ");
    return p === String(pid) ? start : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(runDir: string, pid: number, procDir = "/proc"): void {
  const start = processFacts(pid, procDir)?.startTime;
  if (start) writeFileSync(pidStartPath(runDir), `${pid} ${start}\n`, { mode: 0o644 });
  writeFileSync(pidFilePath(runDir), `${pid}\n`, { mode: 0o644 });
}

/** Removes the pid file if it still names `pid` (a newer daemon's file is left alone). */
export function removePidFile(runDir: string, pid: number): void {
  try {
    if (readFileSync(pidFilePath(runDir), "utf8").trim() === String(pid)) {
      unlinkSync(pidFilePath(runDir));
      unlinkSync(pidStartPath(runDir));
    }
  } catch {
    // already gone
  }
}
