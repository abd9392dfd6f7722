// Acquires and releases whole resource groups the Heartbeat v1 way: left to right with rollback, right to left with retried stops.

import { isIpAgent } from "../config/builtin-agents";
import type { ResourceGroup, ResourceSpec } from "../config/cluster-config";
import type { AgentFailure, AgentLog, AgentOutcome, AgentStatus, ResourceAgent } from "./resource-agent";
import { describeOutcome } from "./resource-agent";

/** One resource that did not do what was asked. */
export interface ResourceFailure {
  /** The resource token as written in haresources. */
  readonly resource: string;
  readonly operation: "start" | "stop" | "announce";
  readonly outcome: AgentFailure;
  /** One line: the resource's own words where it gave any. */
  readonly words: string;
}

/** How a group operation ended. `failures[0]` is the cause; later entries are failed rollback stops. */
export type GroupOutcome =
  | { readonly kind: "succeeded" }
  | { readonly kind: "failed"; readonly resource: string; readonly words: string; readonly failures: readonly ResourceFailure[] };

/** Heartbeat's `statgroup`: ALL / SOME / NONE of the group's resources report running. */
export interface GroupStatus {
  readonly kind: "all" | "some" | "none";
  readonly resources: ReadonlyArray<{ readonly resource: string; readonly status: AgentStatus }>;
}

