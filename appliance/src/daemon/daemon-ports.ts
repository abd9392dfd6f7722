// The driver's ports: every piece of I/O the daemon uses, behind one options object (real ones in real-ports.ts, fakes in appliance/test/support/).

import type { ClusterAction, LogLevel, RestartResource, RunCheck } from "../cluster/cluster-actions";
import type { CheckFinished, ResourceRestarted } from "../cluster/cluster-events";
import type { MembershipSnapshot } from "../cluster/cluster-node";
import type { Millis } from "../cluster/time";
import type { ClusterConfig, ConfigLoadResult, MediumConfig, ResourceGroup } from "../config/cluster-config";
import type { GroupOutcome, GroupStatus } from "../resources/resource-group-runner";
import type { NodeIdentity } from "../adapters/state-store";
import type { ReceivedDatagram } from "../adapters/udp-media";

/** A cancellable one-shot timer. */
export type CancelTimer = () => void;

/** The daemon's only clock: monotonic ms, and a timer that fires `fn` after `delayMs` of that clock. */
export interface ClockPort {
  now(): Millis;
  setTimer(delayMs: number, fn: () => void): CancelTimer;
}

/** The heartbeat media (ucast/bcast/mcast). */
export interface MediaPort {
  open(): Promise<void>;
  /** One datagram on every medium; never throws. */
  sendAll(bytes: Buffer): void;
  /** Live reload: opens the new media's sockets before closing the ones no longer configured. */
  reconfigure(media: readonly MediumConfig[]): Promise<void>;
  close(): Promise<void>;
}

export interface MediaSpec {
  readonly media: readonly MediumConfig[];
  readonly onDatagram: (d: ReceivedDatagram) => void;
  readonly onLog: (level: "info" | "warn" | "error", text: string) => void;
  /** An interface of the media lost its link (no carrier, down, no address) or got it back. */
  readonly onLinkChange?: (dev: string, up: boolean) => void;
}

/** ICMP echo to the ping nodes' hosts. */
export interface PingerPort {
  start(): void;
  close(): void;
}

export interface PingerSpec {
  readonly hosts: readonly string[];
  readonly intervalMs: number;
  readonly onReply: (host: string) => void;
  readonly onLog: (level: "info" | "warn" | "error", text: string) => void;
}

/** Starts, stops, checks and re-announces haresources groups (one operation at a time). */
export interface GroupRunnerPort {
  startGroup(group: ResourceGroup): Promise<GroupOutcome>;
  stopGroup(group: ResourceGroup): Promise<GroupOutcome>;
  statusGroup(group: ResourceGroup): Promise<GroupStatus>;
  announceGroup(group: ResourceGroup): Promise<GroupOutcome>;
  /** Removes the group's IP addresses at once, outside the queue (the core's drop-addresses). */
  dropAddresses(group: ResourceGroup): Promise<GroupOutcome>;
  /** Restarts one resource of a running group in place (resource monitoring), through the same queue. */
  restartResource(group: ResourceGroup, resource: string): Promise<GroupOutcome>;
}

/** Resource monitoring: carries out the core's run-check and restart-resource actions. */
export interface MonitorPort {
  carryOut(action: RunCheck | RestartResource): void;
  /** Aborts every run (daemon stopping, or a reload replacing the checks). */
  close(): void;
}

export interface MonitorSpec {
  readonly config: ClusterConfig;
  readonly runner: GroupRunnerPort;
  /** Feeds a result back into the core. */
  readonly onEvent: (event: CheckFinished | ResourceRestarted) => void;
  readonly log: (level: LogLevel, text: string) => void;
}

/** Where log lines go (logfile, debugfile, syslog, stderr). */
export interface LoggerPort {
  log(level: LogLevel, text: string, program?: string): void;
  /** Reopens the log files by name (after logrotate renamed them). */
  reopen(): void;
  /** Live reload of the log targets (files, facility) and of the debug level. */
  reconfigure(settings: LoggerSettings): void;
  readonly debugLevel: number;
  setDebugLevel(level: number): void;
  close(): Promise<void>;
}

