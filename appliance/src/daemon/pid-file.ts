// The daemon's pid file in the run dir: who is running, for `-k`, `-s` and the already-running check.

import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function pidFilePath(runDir: string): string {
  return join(runDir, "heartbeat.pid");
}

/** The pid of a live daemon recorded in `runDir`, or undefined (no file, garbage, or a stale pid). */
export function runningPid(runDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidFilePath(runDir), "utf8").trim();
  } catch {
    return undefined;
  }
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive but not ours to signal; still running.
    return (err as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined;
  }
}

export function writePidFile(runDir: string, pid: number): void {
  writeFileSync(pidFilePath(runDir), `${pid}\n`, { mode: 0o644 });
}

/** Removes the pid file if it still names `pid` (a newer daemon's file is left alone). */
export function removePidFile(runDir: string, pid: number): void {
  try {
    if (readFileSync(pidFilePath(runDir), "utf8").trim() === String(pid)) unlinkSync(pidFilePath(runDir));
  } catch {
    // already gone
  }
}