export interface ResourceGroupRunnerOptions {
  /** The agent for a resource (normally `AgentRegistry.agentFor`). */
  readonly agentFor: (spec: ResourceSpec) => ResourceAgent;
  readonly log: AgentLog;
  /**
   * Extra stop attempts after a failed stop while the resource may still be running.
   * Default 3 (Heartbeat: HA_STOPRETRYMAX, default 10).
   */
  readonly stopRetries?: number;
  /** Pause before each extra stop attempt. Default 1000 ms, as Heartbeat. */
  readonly stopRetryDelayMs?: number;
  /** Waits; tests pass one that does not. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs groups one operation at a time (Heartbeat runs resource-management children one at a
 * time too): a call made while another is running waits its turn.
 */
export class ResourceGroupRunner {
  readonly #agentFor: (spec: ResourceSpec) => ResourceAgent;
  readonly #log: AgentLog;
  readonly #stopRetries: number;
  readonly #stopRetryDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ResourceGroupRunnerOptions) {
    this.#agentFor = options.agentFor;
    this.#log = options.log;
    this.#stopRetries = options.stopRetries ?? 3;
    this.#stopRetryDelayMs = options.stopRetryDelayMs ?? 1000;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Acquires a group left to right: a resource whose status says running is skipped, the
   * others are started. When one fails (Heartbeat: "Giving up resources due to failure of …")
   * the group is rolled back right to left: every resource up to and including the failed
   * one is stopped — the ones this attempt started, the failed one (it may be half up) and
   * the ones found already running — so no part of the group stays up. Resources right of
   * the failure were never touched and are left alone. Unlike Heartbeat, no `hb_standby`
   * follows: what to do next is the cluster core's decision.
   */
  startGroup(group: ResourceGroup): Promise<GroupOutcome> {
    return this.#serialized(async () => {
      this.#log("info", `Acquiring resource group: ${describeGroup(group)}`);
      for (let i = 0; i < group.resources.length; i++) {
        const spec = group.resources[i]!;
        const agent = this.#agentFor(spec);
        const status = await agent.status();
        if (status.kind === "running") {
          this.#log("debug", `${spec.raw} is already running (${status.words}): not starting it`);
          continue;
        }
        const outcome = await agent.start();
        if (outcome.kind === "succeeded") {
          continue;
        }
        const cause = failureOf(spec, "start", outcome);
        this.#log("crit", `Giving up resources due to failure of ${spec.raw}: ${cause.words}`);
        const rollback = await this.#stopAll(group.resources.slice(0, i + 1), group);
        return { kind: "failed", resource: spec.raw, words: cause.words, failures: [cause, ...rollback] };
      }
      this.#log("info", `Resource group acquired: ${group.key}`);
      return { kind: "succeeded" };
    });
  }

  /**
   * Releases a group right to left. A failed stop is followed by a status call: if the
   * resource says it is stopped, the stop counts as done (Heartbeat's "probably not
   * LSB-compliant" warning); otherwise the stop is retried `stopRetries` times,
   * `stopRetryDelayMs` apart. A resource that still will not stop makes the outcome failed
   * and is logged at CRIT; the remaining resources are still stopped. Twinbeat never reboots
   * and never kills anything by name.
   */
  stopGroup(group: ResourceGroup): Promise<GroupOutcome> {
    return this.#serialized(async () => {
      this.#log("info", `Releasing resource group: ${describeGroup(group)}`);
      const failures = await this.#stopAll(group.resources, group);
      const first = failures[0];
      if (first === undefined) {
        this.#log("info", `Resource group released: ${group.key}`);
        return { kind: "succeeded" };
      }
      return { kind: "failed", resource: first.resource, words: first.words, failures };
    });
  }

  /**
   * Restarts one resource in place, keeping the group's order (resource monitoring's
   * on-fail=restart): the resources from the last down to `resource` are stopped right to left,
   * then started again left to right. A start that fails rolls back what this restart started
   * (the resources before `resource` stay up); the core then decides where the group goes.
   */
  restartResource(group: ResourceGroup, resource: string): Promise<GroupOutcome> {
    return this.#serialized(async () => {
      const from = group.resources.findIndex((r) => r.raw === resource);
      if (from < 0) {
        return { kind: "failed", resource, words: `not a resource of group ${group.key}`, failures: [] };
      }
      const tail = group.resources.slice(from);
      this.#log("info", `Restarting ${tail.map((r) => r.raw).join(" ")} of group ${group.key}`);
      const stopFailures = await this.#stopAll(tail, group);
      const stuck = stopFailures[0];
      if (stuck !== undefined) {
        return { kind: "failed", resource: stuck.resource, words: stuck.words, failures: stopFailures };
      }
      for (let i = 0; i < tail.length; i++) {
        const spec = tail[i]!;
        const outcome = await this.#agentFor(spec).start();
        if (outcome.kind === "succeeded") continue;
        const cause = failureOf(spec, "start", outcome);
        this.#log("crit", `Restart of ${spec.raw} in group ${group.key} failed: ${cause.words}`);
        const rollback = await this.#stopAll(tail.slice(0, i + 1), group);
        return { kind: "failed", resource: spec.raw, words: cause.words, failures: [cause, ...rollback] };
      }
      this.#log("info", `Restarted ${tail.map((r) => r.raw).join(" ")} of group ${group.key}`);
      return { kind: "succeeded" };
    });
  }

  /**
   * Removes the group's IP addresses (IPaddr, IPaddr2, IPv6addr) at once, outside the queue:
   * a release the peer does not wait for (the core's DropAddresses) must not wait behind a
   * service that takes seconds to stop. The group's stop-group follows through the queue and
   * removes them again, which an address agent treats as done.
   */
  async dropAddresses(group: ResourceGroup): Promise<GroupOutcome> {
    const addresses = group.resources.filter((r) => isIpAgent(r.name));
    const failures: ResourceFailure[] = [];
    for (const spec of [...addresses].reverse()) {
      const outcome = await this.#agentFor(spec).stop();
      if (outcome.kind !== "succeeded") failures.push(failureOf(spec, "stop", outcome));
    }
    if (addresses.length > 0)
      this.#log("info", `Addresses of resource group ${group.key} removed ahead of its release: ${addresses.map((r) => r.raw).join(" ")}`);
    const first = failures[0];
    return first === undefined ? { kind: "succeeded" } : { kind: "failed", resource: first.resource, words: first.words, failures };
  }

  /** Heartbeat's `statgroup`: asks every resource, left to right; unknown counts as not running. */
  statusGroup(group: ResourceGroup): Promise<GroupStatus> {
    return this.#serialized(async () => {
      const resources: Array<{ resource: string; status: AgentStatus }> = [];
      for (const spec of group.resources) {
        resources.push({ resource: spec.raw, status: await this.#agentFor(spec).status() });
      }
      const running = resources.filter((r) => r.status.kind === "running").length;
      const kind = running === 0 ? "none" : running === resources.length ? "all" : "some";
      return { kind, resources };
    });
  }

  /**
   * Announces the group's virtual addresses again (gratuitous ARP / unsolicited NA), e.g.
   * after a partition heals. Resources without `announce` are skipped.
   */
  announceGroup(group: ResourceGroup): Promise<GroupOutcome> {
    return this.#serialized(async () => {
      const failures: ResourceFailure[] = [];
      for (const spec of group.resources) {
        const agent = this.#agentFor(spec);
        if (agent.announce === undefined) {
          continue;
        }
        const outcome = await agent.announce();
        if (outcome.kind !== "succeeded") {
          const failure = failureOf(spec, "announce", outcome);
          this.#log("warn", `Cannot announce ${spec.raw}: ${failure.words}`);
          failures.push(failure);
        }
      }
      const first = failures[0];
      return first === undefined ? { kind: "succeeded" } : { kind: "failed", resource: first.resource, words: first.words, failures };
    });
  }

  /** Stops `resources` right to left with retries; returns the ones that would not stop. */
  async #stopAll(resources: readonly ResourceSpec[], group: ResourceGroup): Promise<ResourceFailure[]> {
    const failures: ResourceFailure[] = [];
    for (const spec of [...resources].reverse()) {
      const failure = await this.#stopOne(spec);
      if (failure !== undefined) {
        this.#log("crit", `Resource STOP failure: ${spec.raw} of group ${group.key} is still running or unknown: ${failure.words}`);
        this.#log("crit", "Twinbeat does not reboot: stop it by hand before the other node takes this group");
        failures.push(failure);
      }
    }
    return failures;
  }

  async #stopOne(spec: ResourceSpec): Promise<ResourceFailure | undefined> {
    const agent = this.#agentFor(spec);
    let outcome: AgentOutcome = await agent.stop();
    for (let retry = 0; outcome.kind !== "succeeded"; retry++) {
      const status = await agent.status();
      if (status.kind === "stopped") {
        this.#log("error", `Resource script for ${spec.raw} probably not LSB-compliant.`);
        this.#log("warn", `it (${spec.raw}) MUST succeed on a stop when already stopped`);
        return undefined;
      }
      if (retry >= this.#stopRetries) {
        return failureOf(spec, "stop", outcome);
      }
      await this.#sleep(this.#stopRetryDelayMs);
      this.#log("info", `Retrying failed stop operation [${spec.raw}]`);
      outcome = await agent.stop();
    }
    return undefined;
  }

  #serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** `srv5 IPaddr::192.0.2.100/32 httpd`: how Heartbeat names a group in its log. */
export function describeGroup(group: ResourceGroup): string {
  return [group.homeNode, ...group.resources.map((r) => r.raw)].join(" ");
}

function failureOf(spec: ResourceSpec, operation: ResourceFailure["operation"], outcome: AgentFailure): ResourceFailure {
  return { resource: spec.raw, operation, outcome, words: describeOutcome(outcome) };
}
