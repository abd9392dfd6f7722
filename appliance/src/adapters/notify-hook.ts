// The notify hook (keepalived-style): runs twinbeat.cf's `notify` script on every resource group transition, one at a time, never blocking the daemon.

import type { LogLevel } from "../cluster/cluster-actions";
import { runProcess, type CommandRunner } from "./process-runner";

/** The words the script gets as its second argument. */
export type NotifyState = "ACQUIRED" | "RELEASED" | "FAILED";

export interface NotifyHookOptions {
  /** Absolute path of the program (`notify /path/script` in twinbeat.cf). */
  readonly script: string;
  /** This node's name, passed as the third argument. */
  readonly nodeName: string;
  readonly log: (level: LogLevel, text: string) => void;
  /** A run longer than this is killed (SIGTERM, then SIGKILL 2 s later). Default 10000 ms. */
  readonly timeoutMs?: number;
  /** Runs waiting at most; when full the oldest waiting one is dropped (and logged). Default 32. */
  readonly maxQueue?: number;
  /** Output lines logged per run and stream at most. Default 20. */
  readonly maxOutputLines?: number;
  /** How the script is run. Default runProcess (tests may substitute). */
  readonly runner?: CommandRunner;
}

interface Job {
  readonly group: string;
  readonly state: NotifyState;
}

/** Grace between SIGTERM and SIGKILL to the process group of a script past its timeout. */
const KILL_GRACE_MS = 2000;
/** Longest output line logged. */
const MAX_LINE_CHARS = 300;

/**
 * `script GROUP STATE NODE` — e.g. `/etc/ha.d/notify.sh IPaddr::198.51.100.100/32 ACQUIRED srv5` —
 * also given as TWINBEAT_GROUP, TWINBEAT_STATE and TWINBEAT_NODE in its environment.
 * Runs are queued and run one after another in order (a release is never reported after
 * the acquisition that followed it); the queue is bounded; each run has a timeout; its
 * stdout goes to the log as info, its stderr as warnings. Nothing here throws into the
 * caller or waits for the script.
 */
export class NotifyHook {
  readonly #opts: NotifyHookOptions;
  readonly #runner: CommandRunner;
  readonly #queue: Job[] = [];
  #running: Promise<void> | undefined;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  #runs = 0;
  #dropped = 0;

  constructor(options: NotifyHookOptions) {
    this.#opts = options;
    this.#runner = options.runner ?? runProcess;
  }

  /** Queues one run for a group's transition; returns at once. */
  transition(group: string, state: NotifyState): void {
    if (this.#closed) return;
    const max = this.#opts.maxQueue ?? 32;
    if (this.#queue.length >= max) {
      const lost = this.#queue.shift()!;
      this.#dropped++;
      this.#opts.log("warn", `notify: queue full (${max} waiting): not reporting ${lost.group} ${lost.state}`);
    }
    this.#queue.push({ group, state });
    if (!this.#running) this.#running = this.#drain();
  }

  /** Maps the core's transition words. */
  static stateOf(state: "acquired" | "released" | "failed"): NotifyState {
    return state === "acquired" ? "ACQUIRED" : state === "released" ? "RELEASED" : "FAILED";
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Accepts no more runs; waits for the queued ones (each still bounded by its timeout). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  /** Runs started so far, and runs dropped because the queue was full. */
  get counts(): { readonly runs: number; readonly dropped: number } {
    return { runs: this.#runs, dropped: this.#dropped };
  }

  async #drain(): Promise<void> {
    // Off the caller's stack: spawning a process costs a millisecond or two.
    await new Promise((r) => setImmediate(r));
    while (this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      try {
        await this.#run(job);
      } catch (err) {
        this.#opts.log("error", `notify: ${this.#opts.script}: ${(err as Error).message}`);
      }
    }
    this.#running = undefined;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  async #run(job: Job): Promise<void> {
    const { script, nodeName, log } = this.#opts;
    const timeoutMs = this.#opts.timeoutMs ?? 10_000;
    const maxLines = this.#opts.maxOutputLines ?? 20;
    const what = `${job.group} ${job.state}`;
    this.#runs++;
    const lines = { stdout: 0, stderr: 0 };
    const started = performance.now();
    const result = await this.#runner(script, [job.group, job.state, nodeName], {
      env: { ...process.env, TWINBEAT_GROUP: job.group, TWINBEAT_STATE: job.state, TWINBEAT_NODE: nodeName },
      timeoutMs,
      killGraceMs: KILL_GRACE_MS,
      onLine: (line, stream) => {
        if (line === "") return;
        lines[stream]++;
        if (lines[stream] > maxLines) return;
        const text = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 1)}…` : line;
        log(stream === "stdout" ? "info" : "warn", `notify ${what}: ${text}`);
      },
    });
    for (const stream of ["stdout", "stderr"] as const) {
      if (lines[stream] > maxLines) log("info", `notify ${what}: (${lines[stream] - maxLines} more ${stream} lines not logged)`);
    }
    switch (result.kind) {
      case "spawn-failed":
        log("error", `notify: ${result.message} (${result.errorCode})`);
        break;
      case "timed-out":
        log(
          "warn",
          `notify: ${script} ${what} still running after ${timeoutMs} ms: killed it and its process group (gone ${Math.round(performance.now() - started)} ms after the start)`,
        );
        break;
      case "aborted":
        break;
      case "exited":
        if (result.exitCode !== 0) log("warn", `notify: ${script} ${what} exited with ${result.exitCode} after ${result.durationMs} ms`);
        break;
    }
  }
}
