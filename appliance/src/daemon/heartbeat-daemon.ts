// The driver loop: wires the pure cluster core to the media, the clock, the logger and the control socket.

import { readFile } from "node:fs/promises";
import { mkdirSync } from "node:fs";
import type { Server } from "node:net";
import { ClusterNode } from "../cluster/cluster-node";
import type { ClusterAction } from "../cluster/cluster-actions";
import type { ClusterEvent } from "../cluster/cluster-events";
import type { ClusterConfig } from "../config/cluster-config";
import { HeartbeatLogger } from "../adapters/heartbeat-logger";
import { monotonicNow } from "../adapters/monotonic-clock";
import { loadNodeIdentity, type NodeIdentity } from "../adapters/state-store";
import { UdpMedia, type ReceivedDatagram } from "../adapters/udp-media";
import { stampControlFields, type ControlContext } from "../protocol/control-fields";
import { decodeDatagram, encodeDatagram } from "../protocol/wire-codec";
import { startControlServer } from "./control-server";
import { removePidFile, writePidFile } from "./pid-file";

export interface DaemonOptions {
  readonly config: ClusterConfig;
  readonly stateDir: string;
  readonly runDir: string;
  /** Log to stderr too (foreground). */
  readonly foreground: boolean;
  /** Extra debug level from `-d` flags, added to ha.cf's `debug`. */
  readonly debugBoost: number;
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
  #stopping = false;

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
    });
    this.#media = new UdpMedia({
      media: ha.media,
      onDatagram: (d) => this.#onDatagram(d),
      onLog: (level, text) => this.#log(level, text),
    });
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
    for (const a of actions) this.#carryOut(a);
    this.#arm();
  }

  #carryOut(a: ClusterAction): void {
    switch (a.type) {
      case "log":
        this.#log(a.level, a.text);
        break;
      case "send": {
        const message = stampControlFields(a.body, a.seq, this.#controlContext());
        this.#media.sendAll(encodeDatagram(message, this.#opts.config.authKeys, { msgfmt: this.#opts.config.ha.msgfmt }));
        break;
      }
      case "shutdown-complete":
        // Let the shutdone datagrams leave before the sockets close.
        setTimeout(() => void this.#finish(0), 100);
        break;
    }
  }

  #controlContext(): ControlContext {
    const { config } = this.#opts;
    return {
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
        return { ok: true, pid: process.pid, nowMs: monotonicNow(), membership: this.#core.snapshot() };
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
  }

  async #finish(code: number): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#loadTimer) clearInterval(this.#loadTimer);
    await this.#media.close();
    await new Promise<void>((r) => (this.#control ? this.#control.close(() => r()) : r()));
    removePidFile(this.#opts.runDir, process.pid);
    await this.#logger.close();
    this.#exitResolve?.(code);
  }
}
