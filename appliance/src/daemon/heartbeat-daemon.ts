// The driver loop: wires the pure cluster core to its ports (media, clock, pinger, group runner, logger, guard, status, control socket, signals).

import { ClusterNode, uuidText } from "../cluster/cluster-node";
import { HISTORY_SIZE } from "../cluster/reliable-delivery";
import type { ClusterAction, LogLevel } from "../cluster/cluster-actions";
import type { ClusterEvent } from "../cluster/cluster-events";
import type { ClusterConfig, ResourceGroup } from "../config/cluster-config";
import { formatDiagnostic } from "../config/format-diagnostic";
import type { NodeIdentity } from "../adapters/state-store";
import type { ReceivedDatagram } from "../adapters/udp-media";
import { stampControlFields, type ControlContext } from "../protocol/control-fields";
import { decodeDatagram, encodeDatagram } from "../protocol/wire-codec";
import { TWINBEAT_VERSION } from "../cli/version";
import { pingIntervalFor } from "../cluster/ping-liveness";
import { latest } from "../cluster/time";
import { coreOptionsFor, pingHosts } from "./core-options";
import type {
  CancelTimer,
  ChildrenPort,
  ControlServerPort,
  DaemonPorts,
  GroupRunnerPort,
  GuardPort,
  GuardReport,
  MediaPort,
  MonitorPort,
  PingerPort,
  StatusSinkPort,
} from "./daemon-ports";
import { guardTickMs } from "./resource-guard";
import { reloadPlan } from "./reload-plan";

export interface DaemonOptions {
  readonly config: ClusterConfig;
  readonly stateDir: string;
  readonly runDir: string;
  /** Every adapter (realPorts() for `heartbeat -f`, fakes in tests). */
  readonly ports: DaemonPorts;
  /** Extra debug level from `-d` flags, added to ha.cf's `debug` (kept across reloads). */
  readonly debugBoost?: number;
}

/** How often the `ld` field's /proc/loadavg text is refreshed (never read on the send path). */
const LOAD_REFRESH_MS = 5000;
/** Time for the shutdone datagrams to leave before the sockets close. */
const SHUTDOWN_LINGER_MS = 100;

/**
 * Signals that would end (or stop) a Node process by default and mean nothing to the
 * daemon: logged and ignored, so that a stray `kill -ALRM` or a Ctrl-Z in a terminal
 * never drops the node without releasing its groups. (SIGPIPE is ignored by Node
 * itself; SIGKILL and SIGSTOP cannot be caught: the resource guard covers those.)
 */
export const IGNORED_SIGNALS: readonly NodeJS.Signals[] = [
  "SIGQUIT",
  "SIGALRM",
  "SIGVTALRM",
  "SIGPROF",
  "SIGPOLL",
  "SIGPWR",
  "SIGSTKFLT",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGTRAP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
];

/** At most one log line per ignored signal in this window. */
const IGNORED_SIGNAL_LOG_INTERVAL_MS = 60_000;

/** Whether V8's sampling profiler runs in this process: it ticks with SIGPROF, which must then stay its own. */
export function profiling(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => a === "--prof" || a.startsWith("--cpu-prof"));
}

/**
 * One running Heartbeat node. Everything that decides lives in ClusterNode; this
 * class only turns datagrams, timer expiries and signals into events and carries out
 * the actions the core returns, in order.
 */
export class HeartbeatDaemon {
  readonly #opts: DaemonOptions;
  readonly #ports: DaemonPorts;
  /** The running configuration: replaced by a valid reload. */
  #config: ClusterConfig;
  /** Definitions of groups removed by a reload while still held, until they are stopped. */
  readonly #retiredGroups = new Map<string, ResourceGroup>();
  #identity!: NodeIdentity;
  #core!: ClusterNode;
  #media!: MediaPort;
  #control: ControlServerPort | undefined;
  #cancelWake: CancelTimer | undefined;
  /** The deadline the wake timer is armed for. */
  #armedAt: number | undefined;
  #cancelLoad: CancelTimer | undefined;
  #cancelTick: CancelTimer | undefined;
  #lastTickAt = 0;
  #load = "n/a";
  #exitResolve: ((code: number) => void) | undefined;
  #runner!: GroupRunnerPort;
  /** Group operations under way (the runner is replaced by a reload only when none is). */
  #operations = 0;
  #pendingRunnerConfig: ClusterConfig | undefined;
  #children: ChildrenPort | undefined;
  #pinger: PingerPort | undefined;
  /** Resource monitoring: runs checks and restarts for the core. */
  #monitors: MonitorPort | undefined;
  /** Respawned children start once communication is up, as in Heartbeat. */
  #childrenStarted = false;
  #guard: GuardPort | undefined;
  /** Peer UUIDs as bytes (for destuuid) and as last written to hostcache. */
  readonly #peerUuidBytes = new Map<string, Buffer>();
  /** Our last HISTORY_SIZE sequenced datagrams by seq, for retransmission. */
  readonly #history = new Map<number, Buffer>();
  /** Groups that run here now, for the guard. */
  readonly #held = new Set<string>();
  #stopping = false;
  #finished = false;
  /** Reloads run one at a time, in the order asked. */
  #reloading: Promise<void> = Promise.resolve();
  #status!: StatusSinkPort;

