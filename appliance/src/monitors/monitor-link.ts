// The daemon's side of resource monitoring: carries out run-check and restart-resource actions and feeds their results back as events.

import type { LogLevel, RestartResource, RunCheck } from "../cluster/cluster-actions";
import type { CheckFinished, ResourceRestarted } from "../cluster/cluster-events";
import type { Millis } from "../cluster/time";
import { isIpAgent } from "../config/builtin-agents";
import type { ClusterConfig, ResourceGroup, ResourceSpec } from "../config/cluster-config";
import { resolveMonitors, type ResolvedMonitor } from "../config/monitor-directives";
import type { AgentRegistry } from "../resources/agent-registry";
import { runProcess, type CommandRunner } from "../adapters/process-runner";
import type { GroupOutcome } from "../resources/resource-group-runner";
import { runAgentStatusCheck, type CarrierReader } from "./agent-status-check";
import type { CheckOutcome } from "./check-outcome";
import { runHttpCheck } from "./http-check";
import { runScriptCheck } from "./script-check";
import { runTcpCheck } from "./tcp-check";

export interface MonitorLinkOptions {
  readonly config: ClusterConfig;
  /** The daemon's runner: restarts go through its queue, so they never overlap a group start or stop. */
  readonly runner: { restartResource(group: ResourceGroup, resource: string): Promise<GroupOutcome> };
  /** Agents for status checks, made with the check's timeout and OCF_CHECK_LEVEL. */
  readonly registryFor: (timeoutMs: number, depth: number) => AgentRegistry;
  /** Feeds a result back into the core (the daemon's step). */
  readonly onEvent: (event: CheckFinished | ResourceRestarted) => void;
  /** The monotonic clock, in ms. */
  readonly now: () => Millis;
  readonly log: (level: LogLevel, text: string) => void;
  readonly runCommand?: CommandRunner;
  readonly carrier?: CarrierReader;
}

/**
 * Runs checks off the heartbeat path: a run-check only starts a promise; its answer comes
 * back as an event whenever it ends. A check never overlaps itself: while a run is out (even
 * one the core already timed out, until its abort lands) a new one is answered at once as
 * failed. Every run is aborted at its timeout (sockets destroyed, process groups killed).
 */
export class MonitorLink {
  readonly #opts: MonitorLinkOptions;
  readonly #checks = new Map<string, ResolvedMonitor>();
  readonly #running = new Map<string, AbortController>();
  readonly #registries = new Map<string, AgentRegistry>();
  #closed = false;

  constructor(options: MonitorLinkOptions) {
    this.#opts = options;
    // The same resolution as monitoredGroupsOf(config), which gives the core the same check ids.
    const { resolved } = resolveMonitors(options.config.twinbeat.monitors ?? [], options.config.groups);
    for (const r of resolved) this.#checks.set(r.id, r);
  }

  carryOut(action: RunCheck | RestartResource): void {
    if (this.#closed) return;
    if (action.type === "run-check") this.#runCheck(action);
    else void this.#restart(action);
  }

  /** Aborts every run (daemon stopping). */
  close(): void {
    this.#closed = true;
    for (const c of this.#running.values()) c.abort();
  }

  #runCheck(action: RunCheck): void {
    const check = this.#checks.get(action.check);
    const answer = (o: CheckOutcome) => this.#opts.onEvent({ type: "check-finished", at: this.#opts.now(), check: action.check, runId: action.runId, ...o });
    if (!check) {
      answer({ healthy: false, words: "unknown check (configuration changed?)", latencyMs: 0 });
      return;
    }
    if (this.#running.has(action.check)) {
      answer({ healthy: false, words: "the previous run has not ended yet", latencyMs: 0 });
      return;
    }
    const abort = new AbortController();
    this.#running.set(action.check, abort);
    const timer = setTimeout(() => abort.abort(), action.timeoutMs);
    void this.#run(check, abort.signal, action.timeoutMs)
      .catch((err: Error) => ({ healthy: false, words: `internal error: ${err.message}`, latencyMs: 0 }))
      .then((o) => {
        clearTimeout(timer);
        this.#running.delete(action.check);
        if (!this.#closed) answer(o);
      });
  }

  async #run(check: ResolvedMonitor, signal: AbortSignal, timeoutMs: number): Promise<CheckOutcome> {
    const t = check.monitor.target;
    switch (t.kind) {
      case "http":
        return runHttpCheck(t, { signal });
      case "tcp":
        return runTcpCheck(t, { signal });
      case "script":
        return runScriptCheck(t, { signal, timeoutMs, run: this.#opts.runCommand ?? runProcess, env: { ...process.env, HA_RSCNAME: check.resourceToken } });
      case "status": {
        const spec = this.#spec(check);
        if (!spec) return { healthy: false, words: `resource ${check.resourceToken} is not in haresources`, latencyMs: 0 };
        const agent = this.#registry(timeoutMs, t.depth).agentFor(spec);
        // The agent's own runner enforces the timeout; the abort covers agents that do not fork.
        return Promise.race([
          runAgentStatusCheck(agent, isIpAgent(spec.name), this.#opts.carrier),
          new Promise<CheckOutcome>((resolve) =>
            signal.addEventListener("abort", () => resolve({ healthy: false, words: `status timed out after ${timeoutMs} ms`, latencyMs: timeoutMs }), {
              once: true,
            }),
          ),
        ]);
      }
    }
  }

  async #restart(action: RestartResource): Promise<void> {
    const group = this.#opts.config.groups.find((g) => g.key === action.key);
    let succeeded = false;
    let detail: string | undefined;
    if (!group) {
      detail = "unknown group";
    } else {
      try {
        const outcome = await this.#opts.runner.restartResource(group, action.resource);
        succeeded = outcome.kind === "succeeded";
        if (outcome.kind === "failed") detail = `${outcome.resource}: ${outcome.words}`;
      } catch (err) {
        detail = `internal error: ${(err as Error).message}`;
      }
    }
    if (this.#closed) return;
    this.#opts.onEvent({
      type: "resource-restarted",
      at: this.#opts.now(),
      key: action.key,
      resource: action.resource,
      succeeded,
      ...(detail ? { detail } : {}),
    });
  }

  #spec(check: ResolvedMonitor): ResourceSpec | undefined {
    return this.#opts.config.groups.find((g) => g.key === check.groupKey)?.resources.find((r) => r.raw === check.resourceToken);
  }

  #registry(timeoutMs: number, depth: number): AgentRegistry {
    const key = `${timeoutMs}/${depth}`;
    let r = this.#registries.get(key);
    if (!r) {
      r = this.#opts.registryFor(timeoutMs, depth);
      this.#registries.set(key, r);
    }
    return r;
  }
}
