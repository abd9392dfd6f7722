// StatusService: the daemon's one handle on the operator surface: recent events, failover timing, appliance facts, the HTTP page and the notify hook.

import type { AddressInfo } from "node:net";
import type { ClusterAction, LogLevel } from "../cluster/cluster-actions";
import type { MembershipSnapshot } from "../cluster/cluster-node";
import type { ClusterConfig } from "../config/cluster-config";
import { monotonicNow } from "../adapters/monotonic-clock";
import type { Millis } from "../cluster/time";
import { ApplianceFactsSampler } from "../adapters/appliance-facts";
import { buildDaemonStatus, type DaemonStatus } from "../status/daemon-status";
import { FailoverTracker } from "../status/failover-tracker";
import { NotifyHook } from "../adapters/notify-hook";
import { RecentEvents } from "../status/recent-events";
import { startStatusHttpServer, type StatusHttpServer, type StatusHttpServerOptions } from "../http/status-http-server";

export interface StatusServiceOptions {
  readonly config: ClusterConfig;
  /** `() => core.snapshot()`; called lazily (a status request, or a step that changed something). */
  readonly snapshot: () => MembershipSnapshot;
  /** The daemon's logger (notify output, status page problems). */
  readonly log: (level: LogLevel, text: string) => void;
  readonly pid?: number;
  /** The daemon's monotonic clock. Default monotonicNow. */
  readonly monotonicNow?: () => Millis;
  readonly wallNow?: () => number;
  /** Events kept for the page and JSON. Default 50. */
  readonly eventsCapacity?: number;
  readonly facts?: ApplianceFactsSampler;
  /** Overrides for the HTTP server (tests: port 0, shorter timeouts). */
  readonly http?: Partial<Omit<StatusHttpServerOptions, "getStatus" | "subscribe">>;
  /** Longest wait for queued notify runs at close(). Default 5000 ms. */
  readonly notifyCloseWaitMs?: number;
}

/**
 * Everything the daemon needs for status output, behind four calls: `recordLog` from its
 * logger, `observe` after every core step, `status()` for the control socket, and
 * `start`/`close` around its run. None of them throws or waits on the heartbeat path:
 * observe() is a loop over the step's actions (a snapshot only when one of them was not
 * a plain send), the HTTP server and the notify script run asynchronously.
 */
export class StatusService {
  readonly #opts: StatusServiceOptions;
  readonly #events: RecentEvents;
  readonly #failovers = new FailoverTracker();
  readonly #facts: ApplianceFactsSampler;
  readonly #notify: NotifyHook | undefined;
  readonly #mono: () => Millis;
  readonly #wall: () => number;
  readonly #startedAtMs: Millis;
  #http: StatusHttpServer | undefined;
  #revision = 0;
  #observeErrorLogged = false;
  #closed = false;

  constructor(options: StatusServiceOptions) {
    this.#opts = options;
    this.#events = new RecentEvents(options.eventsCapacity ?? 50);
    this.#facts = options.facts ?? new ApplianceFactsSampler();
    this.#mono = options.monotonicNow ?? monotonicNow;
    this.#wall = options.wallNow ?? Date.now;
    this.#startedAtMs = this.#mono();
    const script = options.config.twinbeat.notify;
    if (script !== undefined) {
      this.#notify = new NotifyHook({ script, nodeName: options.config.localNode, log: options.log });
    }
  }

  /** Starts the HTTP status page when twinbeat.cf asks for it. A port that cannot be bound is logged, not fatal. */
  async start(): Promise<void> {
    const where = this.#opts.config.twinbeat.statusHttp;
    if (where === undefined || this.#closed) return;
    const host = this.#opts.http?.host ?? where.address;
    const port = this.#opts.http?.port ?? where.port;
    try {
      this.#http = await startStatusHttpServer({
        ...this.#opts.http,
        host,
        port,
        getStatus: () => this.status(),
        log: (level, text) => this.#opts.log(level, text),
      });
      void this.#facts.refresh().catch(() => undefined);
      const a = this.#http.address;
      this.#opts.log("info", `Status page on http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}/`);
    } catch (err) {
      this.#opts.log("error", `status_http ${host}:${port}: cannot serve the status page: ${(err as Error).message}`);
    }
  }

  /** After each core step, with the actions it returned. */
  observe(actions: readonly ClusterAction[]): void {
    if (actions.length === 0) return;
    try {
      const changed = this.#failovers.observe(actions, this.#opts.snapshot, this.#mono(), this.#wall());
      if (this.#notify) {
        for (const a of actions) if (a.type === "report-transition") this.#notify.transition(a.key, NotifyHook.stateOf(a.state));
      }
      if (changed) {
        this.#revision++;
        this.#http?.notify();
      }
    } catch (err) {
      if (!this.#observeErrorLogged) {
        this.#observeErrorLogged = true;
        this.#opts.log("error", `status: ${(err as Error).message} (status output may be stale)`);
      }
    }
  }

  /** From the daemon's logger: every line it writes (debug lines are not kept). */
  recordLog(level: LogLevel, text: string): void {
    if (level === "debug") return;
    this.#events.push(level, text, this.#wall());
    this.#revision++;
    this.#http?.notify();
  }

  /** The node's status now (the control socket's `status` answer, the page, /metrics). */
  status(): DaemonStatus {
    return buildDaemonStatus({
      snapshot: this.#opts.snapshot(),
      config: this.#opts.config,
      nowMs: this.#mono(),
      wallClockMs: this.#wall(),
      pid: this.#opts.pid ?? process.pid,
      startedAtMs: this.#startedAtMs,
      revision: this.#revision,
      events: this.#events,
      appliance: this.#facts.current(),
      lastFailover: this.#failovers.last,
      failoverTotal: this.#failovers.total,
      takeoverHistogram: this.#failovers.histogram(),
    });
  }

  /** Where the status page listens, once started. */
  get httpAddress(): AddressInfo | undefined {
    return this.#http?.address;
  }

  /** Stops the page and waits (bounded) for queued notify runs. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#http?.close();
    if (this.#notify) {
      const wait = this.#opts.notifyCloseWaitMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#notify.close(), new Promise<void>((r) => (timer = setTimeout(r, wait)))]);
      if (timer) clearTimeout(timer);
    }
  }
}
