// Heartbeat resource.d scripts and LSB init scripts as resource agents: `<path> args… start|stop|status`, status read from stdout text.

import * as path from "node:path";
import type { LogLevel } from "../cluster/cluster-actions";
import type { ResourceSpec } from "../config/cluster-config";
import { runProcess, type ProcessResult } from "../adapters/process-runner";
import type { AgentContext, AgentOutcome, AgentStatus, ResourceAgent } from "./resource-agent";
import { describeExitCode, outcomeFromProcess } from "./resource-agent";

/** Where a script was found: `<configDir>/resource.d` (Heartbeat class) or the init directory (LSB). */
export type ScriptKind = "heartbeat" | "lsb";

export interface ScriptAgentOptions {
  readonly spec: ResourceSpec;
  /** The located script (an executable regular file). */
  readonly path: string;
  readonly kind: ScriptKind;
  readonly context: AgentContext;
}

/**
 * Reads a status answer exactly as Heartbeat's ResourceManager does (spec §2.2, function
 * `we_own_resource`): only stdout counts, the exit code is ignored. The whole text is matched
 * as by a shell `case` pattern, so `*` also crosses newlines:
 * 1. `not` in any letter case, a space, anything, then `running` or `Running` → stopped;
 * 2. else `running`, `Running` or an upper-case `OK` anywhere → running;
 * 3. else stopped.
 */
export function parseHeartbeatStatusText(stdout: string): "running" | "stopped" {
  if (/[Nn][Oo][Tt] [\s\S]*[Rr]unning/.test(stdout)) {
    return "stopped";
  }
  return /[Rr]unning|OK/.test(stdout) ? "running" : "stopped";
}

/** One external program run for an agent, with Heartbeat-style logging of every output line. */
export interface AgentProgramRun {
  /** The program to run. */
  readonly path: string;
  readonly args: readonly string[];
  /** Added on top of the daemon's environment and the context's HA_* variables. */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** Prefix of output lines in the log (`IPaddr`, `Dummy`…); the child's pid follows in brackets. */
  readonly label: string;
  /** Level for the program's output lines: info for start/stop, debug for status. */
  readonly lineLevel: LogLevel;
}

/**
 * Runs an agent program with the context's timeout and environment, logging each output
 * line as `label[pid]: line`. Shared by script and OCF agents.
 */
export function runAgentProgram(context: AgentContext, run: AgentProgramRun): Promise<ProcessResult> {
  const runner = context.runCommand ?? runProcess;
  return runner(run.path, run.args, {
    env: { ...process.env, ...context.env, ...run.extraEnv },
    timeoutMs: context.timeoutMs,
    onLine: (line, _stream, pid) => {
      if (line.trim() !== "") {
        context.log(run.lineLevel, `${run.label}[${pid}]: ${line}`);
      }
    },
  });
}

/** Logs how a start or stop ended, in ResourceManager's words where it has them. */
export function logOperationResult(context: AgentContext, programPath: string, commandLine: string, result: ProcessResult): void {
  switch (result.kind) {
    case "exited":
      context.log("debug", `${commandLine} done. RC=${result.exitCode}`);
      if (result.exitCode !== 0) {
        context.log("error", `Return code ${result.exitCode} from ${programPath} (${describeExitCode(result.exitCode)})`);
      }
      return;
    case "timed-out":
      context.log("error", `${commandLine} timed out after ${result.afterMs} ms: killed its process group`);
      return;
    case "aborted":
      context.log("warn", `${commandLine} was aborted: killed its process group`);
      return;
    case "spawn-failed":
      context.log("error", result.errorCode === "ENOENT" ? `Cannot locate resource script ${programPath}` : result.message);
      return;
  }
}

/** Squeezes a status answer into one short line for AgentStatus.words. */
export function statusWords(stdout: string): string {
  const text = stdout.trim().replace(/\s*\n\s*/g, " / ");
  if (text === "") {
    return "(no output)";
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/**
 * A script run the Heartbeat v1 way: `<path> arg1 … argN <op>`. Works for resource.d
 * scripts and LSB init scripts alike (Heartbeat passes the `::` arguments to both).
 */
export class ScriptAgent implements ResourceAgent {
  readonly spec: ResourceSpec;
  readonly path: string;
  readonly kind: ScriptKind;
  readonly #context: AgentContext;

  constructor(options: ScriptAgentOptions) {
    this.spec = options.spec;
    this.path = options.path;
    this.kind = options.kind;
    this.#context = options.context;
  }

  get commandLine(): string {
    return [this.path, ...this.spec.args].join(" ");
  }

  start(): Promise<AgentOutcome> {
    return this.#operate("start");
  }

  stop(): Promise<AgentOutcome> {
    return this.#operate("stop");
  }

  async status(): Promise<AgentStatus> {
    const result = await runAgentProgram(this.#context, {
      path: this.path,
      args: [...this.spec.args, "status"],
      label: path.basename(this.path),
      lineLevel: "debug",
    });
    switch (result.kind) {
      case "exited":
        return { kind: parseHeartbeatStatusText(result.stdout), words: statusWords(result.stdout) };
      case "timed-out":
        return { kind: "unknown", words: `status timed out after ${result.afterMs} ms` };
      case "aborted":
        return { kind: "unknown", words: "status was aborted" };
      case "spawn-failed":
        return { kind: "unknown", words: result.message };
    }
  }

  async #operate(op: "start" | "stop"): Promise<AgentOutcome> {
    const commandLine = `${this.commandLine} ${op}`;
    this.#context.log("info", `Running ${commandLine}`);
    const result = await runAgentProgram(this.#context, {
      path: this.path,
      args: [...this.spec.args, op],
      label: path.basename(this.path),
      lineLevel: "info",
    });
    logOperationResult(this.#context, this.path, commandLine, result);
    return outcomeFromProcess(result);
  }
}
