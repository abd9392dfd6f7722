// The outputs of the cluster core: imperative actions the driver carries out in order.

import type { HaMessage } from "../protocol/ha-message";

export type LogLevel = "debug" | "info" | "warn" | "error" | "crit";

/**
 * Send a cluster message on every medium. `body` holds the message's own fields;
 * the driver appends the control fields (src, srcuuid, seq, hg, ts, ld, ttl) in
 * Heartbeat's order and signs it. `seq` is set for sequenced messages only.
 */
export interface SendMessage {
  readonly type: "send";
  readonly body: HaMessage;
  readonly seq?: number;
}

/** Write one log line (Heartbeat's wording where Heartbeat has one). */
export interface WriteLog {
  readonly type: "log";
  readonly level: LogLevel;
  readonly text: string;
}

/** Everything the core had to do before stopping is done (shutdone sent): the daemon may exit. */
export interface ShutdownComplete {
  readonly type: "shutdown-complete";
}

/** Start resource group `key` (left to right); the outcome comes back as GroupFinished. */
export interface StartGroup {
  readonly type: "start-group";
  readonly key: string;
}

/** Stop resource group `key` (right to left); the outcome comes back as GroupFinished. */
export interface StopGroup {
  readonly type: "stop-group";
  readonly key: string;
}

/**
 * Remove the IP addresses of these groups now, before (and besides) their stop-group: the
 * release is not coordinated with the peer (we give way, heal a partition, wake from a
 * stall), so the peer may be adding the same addresses already. Stopping a group runs its
 * resources right to left, the address last, after services that may take seconds to stop:
 * dropping the addresses first keeps the time both nodes answer for them to milliseconds.
 * Fire and forget: the stop-group that follows removes them again (a no-op) and reports.
 */
export interface DropAddresses {
  readonly type: "drop-addresses";
  readonly keys: readonly string[];
}

/** Held resources changed hands: for notify hooks and the status page. */
export interface ReportTransition {
  readonly type: "report-transition";
  readonly key: string;
  readonly state: "acquired" | "released" | "failed";
  readonly reason: string;
}

/** Send our sequenced packet `seq` again exactly as it first went out (the driver keeps the bytes). */
export interface Retransmit {
  readonly type: "retransmit";
  readonly seq: number;
}

/** Announce a held group's addresses again (gratuitous ARP / unsolicited NA), e.g. after a partition heals. */
export interface AnnounceGroup {
  readonly type: "announce-group";
  readonly key: string;
}

/**
 * Run one resource check now (see resource-monitor.ts); the result comes back as
 * CheckFinished with the same runId. The core times the run out itself after
 * timeoutMs; the runner should abort it by then too and never overlap two runs of a check.
 */
export interface RunCheck {
  readonly type: "run-check";
  readonly key: string;
  readonly check: string;
  readonly runId: number;
  readonly timeoutMs: number;
}

/**
 * Restart one resource of a running group in place, respecting the group's order: the
 * resources from the last down to this one are stopped, then started again left to right.
 * The outcome comes back as ResourceRestarted.
 */
export interface RestartResource {
  readonly type: "restart-resource";
  readonly key: string;
  readonly resource: string;
}

export type ClusterAction =
  | DropAddresses
  | RunCheck
  | RestartResource
  | AnnounceGroup
  | SendMessage
  | WriteLog
  | ShutdownComplete
  | StartGroup
  | StopGroup
  | ReportTransition
  | Retransmit;
