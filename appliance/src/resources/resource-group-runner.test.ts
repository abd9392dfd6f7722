// Tests for the resource-group runner with in-memory agents: start order and rollback, retried stops, statgroup, serialisation.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceGroup, ResourceSpec } from "../config/cluster-config";
import type { AgentOutcome, AgentStatus, ResourceAgent } from "./resource-agent";
import { ResourceGroupRunner } from "./resource-group-runner";
import { normalizeNodeName } from "../cluster/time";

/** An agent that keeps a running flag and records every call into a shared journal. */
class MemoryAgent implements ResourceAgent {
  readonly spec: ResourceSpec;
  readonly commandLine: string;
  running = false;
  /** Outcomes for the next start calls (default success). */
  startOutcomes: AgentOutcome[] = [];
  /** Outcomes for the next stop calls (default success). */
  stopOutcomes: AgentOutcome[] = [];
  /** When set, status answers this instead of the flag. */
  statusOverride: AgentStatus | undefined;
  announced = 0;
  readonly #journal: string[];
  readonly #delayMs: number;

  constructor(raw: string, journal: string[], delayMs = 0) {
    const [name, ...args] = raw.split("::");
    this.spec = { raw, name: name!, args };
    this.commandLine = `/etc/ha.d/resource.d/${name} ${args.join(" ")}`.trim();
    this.#journal = journal;
    this.#delayMs = delayMs;
  }

  async start(): Promise<AgentOutcome> {
    await this.#pause();
    this.#journal.push(`start ${this.spec.raw}`);
    const outcome = this.startOutcomes.shift() ?? { kind: "succeeded" };
    if (outcome.kind === "succeeded") {
      this.running = true;
    }
    return outcome;
  }

  async stop(): Promise<AgentOutcome> {
    await this.#pause();
    this.#journal.push(`stop ${this.spec.raw}`);
    const outcome = this.stopOutcomes.shift() ?? { kind: "succeeded" };
    if (outcome.kind === "succeeded") {
      this.running = false;
    }
    return outcome;
  }

  async status(): Promise<AgentStatus> {
    await this.#pause();
    this.#journal.push(`status ${this.spec.raw}`);
    return this.statusOverride ?? (this.running ? { kind: "running", words: "running" } : { kind: "stopped", words: "stopped" });
  }

  async #pause(): Promise<void> {
    if (this.#delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.#delayMs));
    }
  }
}

