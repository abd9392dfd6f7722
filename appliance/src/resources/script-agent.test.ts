// Tests for script agents: Heartbeat's status-text rule, start/stop outcomes with output tails and logs, timeouts that kill children.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import type { LogLevel } from "../cluster/cluster-actions";
import type { ResourceSpec } from "../config/cluster-config";
import type { AgentContext } from "./resource-agent";
import { parseHeartbeatStatusText, ScriptAgent, statusWords } from "./script-agent";

/** The source folder's testdata, found from the compiled test (any out dir) or the repo root. */
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

/** A temp folder with the named testdata scripts copied in as executables (git may not keep modes). */
function scriptDir(...names: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-script-"));
  tempDirs.push(dir);
  for (const name of names) {
    fs.copyFileSync(path.join(testdataDir(), name), path.join(dir, name));
    fs.chmodSync(path.join(dir, name), 0o755);
  }
  return dir;
}

interface Harness {
  readonly context: AgentContext;
  readonly logs: string[];
  readonly stateDir: string;
}

function harness(env: Record<string, string> = {}, timeoutMs = 5000): Harness {
  const logs: string[] = [];
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-state-"));
  tempDirs.push(stateDir);
  const context: AgentContext = {
    configDir: "/etc/ha.d",
    initDir: "/etc/init.d",
    timeoutMs,
    env: { TB_STATE_DIR: stateDir, HA_CURHOST: "node1", ...env },
    log: (level: LogLevel, text: string) => logs.push(`${level}: ${text}`),
  };
  return { context, logs, stateDir };
}

function spec(name: string, ...args: string[]): ResourceSpec {
  return { raw: [name, ...args].join("::"), name, args };
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false;
  }
}

describe("parseHeartbeatStatusText() reads status like ResourceManager's we_own_resource", () => {
  const table: ReadonlyArray<readonly [string, "running" | "stopped"]> = [
    ["apache2 is running", "running"],
    ["Running", "running"],
    ["INFO:  Running OK", "running"],
    ["OK", "running"],
    ["status: OK\n", "running"],
    ["ok", "stopped"],
    ["RUNNING", "stopped"],
    ["apache2 is not running", "stopped"],
    ["apache2 is NOT running", "stopped"],
    ["Not running", "stopped"],
    ["INFO:  Resource is stopped", "stopped"],
    ["stopped", "stopped"],
    ["", "stopped"],
    ["nothing running", "running"], // "nothing" has no space right after "not"
    ["cannot tell whether it is running", "stopped"], // "cannot " + … + "running", as the shell pattern sees it
    ["is not \nrunning", "stopped"], // the shell pattern's * crosses lines
    ["is not\nrunning", "running"], // but "not" must be followed by a space
    ["pid 42 running\nbut not here\n", "running"], // "not " comes after the last "running"
    ["dead but pid file exists (not Running)", "stopped"],
  ];
  for (const [text, expected] of table) {
    it(`${JSON.stringify(text)} → ${expected}`, () => {
      assert.equal(parseHeartbeatStatusText(text), expected);
    });
  }
});

describe("statusWords()", () => {
  it("squeezes output into one line and says when there was none", () => {
    assert.equal(statusWords("  a\n b \n"), "a / b");
    assert.equal(statusWords(""), "(no output)");
    assert.equal(statusWords("x".repeat(300)).length, 200);
  });
});

