// Tests for OCF agents: both haresources forms, instance files, exit-code mapping, and Debian's real Dummy agent when installed.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import type { ResourceSpec } from "../config/cluster-config";
import { OcfAgent, parseOcfInstanceFile, resolveOcfResource } from "./ocf-agent";
import type { AgentContext } from "./resource-agent";

function testdataDir(): string {
  const relative = path.join("appliance", "src", "resources", "testdata");
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, relative))) {
      return path.join(dir, relative);
    }
  }
  return path.resolve(process.cwd(), relative);
}

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A temp OCF_ROOT with testdata/fake-ocf-agent installed as `<provider>/<type>`. */
function fakeOcfRoot(provider = "acme", type = "Fake"): string {
  const root = tempDir("tb-ocf-");
  fs.mkdirSync(path.join(root, "resource.d", provider), { recursive: true });
  const agent = path.join(root, "resource.d", provider, type);
  fs.copyFileSync(path.join(testdataDir(), "fake-ocf-agent"), agent);
  fs.chmodSync(agent, 0o755);
  return root;
}

function harness(ocfRoot: string, configDir = "/etc/ha.d"): { context: AgentContext; logs: string[] } {
  const logs: string[] = [];
  return {
    logs,
    context: { configDir, initDir: "/etc/init.d", timeoutMs: 10_000, env: { OCF_ROOT: ocfRoot }, log: (level, text) => logs.push(`${level}: ${text}`) },
  };
}

function spec(raw: string): ResourceSpec {
  const [name, ...args] = raw.split("::");
  return { raw, name: name!, args };
}

function agentOf(raw: string, context: AgentContext): OcfAgent {
  const resolved = resolveOcfResource(spec(raw), context);
  assert.ok(resolved.ok, resolved.ok ? "" : JSON.stringify(resolved.failure));
  return new OcfAgent(resolved.options);
}

describe("parseOcfInstanceFile()", () => {
  it("reads NAME=value lines as Heartbeat's wrapper sources them", () => {
    const parsed = parseOcfInstanceFile(
      [
        "# Filesystem instance for /data",
        "OCF_RESKEY_device=/dev/sdb1",
        "  OCF_RESKEY_directory='/data'   # mount point",
        'export OCF_RESKEY_options="noatime,nodiratime"',
        "fstype=ext4",
        "",
        "if true; then echo hi; fi",
      ].join("\n"),
    );
    assert.deepEqual(parsed.vars, [
      ["OCF_RESKEY_device", "/dev/sdb1"],
      ["OCF_RESKEY_directory", "/data"],
      ["OCF_RESKEY_options", "noatime,nodiratime"],
      ["fstype", "ext4"],
    ]);
    assert.deepEqual(parsed.ignored, ["if true; then echo hi; fi"]);
  });
});

describe("resolveOcfResource() and OcfAgent, `ocf:provider:agent::key=value` form", () => {
  it("maps key=value arguments to OCF_RESKEY_*, names the instance, and runs start / monitor / stop", async () => {
    const root = fakeOcfRoot();
    const state = path.join(tempDir("tb-ocf-state-"), "fake.state");
    const { context, logs } = harness(root);
    const agent = agentOf(`ocf:acme:Fake::state=${state}::colour=blue=ish`, context);
    assert.equal(agent.instance, `Fake_${state}`);
    assert.equal(agent.commandLine, `OCF_RESOURCE_INSTANCE=Fake_${state} OCF_RESKEY_state=${state} OCF_RESKEY_colour=blue=ish ${root}/resource.d/acme/Fake`);
    const env = agent.environment("start");
    assert.equal(env.OCF_ROOT, root);
    assert.equal(env.OCF_RESOURCE_TYPE, "Fake");
    assert.equal(env.OCF_RESOURCE_PROVIDER, "acme");
    assert.equal(env.OCF_RA_VERSION_MAJOR, "1");
    assert.equal(env.OCF_RESKEY_CRM_meta_timeout, "10000");

    assert.deepEqual(await agent.status(), { kind: "stopped", words: "not running" });
    assert.deepEqual(await agent.start(), { kind: "succeeded" });
    assert.deepEqual(await agent.status(), { kind: "running", words: "running" });
    assert.ok(logs.includes(`info: Running ${agent.commandLine} start`), logs.join("\n"));
    assert.ok(
      logs.some((l) => l.includes(`Fake(Fake_${state})[`) && l.endsWith(`start instance=Fake_${state} type=Fake provider=acme root=${root} colour=blue=ish`)),
      logs.join("\n"),
    );
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
    assert.deepEqual(await agent.stop(), { kind: "succeeded" }, "stop is idempotent");
    assert.equal((await agent.status()).kind, "stopped");
  });

  it("takes OCF_* keys verbatim, so OCF_RESOURCE_INSTANCE names the instance", () => {
    const { context } = harness(fakeOcfRoot());
    const agent = agentOf("ocf:acme:Fake::OCF_RESOURCE_INSTANCE=web::state=/run/x", context);
    assert.equal(agent.instance, "web");
    assert.equal(agent.environment("monitor").OCF_RESOURCE_INSTANCE, "web");
    assert.equal(agent.environment("monitor").OCF_RESKEY_state, "/run/x");
    assert.equal(agent.environment("monitor").OCF_RESKEY_CRM_meta_interval, "0");
  });

  it("maps OCF exit codes: start 6 is a failure with the agent's words", async () => {
    const root = fakeOcfRoot();
    const { context } = harness(root);
    const agent = agentOf(`ocf:acme:Fake::state=${path.join(tempDir("tb-ocf-state-"), "s")}::fail=yes`, context);
    const outcome = await agent.start();
    assert.equal(outcome.kind, "failed");
    assert.ok(outcome.kind === "failed");
    assert.equal(outcome.exitCode, 6);
    assert.match(outcome.output, /ERROR: refusing to start: fail=yes/);
  });

  it("reports a monitor error code as unknown, with the code's meaning", async () => {
    const { context } = harness(fakeOcfRoot());
    // The fake agent exits 1 from the shell's ${:?} when OCF_RESKEY_state is missing.
    const agent = agentOf("ocf:acme:Fake", context);
    const status = await agent.status();
    assert.equal(status.kind, "unknown");
    assert.match(status.words, /^monitor failed with exit code \d+: /);
  });

  it("refuses a positional argument with OCF_ERR_ARGS and says how to write it", () => {
    const { context } = harness(fakeOcfRoot());
    const resolved = resolveOcfResource(spec("ocf:acme:Fake::/run/x"), context);
    assert.deepEqual(resolved, {
      ok: false,
      failure: {
        kind: "failed",
        exitCode: 2,
        output: 'resource "ocf:acme:Fake::/run/x": argument "/run/x" is not KEY=VALUE (OCF agents take named parameters, e.g. ocf:acme:Fake::state=/run/x)',
      },
    });
  });

  it("reports a missing agent as not-found, naming the Debian package", () => {
    const { context } = harness(fakeOcfRoot());
    const resolved = resolveOcfResource(spec("ocf:heartbeat:Nope::a=b"), context);
    assert.ok(!resolved.ok);
    assert.equal(resolved.failure.kind, "not-found");
    assert.ok(resolved.failure.kind === "not-found");
    assert.match(
      resolved.failure.message,
      /Cannot locate OCF resource agent .*\/resource\.d\/heartbeat\/Nope \(is the Debian package resource-agents installed\?\)/,
    );
  });
});

