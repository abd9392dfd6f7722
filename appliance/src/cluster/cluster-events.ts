// The inputs of the cluster core: timestamped facts, named in the past tense.

import type { HaMessage } from "../protocol/ha-message";
import type { Millis } from "./time";
import type { ClusterNodeOptions } from "./cluster-node";

/** The daemon opened its media and starts sending; the core's clock starts here. */
export interface Started {
  readonly type: "started";
  readonly at: Millis;
}

/** Nothing arrived, but a deadline the core asked for (nextWakeAt) has passed. */
export interface ClockAdvanced {
  readonly type: "clock-advanced";
  readonly at: Millis;
}

/** An authenticated, well-formed message arrived on one of our links. */
export interface MessageReceived {
  readonly type: "message-received";
  readonly at: Millis;
  /** The local interface (medium) it arrived on: Heartbeat's link name. */
  readonly link: string;
  /** The sender's address as seen on the wire, for log lines only. */
  readonly fromAddress: string;
  readonly message: HaMessage;
}

/** A datagram was dropped by the decoder (malformed, unsigned, forged…); counted and logged at a limited rate. */
export interface DatagramRejected {
  readonly type: "datagram-rejected";
  readonly at: Millis;
  readonly link: string;
  readonly fromAddress: string;
  readonly reason: string;
  readonly detail: string;
}

/** The operator asked the daemon to stop. */
export interface ShutdownRequested {
  readonly type: "shutdown-requested";
  readonly at: Millis;
}

/** A start or stop of one resource group, asked for by a StartGroup/StopGroup action, has ended. */
export interface GroupFinished {
  readonly type: "group-finished";
  readonly at: Millis;
  readonly key: string;
  readonly operation: "start" | "stop";
  readonly succeeded: boolean;
  /** The failing resource and its words, for the log. */
  readonly detail?: string;
}

/** Which groups an hb_standby / hb_takeover names, relative to the node it runs on. */
export type ResourceSet = "all" | "local" | "foreign" | "failback";

/** The operator ran hb_standby or hb_takeover on this node. */
export interface AdminRequested {
  readonly type: "admin-requested";
  readonly at: Millis;
  readonly command: "standby" | "takeover";
  readonly which: ResourceSet;
}

/** A ping host answered an ICMP echo. */
export interface PingReplied {
  readonly type: "ping-replied";
  readonly at: Millis;
  readonly host: string;
}

/**
 * The operator reloaded the configuration (SIGHUP, `heartbeat -r`) and the new files passed
 * every check. `options` is the whole new core configuration; the node's identity
 * (`localNode`, `generation`) is unchanged. The core applies what can change live
 * (timings, links, ping nodes, ipfail, groups added or removed through the normal
 * handshake) and logs what it left as it was.
 */
export interface ConfigReloaded {
  readonly type: "config-reloaded";
  readonly at: Millis;
  readonly options: ClusterNodeOptions;
}

/**
 * The resource guard (a second process) removed these groups' IP addresses while the
 * daemon was frozen or starved past the peer's deadtime (daemon/resource-guard.ts). The
 * driver steps this as soon as it runs again and reads the guard's report. The groups'
 * other resources may still run: the addresses are gone, so the node no longer serves
 * them, and the peer has most likely taken them over. Contract for the core: treat these
 * groups as no longer held here (release what is left of them, never announce them
 * again, tell the peer through the normal handshake) and rejoin.
 */
export interface GuardDroppedAddresses {
  readonly type: "guard-dropped-addresses";
  readonly at: Millis;
  readonly keys: readonly string[];
}

/**
 * A heartbeat interface lost or regained its link, as the driver sees it: no carrier, taken
 * down, or its address gone (the media close then), and back. Only a hint for timing: the
 * peer's liveness still comes from its heartbeats alone.
 */
export interface MediaChanged {
  readonly type: "media-changed";
  readonly at: Millis;
  /** The local interface (a name of ClusterNodeOptions.links). */
  readonly link: string;
  readonly up: boolean;
}

/** A run of a resource check, asked for by a RunCheck action, has ended (see resource-monitor.ts). */
export interface CheckFinished {
  readonly type: "check-finished";
  readonly at: Millis;
  /** The check's id and the run's id from RunCheck. */
  readonly check: string;
  readonly runId: number;
  readonly healthy: boolean;
  /** One line: what the check saw (`HTTP 503`, `connect ECONNREFUSED`, the agent's status words). */
  readonly words: string;
  readonly latencyMs: number;
}

/** A restart of one resource in place, asked for by a RestartResource action, has ended. */
export interface ResourceRestarted {
  readonly type: "resource-restarted";
  readonly at: Millis;
  readonly key: string;
  readonly resource: string;
  readonly succeeded: boolean;
  readonly detail?: string;
}

/** The operator cleared the monitor failure counts (`twinbeat resource-reset [GROUP]`). */
export interface FailuresResetRequested {
  readonly type: "failures-reset-requested";
  readonly at: Millis;
  /** One group, or every group when absent. */
  readonly key?: string;
}

export type ClusterEvent =
  | MediaChanged
  | GuardDroppedAddresses
  | CheckFinished
  | ResourceRestarted
  | FailuresResetRequested
  | ConfigReloaded
  | PingReplied
  | Started
  | ClockAdvanced
  | MessageReceived
  | DatagramRejected
  | ShutdownRequested
  | GroupFinished
  | AdminRequested;