describe("ScriptAgent", () => {
  it("starts with `<path> args… start`, logs like ResourceManager, and reports status from the text", async () => {
    const dir = scriptDir("ok-script");
    const h = harness();
    const agent = new ScriptAgent({
      spec: spec("ok-script", "192.0.2.100/24", "web"),
      path: path.join(dir, "ok-script"),
      kind: "heartbeat",
      context: h.context,
    });
    assert.equal(agent.commandLine, `${dir}/ok-script 192.0.2.100/24 web`);
    assert.deepEqual(await agent.status(), { kind: "stopped", words: "ok-script is stopped" });
    assert.deepEqual(await agent.start(), { kind: "succeeded" });
    assert.deepEqual(await agent.status(), { kind: "running", words: "ok-script is running" });
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
    assert.deepEqual(await agent.status(), { kind: "stopped", words: "ok-script is stopped" });
    assert.deepEqual(fs.readFileSync(path.join(h.stateDir, "ok-script.calls"), "utf8").trim().split("\n"), [
      "192.0.2.100/24 web status",
      "192.0.2.100/24 web start",
      "192.0.2.100/24 web status",
      "192.0.2.100/24 web stop",
      "192.0.2.100/24 web status",
    ]);
    const info = h.logs.filter((l) => l.startsWith("info: "));
    assert.equal(info[0], `info: Running ${dir}/ok-script 192.0.2.100/24 web start`);
    assert.match(info[1]!, /^info: ok-script\[\d+\]: INFO: starting with 192\.0\.2\.100\/24 web start$/);
    assert.match(info[2]!, /^info: ok-script\[\d+\]: INFO: Success$/);
    assert.equal(info[3], `info: Running ${dir}/ok-script 192.0.2.100/24 web stop`);
    assert.ok(
      h.logs.some((l) => /^debug: ok-script\[\d+\]: ok-script is running$/.test(l)),
      "status output is logged at debug",
    );
  });

  it("passes the context's HA_* environment to the script", async () => {
    const dir = scriptDir("status-echo");
    const h = harness();
    fs.writeFileSync(path.join(dir, "env-echo"), '#!/bin/sh\necho "HA_CURHOST=$HA_CURHOST running"\n', { mode: 0o755 });
    const agent = new ScriptAgent({ spec: spec("env-echo"), path: path.join(dir, "env-echo"), kind: "lsb", context: h.context });
    assert.deepEqual(await agent.status(), { kind: "running", words: "HA_CURHOST=node1 running" });
  });

  it("reports a failing start with its exit code and the tail of its output, and logs the return code", async () => {
    const dir = scriptDir("failing-start");
    const h = harness();
    const file = path.join(dir, "failing-start");
    const agent = new ScriptAgent({ spec: spec("failing-start"), path: file, kind: "heartbeat", context: h.context });
    const outcome = await agent.start();
    assert.equal(outcome.kind, "failed");
    assert.ok(outcome.kind === "failed");
    assert.equal(outcome.exitCode, 1);
    assert.match(outcome.output, /INFO: starting\n/);
    assert.match(outcome.output, /ERROR: cannot bind 192\.0\.2\.80:80: Address already in use\n/);
    assert.ok(h.logs.includes(`error: Return code 1 from ${file} (1: generic error)`), h.logs.join("\n"));
    assert.ok(
      h.logs.some((l) => /^info: failing-start\[\d+\]: ERROR: cannot bind/.test(l)),
      "stderr lines are logged too",
    );
    assert.deepEqual(await agent.status(), { kind: "stopped", words: "failing-start is not running" });
  });

  it("kills a hanging start's whole process group when the timeout expires, children included", async () => {
    const dir = scriptDir("hanging-start");
    const h = harness({}, 400);
    const file = path.join(dir, "hanging-start");
    const agent = new ScriptAgent({ spec: spec("hanging-start"), path: file, kind: "heartbeat", context: h.context });
    const outcome = await agent.start();
    assert.equal(outcome.kind, "timed-out");
    assert.ok(outcome.kind === "timed-out");
    assert.ok(outcome.afterMs >= 390, `afterMs ${outcome.afterMs}`);
    assert.match(outcome.output, /INFO: hanging/);
    assert.ok(
      h.logs.some((l) => l.startsWith(`error: ${file} start timed out after`) && l.endsWith("killed its process group")),
      h.logs.join("\n"),
    );
    const pids = ["main.pid", "child.pid", "sleep.pid"].map((f) => Number(fs.readFileSync(path.join(h.stateDir, f), "utf8")));
    const deadline = Date.now() + 3000;
    while (pids.some(alive) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(pids.filter(alive), [], "every process the script started is gone");
  });

  const statusTable: ReadonlyArray<readonly [string, string, "running" | "stopped"]> = [
    ["an LSB init script's words", "apache2 is running.\n", "running"],
    ["an LSB init script saying it is not running", " * apache2 is not running\n", "stopped"],
    ["Heartbeat's OCF wrapper for monitor success", "INFO:  Running OK\n", "running"],
    ["a bare OK", "OK\n", "running"],
    ["stopped", "stopped\n", "stopped"],
    ["nothing at all, even with exit code 0", "", "stopped"],
  ];
  for (const [what, text, expected] of statusTable) {
    it(`status of ${what} is ${expected}, whatever the exit code`, async () => {
      const dir = scriptDir("status-echo");
      for (const exit of ["0", "3"]) {
        const h = harness({ TB_STATUS_TEXT: text, TB_STATUS_EXIT: exit });
        const agent = new ScriptAgent({ spec: spec("status-echo"), path: path.join(dir, "status-echo"), kind: "lsb", context: h.context });
        assert.equal((await agent.status()).kind, expected);
      }
    });
  }

  it("reports a script that vanished as not-found, and its status as unknown", async () => {
    const h = harness();
    const agent = new ScriptAgent({ spec: spec("gone"), path: "/nonexistent/resource.d/gone", kind: "heartbeat", context: h.context });
    assert.deepEqual(await agent.start(), { kind: "not-found", message: "cannot run /nonexistent/resource.d/gone: no such file" });
    assert.ok(h.logs.includes("error: Cannot locate resource script /nonexistent/resource.d/gone"));
    assert.equal((await agent.status()).kind, "unknown");
  });

  it("reports a status that hangs as unknown", async () => {
    const dir = scriptDir();
    fs.writeFileSync(path.join(dir, "slow-status"), "#!/bin/sh\nexec sleep 100\n", { mode: 0o755 });
    const h = harness({}, 200);
    const agent = new ScriptAgent({ spec: spec("slow-status"), path: path.join(dir, "slow-status"), kind: "lsb", context: h.context });
    const status = await agent.status();
    assert.equal(status.kind, "unknown");
    assert.match(status.words, /^status timed out after \d+ ms$/);
  });
});
