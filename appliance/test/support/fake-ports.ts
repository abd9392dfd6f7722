// Fakes for every driver port but the media and the clock: they record what the daemon asked and let a test answer.

import type { ClusterAction, LogLevel, RestartResource, RunCheck } from "../../src/cluster/cluster-actions";
import type { ClusterConfig, ConfigLoadResult, ResourceGroup } from "../../src/config/cluster-config";
import type {
  MonitorPort,
  MonitorSpec,
  CancelTimer,
  ChildrenPort,
  ClockPort,
  ControlHandler,
  ControlServerPort,
  GroupRunnerPort,
  GuardPort,
  GuardReport,
  GuardSpec,
  LoggerPort,
  LoggerSettings,
  PidFilePort,
  PingerPort,
  PingerSpec,
  SignalsPort,
  StateStorePort,
  StatusSinkPort,
} from "../../src/daemon/daemon-ports";
import type { GroupOutcome, GroupStatus } from "../../src/resources/resource-group-runner";
import type { NodeIdentity } from "../../src/adapters/state-store";
import type { FakeClock } from "./fake-clock";
import { millis, type Millis } from "../../src/cluster/time";

/**
 * One node's view of the shared fake clock. `freeze()` models SIGSTOP: its timers due
 * meanwhile wait and fire, late and in order, at `thaw()`.
 */
export class NodeClock implements ClockPort {
  readonly #shared: FakeClock;
  #frozen = false;
  readonly #deferred: (() => void)[] = [];

  constructor(shared: FakeClock) {
    this.#shared = shared;
  }

  now(): Millis {
    return this.#shared.now();
  }

  setTimer(delayMs: number, fn: () => void): CancelTimer {
    let cancelled = false;
    const cancel = this.#shared.setTimer(delayMs, () => {
      if (cancelled) return;
      if (this.#frozen) this.#deferred.push(() => !cancelled && fn());
      else fn();
    });
    return () => {
      cancelled = true;
      cancel();
    };
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  freeze(): void {
    this.#frozen = true;
  }