export interface LoggerSettings {
  readonly logfile?: string;
  readonly debugfile?: string;
  readonly logfacility?: string;
  readonly debugLevel: number;
}

/** What the resource guard did on its own (daemon/resource-guard.ts). */
export interface GuardReport {
  /** The groups whose IP addresses it removed while the daemon was silent. */
  readonly droppedAddresses: readonly string[];
}

/** The resource guard: a second process that releases a dead or frozen daemon's groups. */
export interface GuardPort {
  /** Which groups are held (or being started) now. */
  held(keys: readonly string[]): void;
  /** "Still alive": sent every keepalive; a guard that stops hearing them drops the addresses. */
  tick(): void;
  /** The daemon applied a reload: the guard re-reads the configuration (new groups, deadtime). */
  reload(): void;
  /** Normal exit: nothing is held; the guard goes away without doing anything. */
  clean(): void;
}

export interface GuardSpec {
  readonly configDir: string;
  readonly localNode: string;
  readonly runDir: string;
  readonly onReport: (report: GuardReport) => void;
  readonly onError: (text: string) => void;
}

/** cl_status, the status page, /metrics and the notify hook (StatusService). */
export interface StatusSinkPort {
  start(): Promise<void>;
  observe(actions: readonly ClusterAction[]): void;
  recordLog(level: LogLevel, text: string): void;
  status(): unknown;
  close(): Promise<void>;
}

export interface StatusSpec {
  readonly config: ClusterConfig;
  readonly snapshot: () => MembershipSnapshot;
  readonly log: (level: LogLevel, text: string) => void;
  readonly monotonicNow: () => Millis;
}

/** The local control socket (one JSON request, one answer). */
export interface ControlServerPort {
  close(): Promise<void>;
}

export type ControlHandler = (request: Record<string, unknown>) => unknown;

/** The node's persistent identity and hostcache (state dir). */
export interface StateStorePort {
  loadIdentity(stateDir: string, method: "file" | "time"): NodeIdentity;
  writeHostcache(stateDir: string, text: string): Promise<void>;
}

/** The pid file in the run dir. */
export interface PidFilePort {
  write(runDir: string, pid: number): void;
  remove(runDir: string, pid: number): void;
}

/** Operating-system signals the daemon handles (SIGHUP, SIGUSR1…). */
export interface SignalsPort {
  on(signal: NodeJS.Signals, handler: () => void): void;
  /** Removes every handler the daemon installed. */
  offAll(): void;
}

/** Programs from `respawn` lines other than ipfail. */
export interface ChildrenPort {
  start(): void;
  stop(): void;
}

/**
 * Everything the driver needs from the outside world. The real set is built by
 * `realPorts()` (daemon/real-ports.ts) for `heartbeat -f`; tests pass fakes.
 */
export interface DaemonPorts {
  readonly clock: ClockPort;
  readonly createMedia: (spec: MediaSpec) => MediaPort;
  readonly createPinger: (spec: PingerSpec) => PingerPort;
  readonly createGroupRunner: (config: ClusterConfig, log: (level: LogLevel, text: string) => void) => GroupRunnerPort;
  readonly logger: LoggerPort;
  /** Undefined: no guard (tests, or no groups to guard). */
  readonly createGuard?: (spec: GuardSpec) => GuardPort;
  readonly createStatus: (spec: StatusSpec) => StatusSinkPort;
  readonly createMonitors: (spec: MonitorSpec) => MonitorPort;
  readonly startControlServer: (runDir: string, handler: ControlHandler) => Promise<ControlServerPort>;
  readonly stateStore: StateStorePort;
  readonly pidFile: PidFilePort;
  readonly signals: SignalsPort;
  readonly createChildren: (config: ClusterConfig, log: (level: "info" | "warn" | "error", text: string) => void) => ChildrenPort;
  /** Re-reads the configuration directory (reload). */
  readonly loadConfig: () => ConfigLoadResult;
  /** The first line of /proc/loadavg (the `ld` field), refreshed off the send path. */
  readonly readLoad: () => Promise<string>;
  /** Wall clock in ms (the `ts` field only). */
  readonly wallNow: () => number;
  readonly pid: number;
  readonly makeRunDir: (runDir: string) => void;
}