  constructor(options: DaemonOptions) {
    this.#opts = options;
    this.#ports = options.ports;
    this.#config = options.config;
  }

  /** The configuration in force (after the last valid reload). */
  get config(): ClusterConfig {
    return this.#config;
  }

  /** The core, read-only, for tests and the control socket. */
  get core(): ClusterNode {
    return this.#core;
  }

  /** Starts the node; resolves with the exit code once it has stopped. */
  async run(): Promise<number> {
    const { stateDir, runDir } = this.#opts;
    const ports = this.#ports;
    const config = this.#config;
    const ha = config.ha;
    ports.makeRunDir(runDir);
    this.#identity = ports.stateStore.loadIdentity(stateDir, ha.hbgenmethod);
    this.#log(
      "info",
      `Twinbeat ${TWINBEAT_VERSION} (Heartbeat 3.0.6 compatible) starting on node ${config.localNode}, generation ${this.#identity.generation}`,
    );
    this.#log("info", `Configuration validated. Starting heartbeat ${TWINBEAT_VERSION}`);
    const coreOptions = coreOptionsFor(config, this.#identity.generation);
    this.#core = new ClusterNode(coreOptions);
    this.#children = ports.createChildren(config, (level, text) => this.#log(level, text));
    this.#pinger = this.#createPinger(config);
    this.#runner = ports.createGroupRunner(config, (level, text) => ports.logger.log(level, text, "ResourceManager"));
    this.#monitors = this.#createMonitors(config);
    await this.#releaseLeftovers();
    this.#ensureGuard();
    this.#media = ports.createMedia({
      media: ha.media,
      onDatagram: (d) => this.#onDatagram(d),
      onLog: (level, text) => this.#log(level, text),
      onLinkChange: (link, up) => this.#step({ type: "media-changed", at: this.#ports.clock.now(), link, up }),
    });
    this.#status = this.#createStatus(config);
    // Before the media open: the page's worker must not delay the first datagrams.
    await this.#status.start();
    await this.#refreshLoad();
    await this.#media.open();
    for (const m of ha.media) {
      const target = m.kind === "ucast" ? ` to ${m.peer}` : m.kind === "mcast" ? ` group ${m.group}` : "";
      this.#log("info", `${m.kind}: started on port ${m.port} interface ${m.dev}${target}`);
    }
    this.#control = await ports.startControlServer(runDir, (req) => this.#onControl(req));
    ports.pidFile.write(runDir, ports.pid);
    const done = new Promise<number>((resolve) => (this.#exitResolve = resolve));
    this.#installSignals();
    this.#step({ type: "started", at: ports.clock.now() });
    this.#pinger?.start();
    this.#tickGuard();
    return done;
  }

  /** Graceful stop: the core releases what it must and sends shutdone, then we exit. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#step({ type: "shutdown-requested", at: this.#ports.clock.now() });
  }

  /**
   * SIGHUP / `heartbeat -r`: reopen the log files, re-read the four files and apply what
   * can change live (reload-plan.ts). An invalid configuration is logged with its
   * findings and the running one kept. Resolves when the reload has been applied.
   */
  reload(): Promise<void> {
    this.#reloading = this.#reloading
      .then(() => this.#reload())
      .catch((err: Error) => this.#log("error", `Reload failed: ${err.message}; the running configuration is kept`));
    return this.#reloading;
  }

  /** SIGUSR1 (+1) / SIGUSR2 (−1): Heartbeat's debug level, changed while running. */
  adjustDebug(delta: number): void {
    const logger = this.#ports.logger;
    logger.setDebugLevel(logger.debugLevel + delta);
    this.#log("info", `debug level now ${logger.debugLevel}`);
  }

  #installSignals(): void {
    const signals = this.#ports.signals;
    for (const sig of ["SIGTERM", "SIGINT"] as const) signals.on(sig, () => this.stop());
    signals.on("SIGHUP", () => void this.reload());
    signals.on("SIGUSR1", () => this.adjustDebug(+1));
    signals.on("SIGUSR2", () => this.adjustDebug(-1));
    // Logged once a minute per signal at most: a profiler's SIGPROF ticks (node --cpu-prof,
    // perf) or a terminal's SIGTTOU storm must not flood the log.
    const loggedAt = new Map<NodeJS.Signals, number>();
    for (const sig of IGNORED_SIGNALS) {
      if (sig === "SIGPROF" && profiling(process.execArgv)) continue; // the profiler's own ticks
      signals.on(sig, () => {
        const now = this.#ports.clock.now();
        const last = loggedAt.get(sig);
        if (last !== undefined && now - last < IGNORED_SIGNAL_LOG_INTERVAL_MS) return;
        loggedAt.set(sig, now);
        this.#log("warn", `${sig} received and ignored (stop the daemon with heartbeat -k or SIGTERM)`);
      });
    }
  }

  #onDatagram(d: ReceivedDatagram): void {
    if (this.#finished) return;
    const at = this.#ports.clock.now();
    const decoded = decodeDatagram(d.bytes, this.#config.authKeys);
    const fromAddress = `${d.from.address}:${d.from.port}`;
    if (decoded.ok) this.#step({ type: "message-received", at, link: d.link, fromAddress, message: decoded.message });
    else if (this.#config.ha.logBadpack)
      this.#step({ type: "datagram-rejected", at, link: d.link, fromAddress, reason: decoded.reason, detail: decoded.detail });
  }

  /** The one place events enter the core: step, carry out the actions, re-arm the timer. */
  #step(event: ClusterEvent): void {
    if (this.#finished) return;
    const actions = this.#core.step(event);
    this.#status.observe(actions);
    if (event.type === "message-received") this.#noteHostcache();
    for (const a of actions) this.#carryOut(a);
    if (this.#cancelTick && this.#ports.clock.now() - this.#lastTickAt >= guardTickMs(this.#config)) this.#tickGuard();
    this.#arm();
    if (!this.#childrenStarted && !this.#stopping && this.#core.commUp) {
      this.#childrenStarted = true;
      this.#children?.start();
    }
  }

  #carryOut(a: ClusterAction): void {
    switch (a.type) {
      case "log":
        this.#log(a.level, a.text);
        break;
      case "send": {
        const message = stampControlFields(a.body, a.seq, this.#controlContext());
        const bytes = encodeDatagram(message, this.#config.authKeys, { msgfmt: this.#config.ha.msgfmt });
        if (a.seq !== undefined) {
          // Kept for NS_rexmit: a retransmission is the same datagram, byte for byte.
          this.#history.set(a.seq, bytes);
          this.#history.delete(a.seq - HISTORY_SIZE);
        }
        this.#media.sendAll(bytes);
        break;
      }
      case "announce-group": {
        const group = this.#groupDef(a.key);
        if (group) void this.#runner.announceGroup(group);
        break;
      }
      case "retransmit": {
        const bytes = this.#history.get(a.seq);
        if (bytes) this.#media.sendAll(bytes);
        break;
      }
      case "shutdown-complete":
        this.#guard?.clean();
        this.#ports.clock.setTimer(SHUTDOWN_LINGER_MS, () => void this.#finish(0));
        break;
      case "run-check":
      case "restart-resource":
        this.#monitors?.carryOut(a);
        break;
      case "drop-addresses":
        for (const key of a.keys) {
          const group = this.#groupDef(key);
          if (!group) continue;
          void this.#runner.dropAddresses(group).then(
            (o) => o.kind === "failed" && this.#log("error", `Cannot remove the addresses of ${key} ahead of its release: ${o.resource}: ${o.words}`),
            (err: Error) => this.#log("error", `Cannot remove the addresses of ${key}: ${err.message}`),
          );
        }
        break;
      case "start-group":
      case "stop-group":
        void this.#runGroup(a.key, a.type === "start-group" ? "start" : "stop");
        break;
      case "report-transition":
        if (a.state === "acquired") this.#held.add(a.key);
        else if (a.state === "released") this.#held.delete(a.key);
        this.#guard?.held([...this.#held]);
        break;
    }
  }

  #groupDef(key: string): ResourceGroup | undefined {
    return this.#config.groups.find((g) => g.key === key) ?? this.#retiredGroups.get(key);
  }

  /**
   * Heartbeat's hostcache (`name<TAB>uuid<TAB>weight<TAB>site` in the state dir): written
   * when a peer's UUID is first learnt or changes, asynchronously, never per packet.
   */
  #noteHostcache(): void {
    const uuids = this.#core.peerUuids();
    let changed = false;
    for (const [name, text] of uuids) {
      const bytes = Buffer.from(text.replace(/-/g, ""), "hex");
      if (!this.#peerUuidBytes.get(name)?.equals(bytes)) {
        this.#peerUuidBytes.set(name, bytes);
        changed = true;
      }
    }
    if (!changed) return;
    const lines = [`${this.#config.localNode}\t${uuidText(this.#identity.uuid)}\t100\t`];
    for (const [name, text] of uuids) lines.push(`${name}\t${text}\t100\t`);
    void this.#ports.stateStore
      .writeHostcache(this.#opts.stateDir, lines.join("\n") + "\n")
      .catch((err: Error) => this.#log("warn", `Cannot write hostcache: ${err.message}`));
  }

  /** Runs one group operation and feeds its outcome back to the core. */
  async #runGroup(key: string, operation: "start" | "stop"): Promise<void> {
    const group = this.#groupDef(key);
    if (!group) return;
    // Held from the moment a start begins, so a crash mid-start is cleaned up too.
    if (operation === "start") {
      this.#held.add(key);
      this.#guard?.held([...this.#held]);
    }
    let succeeded = false;
    let detail: string | undefined;
    this.#operations++;
    try {
      const outcome = operation === "start" ? await this.#runner.startGroup(group) : await this.#runner.stopGroup(group);
      succeeded = outcome.kind === "succeeded";
      if (outcome.kind === "failed") detail = `${outcome.resource}: ${outcome.words}`;
    } catch (err) {
      detail = `internal error: ${(err as Error).message}`;
    } finally {
      this.#operations--;
    }
    if (operation === "start" && !succeeded) this.#held.delete(key);
    if (operation === "stop" && succeeded && !this.#config.groups.some((g) => g.key === key)) this.#retiredGroups.delete(key);
    this.#swapRunnerIfIdle();
    this.#step({ type: "group-finished", at: this.#ports.clock.now(), key, operation, succeeded, ...(detail ? { detail } : {}) });
  }

  /**
   * A daemon that starts and finds some of its groups running (it was killed and its
   * guard could not release them) stops them first: who serves is then decided by the
   * handshake, never by leftovers, so two nodes never both keep a VIP.
   */
  async #releaseLeftovers(): Promise<void> {
    for (const g of [...this.#config.groups].reverse()) {
      const status = await this.#runner.statusGroup(g);
      if (status.kind === "none") continue;
      this.#log("warn", `Resource group ${g.key} found running at start-up (${status.kind}): releasing it before joining the cluster`);
      const outcome = await this.#runner.stopGroup(g);
      if (outcome.kind === "failed") this.#log("crit", `Could not release leftover group ${g.key}: ${outcome.resource}: ${outcome.words}`);
    }
  }

  #controlContext(): ControlContext {
    const config = this.#config;
    return {
      peerUuids: this.#peerUuidBytes,
      src: config.localNode,
      uuid: this.#identity.uuid,
      generation: this.#identity.generation,
      wallClockSec: this.#ports.wallNow() / 1000,
      load: this.#load,
      ttl: config.ha.hopfudge + config.ha.nodes.length + config.ha.pingNodes.length,
    };
  }

  /** Arms the single wake timer at the core's next deadline (left alone when that did not move). */
  #arm(): void {
    const wake = this.#core.nextWakeAt();
    if (this.#cancelWake && wake === this.#armedAt) return;
    this.#cancelWake?.();
    this.#cancelWake = undefined;
    this.#armedAt = wake;
    if (wake === undefined || this.#finished) return;
    const clock = this.#ports.clock;
    this.#cancelWake = clock.setTimer(Math.max(0, wake - clock.now()), () => {
      this.#cancelWake = undefined;
      this.#step({ type: "clock-advanced", at: latest(clock.now(), wake) });
    });
  }

  /**
   * Tells the guard we run (it drops the addresses when this stops). Ticks ride on the steps
   * the daemon takes anyway (a heartbeat every keepalive, datagrams in), at most one per half
   * keepalive: a timer of their own woke an idle daemon ten times a second at keepalive 200 ms,
   * most of its idle CPU. The timer below only covers a daemon that takes no step for 1.5
   * keepalives, which a running core never does (its status timer is due every keepalive).
   */
  #tickGuard(): void {
    if (this.#finished) return;
    this.#guard?.tick();
    this.#lastTickAt = this.#ports.clock.now();
    this.#cancelTick?.();
    this.#cancelTick = this.#ports.clock.setTimer(Math.round(1.5 * this.#config.ha.keepaliveMs), () => this.#tickGuard());
  }

  #ensureGuard(): void {
    const create = this.#ports.createGuard;
    if (this.#guard || !create || this.#config.groups.length === 0) return;
    this.#guard = create({
      configDir: this.#config.configDir,
      localNode: this.#config.localNode,
      runDir: this.#opts.runDir,
      onReport: (r) => this.#onGuardReport(r),
      onError: (t) => this.#log("error", t),
    });
  }

  /** The guard removed addresses while we were not running: the core must know before anything else happens. */
  #onGuardReport(report: GuardReport): void {
    if (report.droppedAddresses.length === 0 || this.#finished) return;
    this.#log("crit", `This node was frozen past the peer's deadtime: the resource guard removed the addresses of ${report.droppedAddresses.join(", ")}`);
    this.#step({ type: "guard-dropped-addresses", at: this.#ports.clock.now(), keys: report.droppedAddresses });
  }

  #createPinger(config: ClusterConfig): PingerPort | undefined {
    const hosts = pingHosts(config);
    if (hosts.length === 0) return undefined;
    return this.#ports.createPinger({
      hosts,
      // The same value coreOptionsFor gives the core (pingIntervalFor is the one place it is computed).
      intervalMs: pingIntervalFor(config.ha.keepaliveMs),
      onReply: (host) => this.#step({ type: "ping-replied", at: this.#ports.clock.now(), host }),
      onLog: (level, text) => this.#log(level, text),
    });
  }

  #createMonitors(config: ClusterConfig): MonitorPort {
    return this.#ports.createMonitors({
      config,
      // Through whichever runner is current (a reload may replace it), counted as an operation so it is never swapped mid-restart.
      runner: {
        startGroup: (g) => this.#runner.startGroup(g),
        stopGroup: (g) => this.#runner.stopGroup(g),
        statusGroup: (g) => this.#runner.statusGroup(g),
        announceGroup: (g) => this.#runner.announceGroup(g),
        dropAddresses: (g) => this.#runner.dropAddresses(g),
        restartResource: async (g, resource) => {
          this.#operations++;
          try {
            return await this.#runner.restartResource(g, resource);
          } finally {
            this.#operations--;
            this.#swapRunnerIfIdle();
          }
        },
      },
      // Stamped with the driver's clock when the answer arrives, whatever the port says.
      onEvent: (e) => this.#step({ ...e, at: this.#ports.clock.now() }),
      log: (level, text) => this.#ports.logger.log(level, text, "ResourceMonitor"),
    });
  }

  #createStatus(config: ClusterConfig): StatusSinkPort {
    return this.#ports.createStatus({
      config,
      snapshot: () => this.#core.snapshot(),
      log: (level, text) => this.#log(level, text),
      monotonicNow: () => this.#ports.clock.now(),
    });
  }

  async #reload(): Promise<void> {
    if (this.#stopping || this.#finished) return;
    const ports = this.#ports;
    // logrotate's postrotate sends SIGHUP: whatever the files say, write to the new log files from now on.
    ports.logger.reopen();
    this.#log("info", "Re-reading the configuration (reload)");
    const loaded = ports.loadConfig();
    const next = loaded.config;
    if (!next) {
      for (const d of loaded.diagnostics) this.#log(d.severity === "error" ? "error" : "warn", formatDiagnostic(d));
      this.#log("error", `The new configuration in ${this.#config.configDir} is not valid: keeping the running one`);
      return;
    }
    for (const d of loaded.diagnostics) this.#log("warn", formatDiagnostic(d));
    const prev = this.#config;
    const plan = reloadPlan(prev, next);
    for (const text of plan.notLive) this.#log("warn", `${text}: cannot change while running; kept as it was (restart to apply)`);
    // Keep what cannot change live as it was: the running config takes only what is applied.
    const applied = plan.config;
    for (const g of prev.groups) if (!applied.groups.some((n) => n.key === g.key) && this.#held.has(g.key)) this.#retiredGroups.set(g.key, g);
    this.#config = applied;
    // Only when logging changed: a SIGUSR1/SIGUSR2 debug level survives an unrelated reload.
    if (plan.changed.includes("logging")) {
      ports.logger.reconfigure({
        logfile: applied.ha.logfile,
        debugfile: applied.ha.debugfile,
        logfacility: applied.ha.logfacility,
        debugLevel: applied.ha.debugLevel + (this.#opts.debugBoost ?? 0),
      });
    }
    if (plan.changed.length === 0) {
      this.#log("info", "Configuration unchanged");
      return;
    }
    this.#log("info", `Configuration reloaded: ${plan.changed.join(", ")} changed`);
    if (plan.runnerChanged) {
      this.#pendingRunnerConfig = applied;
      this.#swapRunnerIfIdle();
    }
    // The core first, so that it knows a new link before datagrams arrive on it.
    this.#step({ type: "config-reloaded", at: ports.clock.now(), options: coreOptionsFor(applied, this.#identity.generation) });
    if (plan.monitorsChanged) {
      this.#monitors?.close();
      this.#monitors = this.#createMonitors(applied);
    }
    if (plan.mediaChanged) await this.#media.reconfigure(applied.ha.media);
    if (plan.pingChanged) {
      const old = this.#pinger;
      this.#pinger = this.#createPinger(applied);
      this.#pinger?.start();
      old?.close();
    }
    if (plan.statusChanged) {
      const old = this.#status;
      const fresh = this.#createStatus(applied);
      await old.close();
      await fresh.start();
      this.#status = fresh;
    }
    this.#guard?.reload();
    this.#ensureGuard();
  }

  /** A reload that changes group definitions or timeouts gets a new runner, but never while an operation runs. */
  #swapRunnerIfIdle(): void {
    const cfg = this.#pendingRunnerConfig;
    if (!cfg || this.#operations > 0) return;
    this.#pendingRunnerConfig = undefined;
    this.#runner = this.#ports.createGroupRunner(cfg, (level, text) => this.#ports.logger.log(level, text, "ResourceManager"));
  }

  #onControl(req: Record<string, unknown>): unknown {
    switch (req.cmd) {
      case "status":
        return { ok: true, pid: this.#ports.pid, nowMs: this.#ports.clock.now(), membership: this.#core.snapshot(), status: this.#status.status() };
      case "admin": {
        const command = req.command;
        const which = req.which;
        if ((command !== "standby" && command !== "takeover") || !["all", "local", "foreign", "failback"].includes(String(which))) {
          return { ok: false, error: "admin needs command standby|takeover and which all|local|foreign|failback" };
        }
        this.#step({ type: "admin-requested", at: this.#ports.clock.now(), command, which: which as "all" | "local" | "foreign" | "failback" });
        return { ok: true };
      }
      case "resource-reset": {
        const group = typeof req.group === "string" ? req.group : undefined;
        if (group !== undefined && !this.#config.groups.some((g) => g.key === group)) return { ok: false, error: `no resource group "${group}"` };
        this.#step({ type: "failures-reset-requested", at: this.#ports.clock.now(), ...(group !== undefined ? { key: group } : {}) });
        return { ok: true };
      }
      default:
        return { ok: false, error: `unknown command "${String(req.cmd)}"` };
    }
  }

  async #refreshLoad(): Promise<void> {
    try {
      this.#load = await this.#ports.readLoad();
    } catch {
      this.#load = "n/a";
    }
    if (!this.#finished) this.#cancelLoad = this.#ports.clock.setTimer(LOAD_REFRESH_MS, () => void this.#refreshLoad());
  }

  #log(level: LogLevel, text: string): void {
    this.#ports.logger.log(level, text);
    this.#status?.recordLog(level, text);
  }

  async #finish(code: number): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#children?.stop();
    this.#monitors?.close();
    this.#pinger?.close();
    this.#cancelWake?.();
    this.#cancelLoad?.();
    this.#cancelTick?.();
    this.#ports.signals.offAll();
    await this.#media.close();
    await this.#control?.close();
    await this.#status.close();
    this.#ports.pidFile.remove(this.#opts.runDir, this.#ports.pid);
    await this.#ports.logger.close();
    this.#exitResolve?.(code);
  }
}
