// The script check: any program, exit 0 = healthy (keepalived's vrrp_script), run through the process runner.

import type { CheckTarget } from "../config/monitor-directives";
import { lastLine } from "../resources/resource-agent";
import type { CommandRunner } from "../adapters/process-runner";
import { elapsedSince, type CheckOutcome, type CheckRunOptions } from "./check-outcome";

type ScriptTarget = Extract<CheckTarget, { kind: "script" }>;

/** Runs the program in its own process group; on abort the group is killed by the runner. */
export async function runScriptCheck(
  target: ScriptTarget,
  options: CheckRunOptions & { readonly run: CommandRunner; readonly timeoutMs: number; readonly env: NodeJS.ProcessEnv },
): Promise<CheckOutcome> {
  const startedAt = performance.now();
  const result = await options.run(target.command, [], { timeoutMs: options.timeoutMs, signal: options.signal, env: options.env, killGraceMs: 200 });
  const latencyMs = elapsedSince(startedAt);
  switch (result.kind) {
    case "exited": {
      const said = lastLine(result.output);
      return { healthy: result.exitCode === 0, words: `exit ${result.exitCode}${said ? `: ${said}` : ""}`, latencyMs };
    }
    case "timed-out":
      return { healthy: false, words: `timed out after ${result.afterMs} ms`, latencyMs };
    case "aborted":
      return { healthy: false, words: "aborted (timeout)", latencyMs };
    case "spawn-failed":
      return { healthy: false, words: `cannot run ${target.command}: ${result.message}`, latencyMs };
  }
}
