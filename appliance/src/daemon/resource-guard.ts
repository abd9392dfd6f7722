// The resource guard: a companion process that releases the daemon's groups if the daemon dies without stopping.

import { spawn, type ChildProcess } from "node:child_process";
import type { ClusterConfig, ResourceGroup } from "../config/cluster-config";
import type { GroupOutcome } from "../resources/resource-group-runner";
import type { LogLevel } from "../cluster/cluster-actions";
import { isIpAgent } from "../config/builtin-agents";
import { HeartbeatLogger } from "../adapters/heartbeat-logger";
import { monotonicNow } from "../adapters/monotonic-clock";
import { createGroupRunner } from "./group-runner-factory";
import type { GuardPort, GuardReport, GuardSpec } from "./daemon-ports";
import { GUARD_SH, guardShell } from "./resource-guard-sh";

/**
 * Why it exists: when the daemon is killed (kill -9, OOM, a crash) its resources stay
 * up, while the peer, after deadtime, starts them too: two nodes answering for one
 * VIP. The guard holds the read end of a pipe from the daemon; the daemon tells it
 * which groups it holds after every change, and says `clean` before a normal exit.
 * If the pipe closes without `clean`, the daemon died: the guard stops the groups it
 * last held (right to left, like a release) well before the peer's deadtime runs
 * out, and exits. It never kills anything by name and never reboots.
 *
 * A daemon can also stop running without dying (SIGSTOP, a swap storm, a starved CPU):
 * its heartbeats stop, the peer takes over after deadtime, and the frozen node would
 * still answer ARP for the VIP. So the daemon also sends `tick` (with its steps, every half keepalive to one keepalive);
 * when ticks stop for longer than `stallLimitMs(config)` (the peer's deadtime less a
 * margin), the guard removes the held groups' IP addresses at once (only those: the
 * rest is the daemon's to stop when it wakes) and writes `dropped ["key",…]` back on
 * its stdout, a pipe the daemon reads when it runs again (GuardReport).
 */
export class ResourceGuardLink implements GuardPort {
  readonly #child: ChildProcess | undefined;

  constructor(argvPrefix: readonly string[], spec: GuardSpec) {
    try {
      const [file, ...args] = guardArgv(argvPrefix, spec);
      const child = spawn(file!, args, {
        // Its own process group: a signal to the daemon's group (SIGSTOP included) must not reach the guard.
        detached: true,
        stdio: ["pipe", "pipe", "inherit"],
      });
      child.on("error", (err) => spec.onError(`Cannot start the resource guard: ${err.message}`));
      child.stdin?.on("error", () => undefined);
      let buf = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        buf += chunk.toString("utf8");
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const report = parseGuardLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (report) spec.onReport(report);
        }
        if (buf.length > 65536) buf = "";
      });
      // The daemon's event loop must not be kept alive by the guard's pipes.
      child.unref();
      (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
      (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      this.#child = child;
    } catch (err) {
      spec.onError(`Cannot start the resource guard: ${(err as Error).message}`);
    }
  }

  /** Tells the guard which groups are held now. */
  held(keys: readonly string[]): void {
    this.#child?.stdin?.write(`held ${JSON.stringify(keys)}\n`);
  }

  tick(): void {
    if (this.#child?.stdin?.writable && this.#child.stdin.writableLength < 4096) this.#child.stdin.write("tick\n");
  }

  /** The daemon applied a reload: the guard re-reads the same files (groups, deadtime). */
  reload(): void {
    this.#child?.stdin?.write("reload\n");
  }

  /** Normal exit: everything was released; the guard just goes away. */
  clean(): void {
    this.#child?.stdin?.end("clean\n");
  }
}

/**
 * How the daemon starts its guard: the shell loop (resource-guard-sh.ts) where a shell with
 * `read -t` exists, else `twinbeat resource-guard` (a second Node runtime). TWINBEAT_GUARD=node
 * forces the latter.
 */
export function guardArgv(argvPrefix: readonly string[], spec: Pick<GuardSpec, "configDir" | "localNode">, shell = guardShell()): string[] {
  if (shell) return [...shell, "-c", GUARD_SH, "twinbeat-guard", spec.configDir, spec.localNode, ...argvPrefix];
  return [...argvPrefix, "resource-guard", "--config-dir", spec.configDir, "--node-name", spec.localNode];
}

