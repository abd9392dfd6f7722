// The driver loop: wires the pure cluster core to the media, the clock, the logger and the control socket.

import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import type { Server } from "node:net";
import { ClusterNode, uuidText } from "../cluster/cluster-node";
import { HISTORY_SIZE } from "../cluster/reliable-delivery";
import type { ClusterAction } from "../cluster/cluster-actions";
import type { ClusterEvent } from "../cluster/cluster-events";
import type { ClusterConfig } from "../config/cluster-config";
import { HeartbeatLogger } from "../adapters/heartbeat-logger";
import { monotonicNow } from "../adapters/monotonic-clock";
import { loadNodeIdentity, type NodeIdentity } from "../adapters/state-store";
import { UdpMedia, type ReceivedDatagram } from "../adapters/udp-media";
import { PingProber } from "../adapters/ping-prober";
import { RespawnSupervisor } from "../adapters/respawn-supervisor";
import { isBuiltinIpfail } from "../config/builtin-agents";
import { stampControlFields, type ControlContext } from "../protocol/control-fields";
import { decodeDatagram, encodeDatagram } from "../protocol/wire-codec";
import type { ResourceGroupRunner } from "../resources/resource-group-runner";
import { startControlServer } from "./control-server";
import { createAgentRegistry, createGroupRunner } from "./group-runner-factory";
import { MonitorLink } from "../monitors/monitor-link";
import { monitoredGroupsOf } from "../config/monitor-directives";
import { ResourceGuardLink } from "./resource-guard";
import { removePidFile, writePidFile } from "./pid-file";
import { StatusService } from "../status/status-service";

export interface DaemonOptions {
  readonly config: ClusterConfig;
  readonly stateDir: string;
  readonly runDir: string;
  /** Log to stderr too (foreground). */
  readonly foreground: boolean;
  /** Extra debug level from `-d` flags, added to ha.cf's `debug`. */
  readonly debugBoost: number;
  /** argv prefix that runs this program (for the resource guard); undefined = no guard. */
  readonly selfCommand?: readonly string[];
  /** Where LSB init scripts are looked for [/etc/init.d]. */
  readonly initDir?: string;
}

/** How often the `ld` field's /proc/loadavg text is refreshed (never read on the send path). */
const LOAD_REFRESH_MS = 5000;

/**
 * One running Heartbeat node. Everything that decides lives in ClusterNode; this
 * class only turns datagrams and timer expiries into events and carries out the
 * actions the core returns, in order.
 */
export class HeartbeatDaemon {
  readonly #opts: DaemonOptions;
  readonly #logger: HeartbeatLogger;
  #identity!: NodeIdentity;
  #core!: ClusterNode;
  #media!: UdpMedia;
  #control: Server | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The deadline #timer is armed for. */
  #armedAt: number | undefined;
  #loadTimer: NodeJS.Timeout | undefined;
  #load = "n/a";
  #exitResolve: ((code: number) => void) | undefined;
  #runner!: ResourceGroupRunner;
  /** Resource monitoring: runs checks and restarts for the core. */
  #monitors: MonitorLink | undefined;
  #respawn: RespawnSupervisor | undefined;
  #pinger: PingProber | undefined;
  /** Respawned children start once communication is up, as in Heartbeat. */
  #childrenStarted = false;
  #guard: ResourceGuardLink | undefined;
  /** Peer UUIDs as bytes (for destuuid) and as last written to hostcache. */
  readonly #peerUuidBytes = new Map<string, Buffer>();
  /** Our last HISTORY_SIZE sequenced datagrams by seq, for retransmission. */
  readonly #history = new Map<number, Buffer>();
  /** Groups that run here now, for the guard. */
  readonly #held = new Set<string>();
  #stopping = false;
  /** cl_status, the status page, /metrics and the notify hook. */
  readonly #status: StatusService;

