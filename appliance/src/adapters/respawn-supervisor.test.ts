// RespawnSupervisor: restarts on exit, exit 100 and "too fast" stop it (counted on the injected monotonic clock), stop() ends the child's group; user lookup without blocking.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import type { RespawnConfig } from "../config/cluster-config";
import type { CommandRunner, ProcessResult, RunProcessOptions } from "./process-runner";
import { RespawnSupervisor } from "./respawn-supervisor";

const CONFIG: RespawnConfig = { user: "0", command: "/usr/lib/heartbeat/some-client", args: ["-x"], at: { file: "/etc/ha.d/ha.cf", line: 7 } };

interface Call {
  readonly file: string;
  readonly args: readonly string[];
  readonly options: RunProcessOptions;
  readonly finish: (r: ProcessResult) => void;
}

/** A runner whose runs end when the test says so. */
function fakeRunner(): { runner: CommandRunner; calls: Call[]; next: () => Promise<Call> } {
  const calls: Call[] = [];
  const runner: CommandRunner = (file, args, options) => new Promise<ProcessResult>((finish) => calls.push({ file, args, options, finish }));
  let seen = 0;
  /** The next run the supervisor starts (its restart timer is unref'd: this keeps the loop alive meanwhile). */
  const next = async (): Promise<Call> => {
    for (let i = 0; i < 200 && calls.length <= seen; i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(calls.length > seen, "the supervisor started nothing within 1 s");
    return calls[seen++]!;
  };
  return { runner, calls, next };
}

const exited = (exitCode: number): ProcessResult => ({ kind: "exited", pid: 4242, exitCode, stdout: "", output: "", durationMs: 1 });

describe("RespawnSupervisor", () => {
  it("starts the child as its user with no time limit, restarts it when it exits, and not after exit 100", async () => {
    const { runner, next } = fakeRunner();
    const logs: string[] = [];
    let now = 0;
    const s = new RespawnSupervisor([CONFIG], (l, t) => logs.push(`${l} ${t}`), { PATH: "/bin" }, { runner, now: () => now, restartDelayMs: 0 });
    s.start();
    const first = await next();
    assert.equal(first.file, CONFIG.command);
    assert.deepEqual(first.args, ["-x"]);
    assert.equal(first.options.uid, 0);
    assert.equal(first.options.timeoutMs, undefined);
    now += 60_000;
    first.finish(exited(1));
    const second = await next();
    second.finish(exited(100));
    await new Promise((r) => setImmediate(r));
    assert.ok(
      logs.some((l) => l.includes("exited (1); restarting it")),
      logs.join("\n"),
    );
    assert.ok(
      logs.some((l) => l.includes("exited with 100: not restarting it")),
      logs.join("\n"),
    );
    s.stop();
  });

  it("gives up on a child that dies young more than 10 times in a row, by the monotonic clock it is given", async () => {
    const { runner, calls, next } = fakeRunner();
    const logs: string[] = [];
    const s = new RespawnSupervisor([CONFIG], (l, t) => logs.push(`${l} ${t}`), {}, { runner, now: () => 5_000, restartDelayMs: 0 });
    s.start();
    for (let i = 0; i < 11; i++) (await next()).finish(exited(1));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls.length, 11);
    assert.ok(logs.at(-1)!.startsWith("error") && logs.at(-1)!.includes("respawning too fast"), logs.join("\n"));
    s.stop();
  });

  it("looks a user name up with `id` through the runner, and reports an unknown user with its config line", async () => {
    const { runner, next } = fakeRunner();
    const logs: string[] = [];
    const s = new RespawnSupervisor([{ ...CONFIG, user: "nosuchuser" }], (l, t) => logs.push(`${l} ${t}`), {}, { runner, restartDelayMs: 0 });
    s.start();
    const a = await next();
    const b = await next();
    assert.deepEqual([a.file, ...a.args], ["id", "-u", "nosuchuser"]);
    assert.deepEqual([b.file, ...b.args], ["id", "-g", "nosuchuser"]);
    a.finish(exited(1));
    b.finish(exited(1));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(logs, ['error Cannot start "/usr/lib/heartbeat/some-client": unknown user "nosuchuser" (/etc/ha.d/ha.cf:7)']);
    s.stop();
  });

  it("with the real runner: runs a child as the user ha.cf names (this test's own, looked up by name) and stop() ends its process group", async () => {
    const logs: string[] = [];
    const pidFile = `/tmp/tb-respawn-${process.pid}.pid`;
    const child: RespawnConfig = {
      // Our own user: switching to it needs no privilege, so the test runs as root (CI) and not (a developer).
      user: userInfo().username,
      command: "/bin/sh",
      args: ["-c", `echo $$ > ${pidFile}; echo started >&2; exec sleep 30`],
      at: { file: "ha.cf", line: 1 },
    };
    const s = new RespawnSupervisor([child], (l, t) => logs.push(`${l} ${t}`), process.env);
    s.start();
    let pid = 0;
    for (let i = 0; i < 100 && pid === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        pid = Number(readFileSync(pidFile, "utf8"));
      } catch {
        // not yet
      }
    }
    assert.ok(pid > 0, logs.join("\n"));
    s.stop();
    let gone = false;
    for (let i = 0; i < 60 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        gone = /^[ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!);
      } catch {
        gone = true;
      }
    }
    assert.ok(gone, "the child is still running after stop()");
    assert.ok(logs.includes("warn /bin/sh: started"), logs.join("\n"));
    assert.ok(!logs.some((l) => l.includes("restarting")), logs.join("\n"));
    rmSync(pidFile, { force: true });
  });
});