  thaw(): void {
    this.#frozen = false;
    for (const fn of this.#deferred.splice(0)) fn();
  }

  /** Work for a frozen node (a datagram that arrived meanwhile): queued like its timers. */
  whenRunning(fn: () => void): void {
    if (this.#frozen) this.#deferred.push(fn);
    else fn();
  }
}

export class FakeLogger implements LoggerPort {
  readonly lines: { level: LogLevel; text: string; program?: string }[] = [];
  reopens = 0;
  readonly reconfigured: LoggerSettings[] = [];
  debugLevel: number;
  closed = false;

  constructor(debugLevel = 0) {
    this.debugLevel = debugLevel;
  }

  log(level: LogLevel, text: string, program?: string): void {
    if (level === "debug" && this.debugLevel <= 0) return;
    this.lines.push({ level, text, ...(program ? { program } : {}) });
  }

  reopen(): void {
    this.reopens++;
  }

  reconfigure(settings: LoggerSettings): void {
    this.reconfigured.push(settings);
    this.debugLevel = settings.debugLevel;
  }

  setDebugLevel(level: number): void {
    this.debugLevel = Math.max(0, level);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Lines whose text matches. */
  find(pattern: RegExp): string[] {
    return this.lines.filter((l) => pattern.test(l.text)).map((l) => `${l.level}: ${l.text}`);
  }
}

/** Starts and stops groups at once (or fails the ones told to), keeping which run. */
export class FakeGroupRunner implements GroupRunnerPort {
  readonly running = new Set<string>();
  readonly operations: string[] = [];
  readonly failStart = new Set<string>();
  /** Which config each runner instance was built for (a reload builds a new one). */
  readonly config: ClusterConfig;

  constructor(config: ClusterConfig, running: Set<string>, operations: string[]) {
    this.config = config;
    this.running = running;
    this.operations = operations;
  }

  async startGroup(group: ResourceGroup): Promise<GroupOutcome> {
    this.operations.push(`start ${group.key}`);
    if (this.failStart.has(group.key)) return { kind: "failed", resource: group.key, words: "fake failure", failures: [] };
    this.running.add(group.key);
    return { kind: "succeeded" };
  }

  async stopGroup(group: ResourceGroup): Promise<GroupOutcome> {
    this.operations.push(`stop ${group.key}`);
    this.running.delete(group.key);
    return { kind: "succeeded" };
  }

  async statusGroup(group: ResourceGroup): Promise<GroupStatus> {
    return { kind: this.running.has(group.key) ? "all" : "none", resources: [] };
  }

  async announceGroup(group: ResourceGroup): Promise<GroupOutcome> {
    this.operations.push(`announce ${group.key}`);
    return { kind: "succeeded" };
  }

  async dropAddresses(group: ResourceGroup): Promise<GroupOutcome> {
    this.operations.push(`drop-addresses ${group.key}`);
    return { kind: "succeeded" };
  }

  async restartResource(group: ResourceGroup, resource: string): Promise<GroupOutcome> {
    this.operations.push(`restart ${group.key} ${resource}`);
    return { kind: "succeeded" };
  }
}

/** Answers every check at once: healthy, unless its id is in `failing`; records what it was asked. */
export class FakeMonitors implements MonitorPort {
  readonly spec: MonitorSpec;
  readonly failing = new Set<string>();
  readonly asked: string[] = [];
  closed = false;

  constructor(spec: MonitorSpec) {
    this.spec = spec;
  }

  carryOut(action: RunCheck | RestartResource): void {
    if (this.closed) return;
    if (action.type === "run-check") {
      this.asked.push(`check ${action.check}`);
      const healthy = !this.failing.has(action.check);
      queueMicrotask(() =>
        this.spec.onEvent({
          type: "check-finished",
          at: millis(0),
          check: action.check,
          runId: action.runId,
          healthy,
          words: healthy ? "ok" : "fake failure",
          latencyMs: 1,
        }),
      );
    } else {
      this.asked.push(`restart ${action.key} ${action.resource}`);
      const group = this.spec.config.groups.find((g) => g.key === action.key);
      if (group)
        void this.spec.runner
          .restartResource(group, action.resource)
          .then((o) =>
            this.spec.onEvent({ type: "resource-restarted", at: millis(0), key: action.key, resource: action.resource, succeeded: o.kind === "succeeded" }),
          );
    }
  }

  close(): void {
    this.closed = true;
  }
}

export class FakePinger implements PingerPort {
  started = false;
  closed = false;
  readonly spec: PingerSpec;

  constructor(spec: PingerSpec) {
    this.spec = spec;
  }

  start(): void {
    this.started = true;
  }

  close(): void {
    this.closed = true;
  }

  /** A reply from `host` (only while started and not closed, like a real prober). */
  reply(host: string): void {
    if (this.started && !this.closed && this.spec.hosts.includes(host)) this.spec.onReply(host);
  }
}

export class FakeGuard implements GuardPort {
  readonly heldHistory: string[][] = [];
  ticks = 0;
  reloads = 0;
  cleaned = false;
  readonly spec: GuardSpec;

  constructor(spec: GuardSpec) {
    this.spec = spec;
  }

  held(keys: readonly string[]): void {
    this.heldHistory.push([...keys]);
  }

  tick(): void {
    this.ticks++;
  }

  reload(): void {
    this.reloads++;
  }

  clean(): void {
    this.cleaned = true;
  }

  /** What the guard would write back on its pipe. */
  report(report: GuardReport): void {
    this.spec.onReport(report);
  }

  get lastHeld(): string[] {
    return this.heldHistory[this.heldHistory.length - 1] ?? [];
  }
}

export class FakeStatus implements StatusSinkPort {
  started = false;
  closed = false;
  observedSteps = 0;
  readonly logs: string[] = [];
  readonly config: ClusterConfig;

  constructor(config: ClusterConfig) {
    this.config = config;
  }

  async start(): Promise<void> {
    this.started = true;
  }

  observe(_actions: readonly ClusterAction[]): void {
    this.observedSteps++;
  }

  recordLog(level: LogLevel, text: string): void {
    this.logs.push(`${level}: ${text}`);
  }

  status(): unknown {
    return { fake: true };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class FakeControlServer implements ControlServerPort {
  handler: ControlHandler | undefined;
  closed = false;

  request(req: Record<string, unknown>): unknown {
    if (!this.handler || this.closed) throw new Error("control server not listening");
    return this.handler(req);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class FakeStateStore implements StateStorePort {
  generation = 41;
  readonly uuid = Buffer.alloc(16, 7);
  hostcache = "";

  loadIdentity(_stateDir: string, _method: "file" | "time"): NodeIdentity {
    this.generation++;
    return { uuid: this.uuid, generation: this.generation };
  }

  async writeHostcache(_stateDir: string, text: string): Promise<void> {
    this.hostcache = text;
  }
}

export class FakePidFile implements PidFilePort {
  readonly files = new Map<string, number>();

  write(runDir: string, pid: number): void {
    this.files.set(runDir, pid);
  }

  remove(runDir: string, pid: number): void {
    if (this.files.get(runDir) === pid) this.files.delete(runDir);
  }
}

export class FakeSignals implements SignalsPort {
  readonly handlers = new Map<string, (() => void)[]>();

  on(signal: NodeJS.Signals, handler: () => void): void {
    this.handlers.set(signal, [...(this.handlers.get(signal) ?? []), handler]);
  }

  offAll(): void {
    this.handlers.clear();
  }

  /** Delivers `signal`; false when nothing handles it (a real process would die or stop). */
  raise(signal: NodeJS.Signals): boolean {
    const hs = this.handlers.get(signal) ?? [];
    for (const h of hs) h();
    return hs.length > 0;
  }
}

export class FakeChildren implements ChildrenPort {
  started = 0;
  stopped = 0;

  start(): void {
    this.started++;
  }

  stop(): void {
    this.stopped++;
  }
}

/** A config source the test rewrites between reloads (the files on disk, in effect). */
export class FakeConfigSource {
  result: ConfigLoadResult;

  constructor(result: ConfigLoadResult) {
    this.result = result;
  }

  load(): ConfigLoadResult {
    return this.result;
  }
}
