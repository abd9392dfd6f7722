// `respawn user /path args`: children started once communication is up, restarted when they exit, as Heartbeat does.

import type { RespawnConfig } from "../config/cluster-config";
import { monotonicNow } from "./monotonic-clock";
import { runProcess, type CommandRunner, type ProcessResult } from "./process-runner";

/** Heartbeat gives up on a child that died more than this many times, each within SHORT_LIFE_MS of its start. */
const MAX_QUICK_DEATHS = 10;
const SHORT_LIFE_MS = 30_000;
/** Exit code with which a child asks not to be restarted. */
const NO_RESTART_EXIT = 100;
/** Pause before a child that exited is started again. */
const RESTART_DELAY_MS = 1000;
/** Longest wait for the passwd lookup of `respawn USER` (`id`, which may ask NSS: LDAP, …). */
const USER_LOOKUP_TIMEOUT_MS = 10_000;
/** At stop, SIGTERM to a child's process group, SIGKILL this much later if it is still there. */
const STOP_GRACE_MS = 2000;

type Log = (level: "info" | "warn" | "error", text: string) => void;

/** What the supervisor uses from outside; tests substitute them. */
export interface RespawnSupervisorDeps {
  /** Runs the children and the user lookups. Default runProcess. */
  readonly runner?: CommandRunner;
  /** Monotonic milliseconds for the quick-death count (never the wall clock: NTP steps it). Default monotonicNow. */
  readonly now?: () => number;
  /** Default 1000 ms. */
  readonly restartDelayMs?: number;
}

interface Supervised {
  readonly config: RespawnConfig;
  /** Aborting it stops the running child (its process group). */
  running: AbortController | undefined;
  startedAt: number;
  quickDeaths: number;
}

/**
 * Starts each `respawn` child through the process runner (its own process group, output
 * decoded whole: stderr lines go to the log as warnings, stdout is dropped as Heartbeat's
 * /dev/null would) and restarts it when it exits, unless it exits with 100, is stopped, or
 * dies young too often. Nothing here blocks the event loop: the user's ids are looked up
 * with an asynchronous `id`.
 */
export class RespawnSupervisor {
  readonly #entries: Supervised[];
  readonly #log: Log;
  readonly #env: NodeJS.ProcessEnv;
  readonly #runner: CommandRunner;
  readonly #now: () => number;
  readonly #restartDelayMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopping = false;

  constructor(configs: readonly RespawnConfig[], log: Log, env: NodeJS.ProcessEnv, deps: RespawnSupervisorDeps = {}) {
    this.#entries = configs.map((config) => ({ config, running: undefined, startedAt: 0, quickDeaths: 0 }));
    this.#log = log;
    this.#env = env;
    this.#runner = deps.runner ?? runProcess;
    this.#now = deps.now ?? monotonicNow;
    this.#restartDelayMs = deps.restartDelayMs ?? RESTART_DELAY_MS;
  }

  start(): void {
    for (const e of this.#entries) void this.#start(e);
  }

  /** Stops the children in reverse order (SIGTERM to each one's process group), as Heartbeat does at shutdown. */
  stop(): void {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const e of [...this.#entries].reverse()) e.running?.abort();
  }

  async #start(e: Supervised): Promise<void> {
    if (this.#stopping) return;
    const { command, args, user, at } = e.config;
    const ids = await userIds(user, this.#runner, this.#env);
    if (this.#stopping) return;
    if (!ids) {
      this.#log("error", `Cannot start "${command}": unknown user "${user}" (${at.file}:${at.line})`);
      return;
    }
    this.#log("info", `Starting child client "${[command, ...args].join(" ")}" (${ids.uid},${ids.gid})`);
    const running = new AbortController();
    e.running = running;
    e.startedAt = this.#now();
    const result = await this.#runner(command, args, {
      env: this.#env,
      uid: ids.uid,
      gid: ids.gid,
      timeoutMs: undefined,
      killGraceMs: STOP_GRACE_MS,
      signal: running.signal,
      onLine: (line, stream) => {
        if (stream === "stderr" && line !== "") this.#log("warn", `${command}: ${line}`);
      },
    });
    e.running = undefined;
    this.#exited(e, result);
  }

  #exited(e: Supervised, result: ProcessResult): void {
    const { command } = e.config;
    if (result.kind === "spawn-failed") {
      this.#log("error", `Cannot start "${command}": ${result.message}`);
      return;
    }
    if (this.#stopping || result.kind === "aborted") return;
    const code = result.kind === "exited" ? result.exitCode : undefined;
    if (code === NO_RESTART_EXIT) {
      this.#log("info", `Child client "${command}" exited with ${NO_RESTART_EXIT}: not restarting it`);
      return;
    }
    const lived = this.#now() - e.startedAt;
    e.quickDeaths = lived < SHORT_LIFE_MS ? e.quickDeaths + 1 : 0;
    if (e.quickDeaths > MAX_QUICK_DEATHS) {
      this.#log("error", `Client "${command}" respawning too fast: not restarting it`);
      return;
    }
    this.#log("warn", `Managed child "${command}" exited (${code ?? result.kind}); restarting it`);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#start(e);
    }, this.#restartDelayMs);
    timer.unref();
    this.#timers.add(timer);
  }
}

/** uid and gid of `user` (numeric, or a name the passwd database knows, NSS included), or undefined. */
async function userIds(user: string, runner: CommandRunner, env: NodeJS.ProcessEnv): Promise<{ uid: number; gid: number } | undefined> {
  if (/^\d+$/.test(user)) return { uid: Number(user), gid: Number(user) };
  const id = async (flag: "-u" | "-g"): Promise<number | undefined> => {
    const r = await runner("id", [flag, user], { env, timeoutMs: USER_LOOKUP_TIMEOUT_MS });
    if (r.kind !== "exited" || r.exitCode !== 0 || !/^\d+\n?$/.test(r.stdout)) return undefined;
    return Number(r.stdout.trim());
  };
  const [uid, gid] = await Promise.all([id("-u"), id("-g")]);
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}