  constructor(options: DaemonOptions) {
    this.#opts = options;
    const ha = options.config.ha;
    this.#logger = new HeartbeatLogger({
      ...(ha.logfile ? { logfile: ha.logfile } : {}),
      ...(ha.debugfile ? { debugfile: ha.debugfile } : {}),
      ...(ha.logfacility ? { logfacility: ha.logfacility } : {}),
      stderr: options.foreground,
      debugLevel: ha.debugLevel + options.debugBoost,
    });
    this.#status = new StatusService({ config: options.config, snapshot: () => this.#core.snapshot(), log: (level, text) => this.#log(level, text) });
  }

  /** Starts the node; resolves with the exit code once it has stopped. */
  async run(): Promise<number> {
    const { config, stateDir, runDir } = this.#opts;
    const ha = config.ha;
    mkdirSync(runDir, { recursive: true, mode: 0o755 });
    this.#identity = loadNodeIdentity(stateDir, ha.hbgenmethod);
    this.#log("info", `Twinbeat (Heartbeat 3.0.6 compatible) starting on node ${config.localNode}, generation ${this.#identity.generation}`);
    this.#log("info", `Configuration validated. Starting heartbeat ${process.env.npm_package_version ?? ""}`.trimEnd());
    const links = UdpMedia.linkNames(ha.media);
    this.#core = new ClusterNode({
      localNode: config.localNode,
      nodes: ha.nodes,
      links,
      keepaliveMs: ha.keepaliveMs,
      deadtimeMs: ha.deadtimeMs,
      warntimeMs: ha.warntimeMs,
      initdeadMs: ha.initdeadMs,
      generation: this.#identity.generation,
      groups: config.groups.map((g) => ({ key: g.key, homeNode: g.homeNode })),
      autoFailback: ha.autoFailback,
      maxRexmitDelayMs: ha.maxRexmitDelayMs,
      pingNodes: ha.pingNodes.map((p) => ({ name: p.name, hosts: p.hosts })),
      deadpingMs: ha.deadpingMs,
      ipfail: ha.respawn.some((r) => isBuiltinIpfail(r.command)),
      monitoredGroups: monitoredGroupsOf(config),
    });
    this.#respawn = new RespawnSupervisor(ha.respawn.filter((r) => !isBuiltinIpfail(r.command)), (level, text) => this.#log(level, text), process.env);
    const pingHosts = [...new Set(ha.pingNodes.flatMap((p) => p.hosts))];
    if (pingHosts.length > 0) {
      this.#pinger = new PingProber({
        hosts: pingHosts,
        // A reply at least every keepalive (0.2–1 s) keeps ping detection as fast as heartbeats.
        intervalMs: Math.min(Math.max(ha.keepaliveMs, 200), 1000),
        onReply: (host) => this.#step({ type: "ping-replied", at: monotonicNow(), host }),
        onLog: (level, text) => this.#log(level, text),
      });
    }
    this.#runner = createGroupRunner(config, (level, text) => this.#logger.log(level, text, "ResourceManager"), this.#opts.initDir);
    const monitorLog = (level: "debug" | "info" | "warn" | "error" | "crit", text: string) => this.#logger.log(level, text, "ResourceMonitor");
    this.#monitors = new MonitorLink({
      config,
      runner: this.#runner,
      registryFor: (timeoutMs, depth) => createAgentRegistry(config, monitorLog, this.#opts.initDir, { timeoutMs, ...(depth > 0 ? { extraEnv: { OCF_CHECK_LEVEL: String(depth) } } : {}) }),
      onEvent: (e) => this.#step(e),
      now: monotonicNow,
      log: monitorLog,
    });
    await this.#releaseLeftovers();
    if (this.#opts.selfCommand && config.groups.length > 0) {
      this.#guard = new ResourceGuardLink(this.#opts.selfCommand, config.configDir, config.localNode, (t) => this.#log("error", t));
    }
    this.#media = new UdpMedia({
      media: ha.media,
      onDatagram: (d) => this.#onDatagram(d),
      onLog: (level, text) => this.#log(level, text),
    });
    // Before the media open: the page's worker must not delay the first datagrams.
    await this.#status.start();
    await this.#refreshLoad();
    this.#loadTimer = setInterval(() => void this.#refreshLoad(), LOAD_REFRESH_MS);
    this.#loadTimer.unref();
    await this.#media.open();
    for (const m of ha.media) {
      const target = m.kind === "ucast" ? ` to ${m.peer}` : m.kind === "mcast" ? ` group ${m.group}` : "";
      this.#log("info", `${m.kind}: started on port ${m.port} interface ${m.dev}${target}`);
    }
    this.#control = await startControlServer(runDir, (req) => this.#onControl(req));
    writePidFile(runDir, process.pid);
    const done = new Promise<number>((resolve) => (this.#exitResolve = resolve));
    for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => this.stop());
    this.#step({ type: "started", at: monotonicNow() });
    this.#pinger?.start();
    return done;
  }

  /** Graceful stop: the core releases what it must and sends shutdone, then we exit. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#step({ type: "shutdown-requested", at: monotonicNow() });
  }

  #onDatagram(d: ReceivedDatagram): void {
    const at = monotonicNow();
    const decoded = decodeDatagram(d.bytes, this.#opts.config.authKeys);
    const fromAddress = `${d.from.address}:${d.from.port}`;
    if (decoded.ok) this.#step({ type: "message-received", at, link: d.link, fromAddress, message: decoded.message });
    else if (this.#opts.config.ha.logBadpack) this.#step({ type: "datagram-rejected", at, link: d.link, fromAddress, reason: decoded.reason, detail: decoded.detail });
  }

  /** The one place events enter the core: step, carry out the actions, re-arm the timer. */
  #step(event: ClusterEvent): void {
    const actions = this.#core.step(event);
    this.#status.observe(actions);
    if (event.type === "message-received") this.#noteHostcache();
    for (const a of actions) this.#carryOut(a);
    this.#arm();
    if (!this.#childrenStarted && !this.#stopping && this.#core.commUp) {
      this.#childrenStarted = true;
      this.#respawn?.start();
    }
  }

  #carryOut(a: ClusterAction): void {
    switch (a.type) {
      case "log":
        this.#log(a.level, a.text);
        break;
      case "send": {
        const message = stampControlFields(a.body, a.seq, this.#controlContext());
        const bytes = encodeDatagram(message, this.#opts.config.authKeys, { msgfmt: this.#opts.config.ha.msgfmt });
        if (a.seq !== undefined) {
          // Kept for NS_rexmit: a retransmission is the same datagram, byte for byte.
          this.#history.set(a.seq, bytes);
          this.#history.delete(a.seq - HISTORY_SIZE);
        }
        this.#media.sendAll(bytes);
        break;
      }
      case "announce-group": {
        const group = this.#opts.config.groups.find((g) => g.key === a.key);
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
        // Let the shutdone datagrams leave before the sockets close.
        setTimeout(() => void this.#finish(0), 100);
        break;
      case "run-check":
      case "restart-resource":
        this.#monitors?.carryOut(a);
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
    const lines = [`${this.#opts.config.localNode}\t${uuidText(this.#identity.uuid)}\t100\t`];
    for (const [name, text] of uuids) lines.push(`${name}\t${text}\t100\t`);
    void writeFile(join(this.#opts.stateDir, "hostcache"), lines.join("\n") + "\n").catch((err: Error) => this.#log("warn", `Cannot write hostcache: ${err.message}`));
  }

  /** Runs one group operation and feeds its outcome back to the core. */
  async #runGroup(key: string, operation: "start" | "stop"): Promise<void> {
    const group = this.#opts.config.groups.find((g) => g.key === key);
    if (!group) return;
    // Held from the moment a start begins, so a crash mid-start is cleaned up too.
    if (operation === "start") {
      this.#held.add(key);
      this.#guard?.held([...this.#held]);
    }
    let succeeded = false;
    let detail: string | undefined;
    try {
      const outcome = operation === "start" ? await this.#runner.startGroup(group) : await this.#runner.stopGroup(group);
      succeeded = outcome.kind === "succeeded";
      if (outcome.kind === "failed") detail = `${outcome.resource}: ${outcome.words}`;
    } catch (err) {
      detail = `internal error: ${(err as Error).message}`;
    }
    if (operation === "start" && !succeeded) this.#held.delete(key);
    this.#step({ type: "group-finished", at: monotonicNow(), key, operation, succeeded, ...(detail ? { detail } : {}) });
  }

  /**
   * A daemon that starts and finds some of its groups running (it was killed and its
   * guard could not release them) stops them first: who serves is then decided by the
   * handshake, never by leftovers, so two nodes never both keep a VIP.
   */
  async #releaseLeftovers(): Promise<void> {
    for (const g of [...this.#opts.config.groups].reverse()) {
      const status = await this.#runner.statusGroup(g);
      if (status.kind === "none") continue;
      this.#log("warn", `Resource group ${g.key} found running at start-up (${status.kind}): releasing it before joining the cluster`);
      const outcome = await this.#runner.stopGroup(g);
      if (outcome.kind === "failed") this.#log("crit", `Could not release leftover group ${g.key}: ${outcome.resource}: ${outcome.words}`);
    }
  }

  #controlContext(): ControlContext {
    const { config } = this.#opts;
    return {
      peerUuids: this.#peerUuidBytes,
      src: config.localNode,
      uuid: this.#identity.uuid,
      generation: this.#identity.generation,
      wallClockSec: Date.now() / 1000,
      load: this.#load,
      ttl: config.ha.hopfudge + config.ha.nodes.length + config.ha.pingNodes.length,
    };
  }

  /** Arms the single real timer at the core's next deadline (left alone when that did not move). */
  #arm(): void {
    const wake = this.#core.nextWakeAt();
    if (this.#timer && wake === this.#armedAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = wake;
    if (wake === undefined) return;
    const delay = Math.max(0, wake - monotonicNow());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#step({ type: "clock-advanced", at: Math.max(monotonicNow(), wake) });
    }, delay);
  }

  #onControl(req: Record<string, unknown>): unknown {
    switch (req.cmd) {
      case "status":
        return { ok: true, pid: process.pid, nowMs: monotonicNow(), membership: this.#core.snapshot(), status: this.#status.status() };
      case "admin": {
        const command = req.command;
        const which = req.which;
        if ((command !== "standby" && command !== "takeover") || !["all", "local", "foreign", "failback"].includes(String(which))) {
          return { ok: false, error: "admin needs command standby|takeover and which all|local|foreign|failback" };
        }
        this.#step({ type: "admin-requested", at: monotonicNow(), command, which: which as "all" | "local" | "foreign" | "failback" });
        return { ok: true };
      }
      case "resource-reset": {
        const group = typeof req.group === "string" ? req.group : undefined;
        if (group !== undefined && !this.#opts.config.groups.some((g) => g.key === group)) return { ok: false, error: `no resource group "${group}"` };
        this.#step({ type: "failures-reset-requested", at: monotonicNow(), ...(group !== undefined ? { key: group } : {}) });
        return { ok: true };
      }
      default:
        return { ok: false, error: `unknown command "${String(req.cmd)}"` };
    }
  }

  async #refreshLoad(): Promise<void> {
    try {
      this.#load = (await readFile("/proc/loadavg", "utf8")).split("\n")[0]!.slice(0, 63) || "n/a";
    } catch {
      this.#load = "n/a";
    }
  }

  #log(level: "debug" | "info" | "warn" | "error" | "crit", text: string): void {
    this.#logger.log(level, text);
    this.#status.recordLog(level, text);
  }

  async #finish(code: number): Promise<void> {
    this.#respawn?.stop();
    this.#monitors?.close();
    this.#pinger?.close();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#loadTimer) clearInterval(this.#loadTimer);
    await this.#media.close();
    await new Promise<void>((r) => (this.#control ? this.#control.close(() => r()) : r()));
    await this.#status.close();
    removePidFile(this.#opts.runDir, process.pid);
    await this.#logger.close();
    this.#exitResolve?.(code);
  }
}
