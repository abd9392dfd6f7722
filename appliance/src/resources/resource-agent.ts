// The ResourceAgent contract (start / stop / status), its outcome types, and the one place where exit codes get their meaning.

import * as os from "node:os";
import type { LogLevel } from "../cluster/cluster-actions";
import type { ResourceSpec } from "../config/cluster-config";
import type { CommandRunner, ProcessResult } from "../adapters/process-runner";

/**
 * What a start, stop or announce came to. Expected operational failures are data, never
 * exceptions: the core turns them into events and fault reasons.
 */
export type AgentOutcome =
  | { readonly kind: "succeeded" }
  /** The agent ran and said no. `output` is the tail (about 2 KB) of what it printed. */
  | { readonly kind: "failed"; readonly exitCode: number; readonly output: string }
  /** The agent ran longer than its timeout; its whole process group was killed. */
  | { readonly kind: "timed-out"; readonly afterMs: number; readonly output: string }
  /** There is nothing to run: no such script or agent, or a tool it needs is missing. */
  | { readonly kind: "not-found"; readonly message: string };

/** Every outcome but success. */
export type AgentFailure = Exclude<AgentOutcome, { readonly kind: "succeeded" }>;

/**
 * What a status (monitor) call found. `words` says why, in the agent's own words where it
 * printed any ("OCF Resource Dummy::x is running", "exit code 1: generic error"…).
 * `unknown` means the agent could not tell (it failed, timed out or is missing); callers
 * treat it as "maybe running" when stopping and "not running" when starting.
 */
export interface AgentStatus {
  readonly kind: "running" | "stopped" | "unknown";
  readonly words: string;
}

/** How agents log: one line of text at a Heartbeat level; the daemon's logger adds program, pid and time. */
export type AgentLog = (level: LogLevel, text: string) => void;

/** A Heartbeat v1 resource: one haresources token, driven by the resource-group runner. */
export interface ResourceAgent {
  /** The resource this agent runs, as parsed from haresources. */
  readonly spec: ResourceSpec;
  /**
   * The command line Heartbeat would log, without the operation: `/etc/ha.d/resource.d/IPaddr
   * 192.168.8.100/32`, `/etc/init.d/apache2`, `/usr/lib/ocf/resource.d/heartbeat/Dummy`.
   */
  readonly commandLine: string;
  /** Brings the resource up; idempotent (already running = success). */
  start(): Promise<AgentOutcome>;
  /** Takes the resource down; idempotent (already stopped = success). */
  stop(): Promise<AgentOutcome>;
  status(): Promise<AgentStatus>;
  /**
   * Tells the neighbours again where the resource lives (gratuitous ARP / unsolicited
   * neighbour advertisement). Only virtual-address agents have it; the core asks for it
   * after a partition heals.
   */
  announce?(): Promise<AgentOutcome>;
}

/** Everything an agent needs from the daemon. */
export interface AgentContext {
  /** The Heartbeat configuration directory (`/etc/ha.d`): scripts are in `<configDir>/resource.d`. */
  readonly configDir: string;
  /** Where LSB init scripts are looked for after resource.d (`/etc/init.d`). */
  readonly initDir: string;
  /** How long one script run may take before its process group is killed. */
  readonly timeoutMs: number;
  /**
   * Variables added to the daemon's own environment for every script: HA_CURHOST, HA_DIR,
   * HA_FUNCS, HA_LOGFILE, HA_DEBUGLOG, HA_LOGFACILITY, HA_debug, OCF_ROOT… (spec §4.9; see
   * `resourceEnvironment` in agent-registry.ts).
   */
  readonly env: Readonly<Record<string, string>>;
  readonly log: AgentLog;
  /** Runs external programs; tests and network-namespace labs pass their own. Default: runProcess. */
  readonly runCommand?: CommandRunner;
}

// ---------------------------------------------------------------------------------------
// Exit codes: the only place that says what a number means (OCF resource-agent API §"Return
// codes", LSB init-script actions; ClusterLabs/OCF-spec ra/1.1/resource-agent-api.md).
// ---------------------------------------------------------------------------------------

/** OCF return codes. 0 and 7 are answers; 1–6 are the LSB failures; 8–9 are for promotable agents. */
export const OCF_EXIT = {
  success: 0,
  errGeneric: 1,
  errArgs: 2,
  errUnimplemented: 3,
  errPerm: 4,
  errInstalled: 5,
  errConfigured: 6,
  notRunning: 7,
  runningPromoted: 8,
  failedPromoted: 9,
} as const;