/** One line from the guard's stdout: `dropped ["key",…]`. */
export function parseGuardLine(line: string): GuardReport | undefined {
  if (!line.startsWith("dropped ")) return undefined;
  try {
    const keys = (JSON.parse(line.slice(8)) as unknown[]).filter((k): k is string => typeof k === "string");
    return { droppedAddresses: keys };
  } catch {
    return undefined;
  }
}

/**
 * How long the daemon may be silent before the guard drops its addresses: the peer's
 * deadtime (the same ha.cf on both nodes) less a margin for removing them (a fifth of
 * deadtime, at least one keepalive). With deadtime 1 s and keepalive 200 ms: 800 ms.
 */
export function stallLimitMs(config: ClusterConfig): number {
  const { deadtimeMs, keepaliveMs } = config.ha;
  return Math.max(keepaliveMs, deadtimeMs - Math.max(keepaliveMs, Math.ceil(deadtimeMs / 5)));
}

/** The shortest interval between two ticks to the guard: half a keepalive (they ride on the daemon's steps, at least one a keepalive). */
export function guardTickMs(config: ClusterConfig): number {
  return Math.max(20, Math.floor(config.ha.keepaliveMs / 2));
}

/** A group with only its IP address resources (IPaddr, IPaddr2, IPv6addr). */
export function addressesOf(group: ResourceGroup): ResourceGroup {
  return { ...group, resources: group.resources.filter((r) => isIpAgent(r.name)) };
}

/**
 * The guard's decisions, without I/O: what the daemon said (held groups, ticks, clean),
 * and when its silence means the addresses must go. The process wrapper below feeds it
 * lines and a monotonic clock and carries out what it returns.
 */
export class GuardState {
  #limitMs: number;
  #held: string[] = [];
  /** Groups whose addresses were removed during the current stall. */
  readonly #dropped = new Set<string>();
  #lastTickAt: number | undefined;
  #clean = false;

  constructor(limitMs: number) {
    this.#limitMs = limitMs;
  }

  get held(): readonly string[] {
    return this.#held;
  }

  /** After a reload: deadtime or keepalive may have changed. */
  setLimit(limitMs: number): void {
    this.#limitMs = limitMs;
  }

  get clean(): boolean {
    return this.#clean;
  }

