// The one way Twinbeat runs an external program (resource agents, the notify hook, respawn children): its own process group, a timeout, output decoded whole.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { StringDecoder } from "node:string_decoder";

export type OutputStream = "stdout" | "stderr";

export interface RunProcessOptions {
  /** The complete environment of the child (callers merge process.env themselves). Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** How long the program may run before its process group is killed. Undefined: no limit (a supervised child). */
  readonly timeoutMs: number | undefined;
  /** Time between SIGTERM and SIGKILL to the process group. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** How much of the combined stdout+stderr is kept for the result. Default 2048 characters. */
  readonly tailChars?: number;
  /** How much of stdout is kept in full (status text is read from it). Default 64 KiB. */
  readonly maxStdoutChars?: number;
  /** Called for every complete output line, in arrival order. */
  readonly onLine?: (line: string, stream: OutputStream, pid: number) => void;
  /** Aborting kills the process group like a timeout does. */
  readonly signal?: AbortSignal;
  /** Run as this user and group (the daemon runs as root; `respawn USER …`). Default: ours. */
  readonly uid?: number;
  readonly gid?: number;
  /** Called once the program runs, with its pid (= its process group id). */
  readonly onSpawn?: (pid: number) => void;
}

/** How a run ended. Never thrown: a missing program is `spawn-failed`. */
export type ProcessResult =
  | {
      readonly kind: "exited";
      readonly pid: number;
      /** The exit status; 128 + signal number when the program died from a signal (shell convention). */
      readonly exitCode: number;
      readonly stdout: string;
      /** The tail of stdout and stderr interleaved. */
      readonly output: string;
      readonly durationMs: number;
    }
  | { readonly kind: "timed-out"; readonly pid: number; readonly afterMs: number; readonly stdout: string; readonly output: string }
  | { readonly kind: "aborted"; readonly pid: number; readonly stdout: string; readonly output: string }
  | { readonly kind: "spawn-failed"; readonly errorCode: string; readonly message: string };

/** The signature agents use to run programs, so tests and labs can substitute their own. */
export type CommandRunner = (file: string, args: readonly string[], options: RunProcessOptions) => Promise<ProcessResult>;

/**
 * How long to keep reading output after the program exited. The result waits for `exit`, not
 * `close`: a daemon the program started in the background may hold the pipes for ever.
 */
const DRAIN_AFTER_EXIT_MS = 200;
/** How long to wait for a SIGKILLed group to disappear before reporting anyway. */
const KILL_WAIT_MS = 1000;
/** How often to look whether a killed process group is empty yet. */
const GROUP_POLL_MS = 50;

/**
 * Runs `file args…` without a shell, in a new session (so a new process group whose id is
 * the child's pid). The group is signalled only on timeout or abort: a program that exits by
 * itself keeps whatever it started (an init script's daemon), and the result comes at most
 * DRAIN_AFTER_EXIT_MS after its exit even when such a daemon still holds stdout. Output is
 * decoded as UTF-8 per stream with a StringDecoder, so a character split across two reads
 * stays whole. Processes are only ever signalled by process-group id, never looked up by name.
 */