/** A group of memory agents, a runner over them that never really sleeps, and what it logged. */
function setup(raws: string[], options: { delayMs?: number; stopRetries?: number } = {}) {
  const journal: string[] = [];
  const logs: string[] = [];
  const sleeps: number[] = [];
  const agents = new Map(raws.map((raw) => [raw, new MemoryAgent(raw, journal, options.delayMs)]));
  const group: ResourceGroup = {
    homeNode: normalizeNodeName("srv5"),
    key: raws[0]!,
    resources: raws.map((raw) => agents.get(raw)!.spec),
    at: { file: "/etc/ha.d/haresources", line: 1 },
  };
  const runner = new ResourceGroupRunner({
    agentFor: (spec) => agents.get(spec.raw)!,
    log: (level, text) => logs.push(`${level}: ${text}`),
    ...(options.stopRetries !== undefined ? { stopRetries: options.stopRetries } : {}),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  const agent = (raw: string): MemoryAgent => agents.get(raw)!;
  return { journal, logs, sleeps, group, runner, agent };
}

const FAILED_START: AgentOutcome = { kind: "failed", exitCode: 1, output: "INFO: starting\nERROR: cannot bind 192.0.2.80:80: Address already in use\n" };

describe("ResourceGroupRunner.startGroup()", () => {
  it("asks each resource's status, then starts it, left to right", async () => {
    const { runner, group, journal, logs } = setup(["IPaddr::192.0.2.100/32", "Filesystem::/dev/sdb1::/data", "httpd"]);
    assert.deepEqual(await runner.startGroup(group), { kind: "succeeded" });
    assert.deepEqual(journal, [
      "status IPaddr::192.0.2.100/32",
      "start IPaddr::192.0.2.100/32",
      "status Filesystem::/dev/sdb1::/data",
      "start Filesystem::/dev/sdb1::/data",
      "status httpd",
      "start httpd",
    ]);
    assert.equal(logs[0], "info: Acquiring resource group: srv5 IPaddr::192.0.2.100/32 Filesystem::/dev/sdb1::/data httpd");
  });

  it("skips a resource whose status says running", async () => {
    const { runner, group, journal, agent } = setup(["IPaddr::192.0.2.100/32", "httpd"]);
    agent("IPaddr::192.0.2.100/32").running = true;
    assert.deepEqual(await runner.startGroup(group), { kind: "succeeded" });
    assert.deepEqual(journal, ["status IPaddr::192.0.2.100/32", "status httpd", "start httpd"]);
  });

  it("starts a resource whose status is unknown (a start must be idempotent)", async () => {
    const { runner, group, journal, agent } = setup(["httpd"]);
    agent("httpd").statusOverride = { kind: "unknown", words: "status timed out after 30000 ms" };
    assert.deepEqual(await runner.startGroup(group), { kind: "succeeded" });
    assert.deepEqual(journal, ["status httpd", "start httpd"]);
  });

  it("on a failed start stops, right to left, everything it touched, and names the resource and its words", async () => {
    const { runner, group, journal, logs, agent } = setup(["IPaddr::192.0.2.100/32", "Filesystem::/dev/sdb1::/data", "httpd", "MailTo::root"]);
    agent("IPaddr::192.0.2.100/32").running = true; // found running: part of the group, so rolled back too
    agent("httpd").startOutcomes = [FAILED_START];
    const outcome = await runner.startGroup(group);
    const words = "failed with exit code 1: generic error: ERROR: cannot bind 192.0.2.80:80: Address already in use";
    assert.deepEqual(outcome, {
      kind: "failed",
      resource: "httpd",
      words,
      failures: [{ resource: "httpd", operation: "start", outcome: FAILED_START, words }],
    });
    assert.deepEqual(journal, [
      "status IPaddr::192.0.2.100/32",
      "status Filesystem::/dev/sdb1::/data",
      "start Filesystem::/dev/sdb1::/data",
      "status httpd",
      "start httpd",
      "stop httpd",
      "stop Filesystem::/dev/sdb1::/data",
      "stop IPaddr::192.0.2.100/32",
    ]);
    assert.ok(!agent("MailTo::root").running && !journal.some((l) => l.endsWith("MailTo::root")), "resources right of the failure are not touched");
    assert.ok(logs.includes(`crit: Giving up resources due to failure of httpd: ${words}`));
    assert.deepEqual(
      ["IPaddr::192.0.2.100/32", "Filesystem::/dev/sdb1::/data", "httpd"].map((r) => agent(r).running),
      [false, false, false],
      "no half-started group",
    );
  });

  it("reports rollback stops that fail after the cause", async () => {
    const { runner, group, agent } = setup(["IPaddr::192.0.2.100/32", "httpd"], { stopRetries: 1 });
    agent("httpd").startOutcomes = [{ kind: "timed-out", afterMs: 30000, output: "" }];
    agent("IPaddr::192.0.2.100/32").stopOutcomes = [
      { kind: "failed", exitCode: 1, output: "busy" },
      { kind: "failed", exitCode: 1, output: "still busy" },
    ];
    const outcome = await runner.startGroup(group);
    assert.equal(outcome.kind, "failed");
    assert.ok(outcome.kind === "failed");
    assert.equal(outcome.words, "timed out after 30000 ms");
    assert.deepEqual(
      outcome.failures.map((f) => [f.resource, f.operation, f.words]),
      [
        ["httpd", "start", "timed out after 30000 ms"],
        ["IPaddr::192.0.2.100/32", "stop", "failed with exit code 1: generic error: still busy"],
      ],
    );
  });
});

describe("ResourceGroupRunner.stopGroup()", () => {
  it("stops right to left and logs Heartbeat's words", async () => {
    const { runner, group, journal, logs, agent } = setup(["IPaddr::192.0.2.100/32", "httpd"]);
    agent("IPaddr::192.0.2.100/32").running = true;
    agent("httpd").running = true;
    assert.deepEqual(await runner.stopGroup(group), { kind: "succeeded" });
    assert.deepEqual(journal, ["stop httpd", "stop IPaddr::192.0.2.100/32"]);
    assert.deepEqual(logs, ["info: Releasing resource group: srv5 IPaddr::192.0.2.100/32 httpd", "info: Resource group released: IPaddr::192.0.2.100/32"]);
  });

  it("retries a failed stop, 1 s apart, while status still says running", async () => {
    const { runner, group, journal, logs, sleeps, agent } = setup(["httpd"]);
    agent("httpd").running = true;
    agent("httpd").stopOutcomes = [
      { kind: "failed", exitCode: 1, output: "" },
      { kind: "failed", exitCode: 1, output: "" },
    ];
    assert.deepEqual(await runner.stopGroup(group), { kind: "succeeded" });
    assert.deepEqual(journal, ["stop httpd", "status httpd", "stop httpd", "status httpd", "stop httpd"]);
    assert.deepEqual(sleeps, [1000, 1000]);
    assert.equal(logs.filter((l) => l === "info: Retrying failed stop operation [httpd]").length, 2);
  });

  it("accepts a failed stop when status says stopped, with Heartbeat's LSB warning", async () => {
    const { runner, group, journal, logs, agent } = setup(["httpd"]);
    // httpd is not running, yet its stop script fails.
    agent("httpd").stopOutcomes = [{ kind: "failed", exitCode: 1, output: "not running" }];
    assert.deepEqual(await runner.stopGroup(group), { kind: "succeeded" });
    assert.deepEqual(journal, ["stop httpd", "status httpd"]);
    assert.ok(logs.includes("error: Resource script for httpd probably not LSB-compliant."));
    assert.ok(logs.includes("warn: it (httpd) MUST succeed on a stop when already stopped"));
  });

  it("gives up after the retries, loudly, but still stops the rest of the group", async () => {
    const { runner, group, journal, logs, sleeps, agent } = setup(["IPaddr::192.0.2.100/32", "httpd"]);
    agent("IPaddr::192.0.2.100/32").running = true;
    agent("httpd").running = true;
    const stuck: AgentOutcome = { kind: "failed", exitCode: 1, output: "httpd: cannot stop\n" };
    agent("httpd").stopOutcomes = [stuck, stuck, stuck, stuck];
    const outcome = await runner.stopGroup(group);
    const words = "failed with exit code 1: generic error: httpd: cannot stop";
    assert.deepEqual(outcome, { kind: "failed", resource: "httpd", words, failures: [{ resource: "httpd", operation: "stop", outcome: stuck, words }] });
    assert.equal(journal.filter((l) => l === "stop httpd").length, 4, "first attempt plus 3 retries");
    assert.deepEqual(sleeps, [1000, 1000, 1000]);
    assert.equal(journal.at(-1), "stop IPaddr::192.0.2.100/32");
    assert.ok(!agent("IPaddr::192.0.2.100/32").running);
    assert.ok(logs.includes(`crit: Resource STOP failure: httpd of group IPaddr::192.0.2.100/32 is still running or unknown: ${words}`));
  });

  it("honours a configured retry count", async () => {
    const { runner, group, journal, agent } = setup(["httpd"], { stopRetries: 0 });
    agent("httpd").running = true;
    agent("httpd").stopOutcomes = [{ kind: "failed", exitCode: 1, output: "" }];
    assert.equal((await runner.stopGroup(group)).kind, "failed");
    assert.deepEqual(journal, ["stop httpd", "status httpd"]);
  });
});

describe("ResourceGroupRunner.statusGroup()", () => {
  it("says all, some or none like Heartbeat's statgroup (unknown counts as not running)", async () => {
    const { runner, group, agent } = setup(["IPaddr::192.0.2.100/32", "httpd"]);
    assert.equal((await runner.statusGroup(group)).kind, "none");
    agent("httpd").running = true;
    assert.equal((await runner.statusGroup(group)).kind, "some");
    agent("IPaddr::192.0.2.100/32").running = true;
    const all = await runner.statusGroup(group);
    assert.equal(all.kind, "all");
    assert.deepEqual(
      all.resources.map((r) => [r.resource, r.status.kind]),
      [
        ["IPaddr::192.0.2.100/32", "running"],
        ["httpd", "running"],
      ],
    );
    agent("httpd").statusOverride = { kind: "unknown", words: "monitor timed out" };
    assert.equal((await runner.statusGroup(group)).kind, "some");
  });
});

describe("ResourceGroupRunner.announceGroup()", () => {
  it("announces the resources that can, and skips the others", async () => {
    const { runner, group, agent } = setup(["IPaddr::192.0.2.100/32", "httpd"]);
    const ip = agent("IPaddr::192.0.2.100/32");
    (ip as ResourceAgent).announce = async () => {
      ip.announced += 1;
      return { kind: "succeeded" };
    };
    assert.deepEqual(await runner.announceGroup(group), { kind: "succeeded" });
    assert.equal(ip.announced, 1);
  });
});

describe("ResourceGroupRunner serialisation", () => {
  it("runs one group operation at a time, in call order", async () => {
    const { runner, group, journal } = setup(["IPaddr::192.0.2.100/32", "httpd"], { delayMs: 5 });
    const started = runner.startGroup(group);
    const stopped = runner.stopGroup(group);
    assert.deepEqual(await Promise.all([started, stopped]), [{ kind: "succeeded" }, { kind: "succeeded" }]);
    assert.deepEqual(journal, [
      "status IPaddr::192.0.2.100/32",
      "start IPaddr::192.0.2.100/32",
      "status httpd",
      "start httpd",
      "stop httpd",
      "stop IPaddr::192.0.2.100/32",
    ]);
  });
});

describe("ResourceGroupRunner.restartResource()", () => {
  it("stops the resource and those after it right to left, then starts them left to right; those before it stay up", async () => {
    const { runner, group, journal, agent } = setup(["IPaddr::192.0.2.100/32", "Filesystem::/dev/sdb1::/data", "httpd"]);
    await runner.startGroup(group);
    journal.length = 0;
    assert.deepEqual(await runner.restartResource(group, "Filesystem::/dev/sdb1::/data"), { kind: "succeeded" });
    assert.deepEqual(journal, ["stop httpd", "stop Filesystem::/dev/sdb1::/data", "start Filesystem::/dev/sdb1::/data", "start httpd"]);
    assert.equal(agent("IPaddr::192.0.2.100/32").running, true);
  });

  it("a start that fails is rolled back and reported; an unknown resource is a failure", async () => {
    const { runner, group, journal, agent } = setup(["IPaddr::192.0.2.100/32", "httpd"]);
    await runner.startGroup(group);
    journal.length = 0;
    agent("httpd").startOutcomes = [FAILED_START];
    const outcome = await runner.restartResource(group, "httpd");
    assert.equal(outcome.kind, "failed");
    assert.match(outcome.kind === "failed" ? outcome.words : "", /Address already in use/);
    assert.deepEqual(journal, ["stop httpd", "start httpd", "stop httpd"]);
    assert.equal(agent("IPaddr::192.0.2.100/32").running, true);
    assert.equal((await runner.restartResource(group, "nginx")).kind, "failed");
  });
});