  /** One line from the daemon's pipe; returns the silence (ms) a tick ended, if it ended a stall with drops. */
  onLine(line: string, now: number): number | undefined {
    if (line === "clean") this.#clean = true;
    else if (line === "tick") {
      const silent = this.#lastTickAt === undefined ? 0 : now - this.#lastTickAt;
      this.#lastTickAt = now;
      if (this.#dropped.size > 0 && silent > this.#limitMs) return silent;
    } else if (line.startsWith("held ")) {
      try {
        this.#held = (JSON.parse(line.slice(5)) as unknown[]).filter((k): k is string => typeof k === "string");
        // A group the daemon released (and may take again later) is no longer "dropped".
        for (const k of [...this.#dropped]) if (!this.#held.includes(k)) this.#dropped.delete(k);
      } catch {
        // a torn line cannot come from a pipe write of one line; ignore it
      }
    }
    return undefined;
  }

  /**
   * Groups whose addresses must be removed now: held, not yet dropped, and the daemon
   * silent for longer than the limit. Guards of daemons that never ticked do nothing.
   */
  due(now: number): string[] {
    if (this.#lastTickAt === undefined || now - this.#lastTickAt <= this.#limitMs) return [];
    return this.#held.filter((k) => !this.#dropped.has(k));
  }

  silentMs(now: number): number {
    return this.#lastTickAt === undefined ? 0 : now - this.#lastTickAt;
  }

  /** Held groups whose addresses were not removed yet (what a stall would drop). */
  undropped(): string[] {
    return this.#held.filter((k) => !this.#dropped.has(k));
  }

  /** Groups whose addresses were removed during the current stall. */
  get dropped(): readonly string[] {
    return [...this.#dropped];
  }

  markDropped(keys: readonly string[]): readonly string[] {
    for (const k of keys) this.#dropped.add(k);
    return [...this.#dropped];
  }
}

/** `twinbeat resource-guard`: reads the daemon's pipe on stdin; releases the held groups if it closes uncleanly. */
export async function runResourceGuard(initial: ClusterConfig, now: () => number = monotonicNow, reread?: () => ClusterConfig | undefined): Promise<number> {
  let config = initial;
  const ha = config.ha;
  const logger = new HeartbeatLogger({
    program: "twinbeat-guard",
    ...(ha.logfile ? { logfile: ha.logfile } : {}),
    ...(ha.debugfile ? { debugfile: ha.debugfile } : {}),
    stderr: true,
  });
  // The daemon's signals (Ctrl-C in a foreground terminal) are not for the guard: it waits for the pipe.
  process.on("SIGINT", () => undefined);
  process.on("SIGHUP", () => undefined);
  process.stdout.on("error", () => undefined);
  // Ready before it is needed: on the daemon's death every millisecond counts against the peer's deadtime.
  const newRunner = (c: ClusterConfig) => createGroupRunner(c, (level, text) => logger.log(level, text, "ResourceManager"));
  let runner = newRunner(config);
  let limitMs = stallLimitMs(config);
  const state = new GuardState(limitMs);
  let dropping = false;
  let buf = "";
  const stallCheck = setInterval(
    () => {
      if (dropping) return;
      const keys = state.due(now());
      if (keys.length === 0) return;
      dropping = true;
      const toDrop = config.groups.filter((g) => keys.includes(g.key)).reverse();
      void (async () => {
        logger.log(
          "crit",
          `The Twinbeat daemon on ${config.localNode} has been silent for ${state.silentMs(now())} ms (frozen or starved; limit ${limitMs} ms): removing the addresses of ${keys.join(", ")} before the peer takes them over`,
        );
        for (const g of toDrop) {
          const outcome = await runner.stopGroup(addressesOf(g));
          if (outcome.kind === "failed") logger.log("crit", `Could not remove the addresses of ${g.key}: ${outcome.resource}: ${outcome.words}`);
        }
        const all = state.markDropped(keys);
        process.stdout.write(`dropped ${JSON.stringify(all)}\n`);
        logger.log("info", `Removed the addresses of ${keys.join(", ")}; the daemon is told when it runs again`);
        dropping = false;
      })();
    },
    Math.max(10, Math.min(100, Math.floor(ha.keepaliveMs / 4))),
  );
  process.stdin.on("data", (chunk) => {
    buf += chunk.toString("utf8");
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === "reload") {
        // The daemon applied a new configuration: new groups to release, maybe a new deadtime.
        const next = reread?.();
        if (next) {
          config = next;
          runner = newRunner(config);
          limitMs = stallLimitMs(config);
          state.setLimit(limitMs);
        }
        continue;
      }
      const stall = state.onLine(line, now());
      if (stall !== undefined) logger.log("warn", `The Twinbeat daemon on ${config.localNode} runs again after ${stall} ms of silence`);
    }
  });
  await new Promise<void>((resolve) => process.stdin.on("close", resolve).on("end", resolve));
  clearInterval(stallCheck);
  const held = state.held;
  if (state.clean || held.length === 0) {
    await logger.close();
    return 0;
  }
  const failed = await releaseHeld(config, held, runner, logger);
  await logger.close();
  return failed ? 1 : 0;
}

/**
 * After the daemon died without releasing: every address first (the peer takes over after its
 * deadtime without waiting for us; milliseconds), then the groups stopped in order (services may
 * take seconds). Returns how many groups would not stop.
 */
export async function releaseHeld(
  config: ClusterConfig,
  held: readonly string[],
  runner: { dropAddresses(g: ResourceGroup): Promise<GroupOutcome>; stopGroup(g: ResourceGroup): Promise<GroupOutcome> },
  logger: { log(level: LogLevel, text: string): void },
): Promise<number> {
  logger.log(
    "crit",
    `The Twinbeat daemon on ${config.localNode} died without releasing its resources: releasing ${held.join(", ")} so that the peer alone serves them`,
  );
  const groups = config.groups.filter((g) => held.includes(g.key)).reverse();
  for (const g of groups) await runner.dropAddresses(g);
  let failed = 0;
  for (const g of groups) {
    const outcome = await runner.stopGroup(g);
    if (outcome.kind === "failed") {
      failed++;
      logger.log("crit", `Could not release ${g.key}: ${outcome.resource}: ${outcome.words}`);
    }
  }
  logger.log(failed ? "crit" : "info", failed ? `${failed} group(s) could not be released` : "Released every group the daemon held");
  return failed;
}