describe("resolveOcfResource(), Heartbeat's `OCF::agent::instance` form", () => {
  it("reads the instance file under <configDir>/conf/OCF and finds the agent under any provider", async () => {
    const root = fakeOcfRoot("zeta", "Fake");
    const configDir = tempDir("tb-ha-");
    const state = path.join(tempDir("tb-ocf-state-"), "inst.state");
    fs.mkdirSync(path.join(configDir, "conf", "OCF", "Fake"), { recursive: true });
    fs.writeFileSync(path.join(configDir, "conf", "OCF", "Fake", "inst1"), `OCF_RESKEY_state=${state}\ncolour=red\n`);
    const { context } = harness(root, configDir);
    const agent = agentOf("OCF::Fake::inst1", context);
    assert.equal(agent.instance, "inst1");
    const env = agent.environment("start");
    assert.equal(env.OCF_RESKEY_state, state);
    assert.equal(env.colour, "red", "variables are exported as written");
    assert.equal(env.OCF_RESKEY_colour, "red", "a bare lower-case name also becomes OCF_RESKEY_*");
    assert.equal(env.OCF_RESOURCE_PROVIDER, "zeta");
    assert.equal(env.OCF_RES_NAME, "inst1");
    assert.deepEqual(await agent.start(), { kind: "succeeded" });
    assert.equal((await agent.status()).kind, "running");
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
  });

  it("reports a missing instance file as not-found", () => {
    const { context } = harness(fakeOcfRoot(), tempDir("tb-ha-"));
    const resolved = resolveOcfResource(spec("OCF::Fake::nosuch"), context);
    assert.ok(!resolved.ok);
    assert.equal(resolved.failure.kind, "not-found");
    assert.ok(resolved.failure.kind === "not-found");
    assert.match(resolved.failure.message, /^Cannot read OCF instance file .*\/conf\/OCF\/Fake\/nosuch/);
  });

  it("needs exactly an agent and an instance", () => {
    const { context } = harness(fakeOcfRoot());
    for (const raw of ["OCF::Fake", "OCF::Fake::a::b", "OCF::../x::a"]) {
      const resolved = resolveOcfResource(spec(raw), context);
      assert.ok(!resolved.ok, raw);
      assert.equal(resolved.failure.kind, "failed", raw);
    }
  });
});

const DEBIAN_DUMMY = "/usr/lib/ocf/resource.d/heartbeat/Dummy";

describe("Debian's resource-agents Dummy agent", () => {
  it("starts, reports running, stops and reports stopped", { skip: !fs.existsSync(DEBIAN_DUMMY) && "resource-agents is not installed" }, async () => {
    const state = path.join(tempDir("tb-dummy-"), "dummy.state");
    const { context, logs } = harness("/usr/lib/ocf");
    const agent = agentOf(`ocf:heartbeat:Dummy::state=${state}`, context);
    assert.equal(agent.agentPath, DEBIAN_DUMMY);
    assert.equal((await agent.status()).kind, "stopped");
    assert.deepEqual(await agent.start(), { kind: "succeeded" }, logs.join("\n"));
    assert.ok(fs.existsSync(state));
    assert.equal((await agent.status()).kind, "running");
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
    assert.equal((await agent.status()).kind, "stopped");
  });
});
