// `respawn user /path args`: children started once communication is up, restarted when they exit, as Heartbeat does.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import type { RespawnConfig } from "../config/cluster-config";

/** Heartbeat gives up on a child that died more than this many times, each within SHORT_LIFE_MS of its start. */
const MAX_QUICK_DEATHS = 10;
const SHORT_LIFE_MS = 30_000;
/** Exit code with which a child asks not to be restarted. */
const NO_RESTART_EXIT = 100;

interface Supervised {
  readonly config: RespawnConfig;
  child: ChildProcess | undefined;
  startedAt: number;
  quickDeaths: number;
}

export class RespawnSupervisor {
  readonly #entries: Supervised[];
  readonly #log: (level: "info" | "warn" | "error", text: string) => void;
  readonly #env: NodeJS.ProcessEnv;
  #stopping = false;

  constructor(configs: readonly RespawnConfig[], log: (level: "info" | "warn" | "error", text: string) => void, env: NodeJS.ProcessEnv) {
    this.#entries = configs.map((config) => ({ config, child: undefined, startedAt: 0, quickDeaths: 0 }));
    this.#log = log;
    this.#env = env;
  }

  start(): void {
    for (const e of this.#entries) this.#start(e);
  }

  /** Stops the children in reverse order (SIGTERM), as Heartbeat does at shutdown. */
  stop(): void {
    this.#stopping = true;
    for (const e of [...this.#entries].reverse()) e.child?.kill("SIGTERM");
  }

  #start(e: Supervised): void {
    if (this.#stopping) return;
    const ids = userIds(e.config.user);
    if (!ids) {
      this.#log("error", `Cannot start "${e.config.command}": unknown user "${e.config.user}" (${e.config.at.file}:${e.config.at.line})`);
      return;
    }
    this.#log("info", `Starting child client "${[e.config.command, ...e.config.args].join(" ")}" (${ids.uid},${ids.gid})`);
    const child = spawn(e.config.command, [...e.config.args], { stdio: ["ignore", "ignore", "inherit"], uid: ids.uid, gid: ids.gid, env: this.#env });
    e.child = child;
    e.startedAt = Date.now();
    child.on("error", (err) => this.#log("error", `Cannot start "${e.config.command}": ${err.message}`));
    child.on("exit", (code, signal) => {
      e.child = undefined;
      if (this.#stopping) return;
      if (code === NO_RESTART_EXIT) {
        this.#log("info", `Child client "${e.config.command}" exited with ${NO_RESTART_EXIT}: not restarting it`);
        return;
      }
      const lived = Date.now() - e.startedAt;
      e.quickDeaths = lived < SHORT_LIFE_MS ? e.quickDeaths + 1 : 0;
      if (e.quickDeaths > MAX_QUICK_DEATHS) {
        this.#log("error", `Client "${e.config.command}" respawning too fast: not restarting it`);
        return;
      }
      this.#log("warn", `Managed child "${e.config.command}" exited (${signal ?? code}); restarting it`);
      setTimeout(() => this.#start(e), 1000).unref();
    });
  }
}

/** uid and gid of `user` (numeric or a name from the passwd database), or undefined. */
function userIds(user: string): { uid: number; gid: number } | undefined {
  if (/^\d+$/.test(user)) return { uid: Number(user), gid: Number(user) };
  // Once per child start, never on the heartbeat path.
  const r = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const g = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (r.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}