const OCF_EXIT_WORDS: Readonly<Record<number, string>> = {
  0: "success",
  1: "generic error",
  2: "invalid argument",
  3: "unimplemented feature",
  4: "insufficient privileges",
  5: "not installed",
  6: "not configured",
  7: "not running",
  8: "running (promoted)",
  9: "failed (promoted)",
  126: "not executable",
  127: "command not found",
};

/** LSB `status` action codes; Heartbeat itself reads only the status text (spec §2.2). */
const LSB_STATUS_WORDS: Readonly<Record<number, string>> = {
  0: "program is running",
  1: "program is dead and a pid file exists",
  2: "program is dead and a lock file exists",
  3: "program is not running",
  4: "program status is unknown",
};

/** Words for an exit code of start, stop or an OCF monitor: `1: generic error`, `137: killed by SIGKILL`. */
export function describeExitCode(code: number): string {
  const words = OCF_EXIT_WORDS[code] ?? signalWords(code) ?? "error";
  return `${code}: ${words}`;
}

/** Words for the exit code of an LSB `status` action: `3: program is not running`. */
export function describeLsbStatusExit(code: number): string {
  return `${code}: ${LSB_STATUS_WORDS[code] ?? signalWords(code) ?? "reserved status code"}`;
}

/** How an OCF `monitor` exit code reads as a status: 0 running, 7 stopped, anything else unknown. */
export function statusFromOcfExit(code: number, output: string): AgentStatus {
  const said = lastLine(output);
  if (code === OCF_EXIT.success || code === OCF_EXIT.runningPromoted) {
    return { kind: "running", words: said || "running" };
  }
  if (code === OCF_EXIT.notRunning) {
    return { kind: "stopped", words: said || "not running" };
  }
  return { kind: "unknown", words: `monitor failed with exit code ${describeExitCode(code)}${said ? `: ${said}` : ""}` };
}

/**
 * The outcome of a start or stop run: exit 0 is success, any other code is a failure with
 * the output tail; a timeout or a missing program says so.
 */
export function outcomeFromProcess(result: ProcessResult): AgentOutcome {
  switch (result.kind) {
    case "exited":
      return result.exitCode === OCF_EXIT.success ? { kind: "succeeded" } : { kind: "failed", exitCode: result.exitCode, output: result.output };
    case "timed-out":
      return { kind: "timed-out", afterMs: result.afterMs, output: result.output };
    case "aborted":
      return { kind: "failed", exitCode: 128 + (os.constants.signals.SIGTERM ?? 15), output: `${result.output}${result.output ? "\n" : ""}aborted` };
    case "spawn-failed":
      if (result.errorCode === "ENOENT") {
        return { kind: "not-found", message: result.message };
      }
      return { kind: "failed", exitCode: result.errorCode === "EACCES" ? 126 : 127, output: result.message };
  }
}

/**
 * The failure a run that did not do its job amounts to: as {@link outcomeFromProcess}, except
 * that an exit code of 0 (the program ran but its output said no) counts as a generic error.
 */
export function failureFromProcess(result: ProcessResult): AgentFailure {
  const outcome = outcomeFromProcess(result);
  return outcome.kind === "succeeded" ? { kind: "failed", exitCode: OCF_EXIT.errGeneric, output: result.kind === "exited" ? result.output : "" } : outcome;
}

/** One line describing an outcome, for logs and group results. */
export function describeOutcome(outcome: AgentOutcome): string {
  switch (outcome.kind) {
    case "succeeded":
      return "succeeded";
    case "failed": {
      const said = lastLine(outcome.output);
      return `failed with exit code ${describeExitCode(outcome.exitCode)}${said ? `: ${said}` : ""}`;
    }
    case "timed-out": {
      const said = lastLine(outcome.output);
      return `timed out after ${outcome.afterMs} ms${said ? `: ${said}` : ""}`;
    }
    case "not-found":
      return outcome.message;
  }
}

function signalWords(code: number): string | undefined {
  if (code <= 128 || code > 128 + 64) {
    return undefined;
  }
  const entry = Object.entries(os.constants.signals).find(([, num]) => num === code - 128);
  return entry ? `killed by ${entry[0]}` : undefined;
}

/** The last non-empty line of some output, trimmed (scripts put their reason last). */
export function lastLine(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return lines[lines.length - 1] ?? "";
}