export function runProcess(file: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessResult> {
  const killGraceMs = options.killGraceMs ?? 2000;
  const tailChars = options.tailChars ?? 2048;
  const maxStdoutChars = options.maxStdoutChars ?? 64 * 1024;
  const started = performance.now();

  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(file, [...args], {
        env: options.env ?? process.env,
        cwd: options.cwd,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        ...(options.uid === undefined ? {} : { uid: options.uid }),
        ...(options.gid === undefined ? {} : { gid: options.gid }),
      });
    } catch (err) {
      resolve(spawnFailed(file, err));
      return;
    }

    let tail = "";
    let stdout = "";
    const partial: Record<OutputStream, string> = { stdout: "", stderr: "" };
    let exitCode: number | undefined;
    let ending: "timed-out" | "aborted" | undefined;
    let endingAt = 0;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const pid = child.pid;

    const emitLines = (stream: OutputStream, text: string): void => {
      const parts = (partial[stream] + text).split("\n");
      partial[stream] = parts.pop() ?? "";
      for (const part of parts) {
        options.onLine?.(part.replace(/\r$/, ""), stream, pid ?? 0);
      }
    };
    const flushLines = (stream: OutputStream): void => {
      if (partial[stream] !== "") {
        options.onLine?.(partial[stream].replace(/\r$/, ""), stream, pid ?? 0);
        partial[stream] = "";
      }
    };
    const decoders: Record<OutputStream, StringDecoder> = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
    const take = (stream: OutputStream, text: string): void => {
      if (text === "") {
        return;
      }
      tail = (tail + text).slice(-tailChars);
      if (stream === "stdout" && stdout.length < maxStdoutChars) {
        stdout = (stdout + text).slice(0, maxStdoutChars);
      }
      emitLines(stream, text);
    };
    const onData = (stream: OutputStream) => (chunk: Buffer) => take(stream, decoders[stream].write(chunk));
    child.stdout.on("data", onData("stdout"));
    child.stderr.on("data", onData("stderr"));

    const finish = (): void => {
      if (settled) {
        return;
      }
      settled = true;
      for (const timer of timers) {
        clearTimeout(timer);
      }
      options.signal?.removeEventListener("abort", onAbort);
      // An incomplete character left at the very end becomes U+FFFD, as a whole decode would make it.
      take("stdout", decoders.stdout.end());
      take("stderr", decoders.stderr.end());
      flushLines("stdout");
      flushLines("stderr");
      child.stdout.destroy();
      child.stderr.destroy();
      const output = tail;
      if (pid === undefined) {
        return;
      }
      if (ending === "timed-out") {
        resolve({ kind: "timed-out", pid, afterMs: Math.round(endingAt - started), stdout, output });
      } else if (ending === "aborted") {
        resolve({ kind: "aborted", pid, stdout, output });
      } else {
        resolve({ kind: "exited", pid, exitCode: exitCode ?? 1, stdout, output, durationMs: Math.round(performance.now() - started) });
      }
    };

    /** SIGTERM the group, wait for it to empty (at most the grace time), SIGKILL what is left, then finish. */
    const killGroup = (why: "timed-out" | "aborted"): void => {
      if (ending !== undefined || exitCode !== undefined || pid === undefined) {
        return;
      }
      ending = why;
      endingAt = performance.now();
      signalGroup(pid, "SIGTERM");
      const deadline = performance.now() + killGraceMs;
      const poll = (): void => {
        if (!groupExists(pid) || performance.now() >= deadline) {
          signalGroup(pid, "SIGKILL");
          const killDeadline = performance.now() + KILL_WAIT_MS;
          const pollKilled = (): void => {
            if (!groupExists(pid) || performance.now() >= killDeadline) {
              waitForExitThenFinish();
            } else {
              timers.push(setTimeout(pollKilled, GROUP_POLL_MS));
            }
          };
          pollKilled();
          return;
        }
        timers.push(setTimeout(poll, GROUP_POLL_MS));
      };
      timers.push(setTimeout(poll, GROUP_POLL_MS));
    };
    const waitForExitThenFinish = (): void => {
      if (exitCode !== undefined) {
        finish();
      } else {
        child.once("exit", () => finish());
      }
    };
    const onAbort = (): void => killGroup("aborted");

    if (pid === undefined) {
      // The program could not be started (ENOENT, EACCES…): Node reports it as an "error" event.
      child.once("error", (err) => {
        settled = true;
        resolve(spawnFailed(file, err));
      });
      return;
    }
    child.on("error", () => {
      // After a successful spawn, errors only concern signalling; the exit event still comes.
    });

    child.once("exit", (code, signal) => {
      exitCode = code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0);
      if (ending !== undefined) {
        return; // killGroup finishes once the group is gone
      }
      for (const timer of timers) {
        clearTimeout(timer);
      }
      // Give the pipes a moment to deliver the last output; a process that inherited them
      // (a daemon the script started) must not keep us waiting.
      let open = 2;
      const closed = (): void => {
        open -= 1;
        if (open === 0) {
          finish();
        }
      };
      for (const stream of [child.stdout, child.stderr]) {
        if (stream.closed) {
          closed();
        } else {
          stream.once("close", closed);
        }
      }
      timers.push(setTimeout(finish, DRAIN_AFTER_EXIT_MS));
    });

    options.onSpawn?.(pid);
    if (options.timeoutMs !== undefined) {
      timers.push(setTimeout(() => killGroup("timed-out"), options.timeoutMs));
    }
    if (options.signal?.aborted) {
      killGroup("aborted");
    } else {
      options.signal?.addEventListener("abort", onAbort, { once: true });
    }
  });
}

function spawnFailed(file: string, err: unknown): ProcessResult {
  const code = (err as NodeJS.ErrnoException).code ?? "EUNKNOWN";
  const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied (is it executable?)" : (err as Error).message || code;
  return { kind: "spawn-failed", errorCode: code, message: `cannot run ${file}: ${reason}` };
}

/** Sends a signal to every process of a group; a group that is already gone is fine. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left to signal.
  }
}

/**
 * True while a live process still belongs to the group. Zombies do not count: a killed
 * grandchild is re-parented to PID 1, which may be slow to reap it. Read from /proc; where
 * /proc cannot be read, any process of the group (zombies included) counts.
 */
function groupExists(pgid: number): boolean {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return signalZeroSucceeds(pgid);
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") {
      return true;
    }
  }
  return false;
}

function signalZeroSucceeds(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
