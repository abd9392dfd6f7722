// Tests for runProcess: output capture, exit codes, timeouts that kill the whole process group, aborts and missing programs.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { runProcess, type OutputStream } from "./process-runner";

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-runner-"));
  tempDirs.push(dir);
  return dir;
}

/** True while `pid` is a live process (a zombie waiting to be reaped counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false;
  }
}

async function waitUntil(predicate: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (predicate()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return predicate();
}

describe("runProcess()", () => {
  it("reports the exit code, stdout alone, and both streams line by line", async () => {
    const lines: Array<[OutputStream, string]> = [];
    const result = await runProcess("/bin/sh", ["-c", "echo one; echo two >&2; printf 'three'; exit 3"], {
      timeoutMs: 5000,
      onLine: (line, stream) => lines.push([stream, line]),
    });
    assert.equal(result.kind, "exited");
    assert.ok(result.kind === "exited");
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout, "one\nthree");
    assert.match(result.output, /one\n/);
    assert.match(result.output, /two\n/);
    assert.deepEqual(
      lines.sort((a, b) => a[1].localeCompare(b[1])),
      [
        ["stdout", "one"],
        ["stdout", "three"],
        ["stderr", "two"],
      ],
    );
  });

  it("keeps only the tail of long output", async () => {
    const result = await runProcess("/bin/sh", ["-c", "i=0; while [ $i -lt 500 ]; do echo line-$i; i=$((i+1)); done"], { timeoutMs: 5000, tailChars: 100 });
    assert.ok(result.kind === "exited");
    assert.equal(result.output.length, 100);
    assert.match(result.output, /line-499\n$/);
  });

  it("passes the given environment", async () => {
    const result = await runProcess("/bin/sh", ["-c", 'echo "$HA_CURHOST"'], { timeoutMs: 5000, env: { PATH: "/usr/bin:/bin", HA_CURHOST: "node1" } });
    assert.ok(result.kind === "exited");
    assert.equal(result.stdout, "node1\n");
  });

  it("gives 128 + signal number when the program dies from a signal", async () => {
    const result = await runProcess("/bin/sh", ["-c", "kill -KILL $$"], { timeoutMs: 5000 });
    assert.ok(result.kind === "exited");
    assert.equal(result.exitCode, 137);
  });

  it("on timeout kills the whole process group, SIGTERM then SIGKILL, children included", async () => {
    const dir = tempDir();
    const script = [
      "trap '' TERM",
      `sh -c 'trap "" TERM; while :; do sleep 1; done' & echo $! > ${dir}/child.pid`,
      `sleep 1000 & echo $! > ${dir}/sleep.pid`,
      "echo started",
      "while :; do wait; done",
    ].join("\n");
    const started = Date.now();
    const result = await runProcess("/bin/sh", ["-c", script], { timeoutMs: 300, killGraceMs: 300 });
    assert.equal(result.kind, "timed-out");
    assert.ok(result.kind === "timed-out");
    assert.ok(result.afterMs >= 290 && result.afterMs < 2000, `afterMs ${result.afterMs}`);
    assert.match(result.output, /started/);
    assert.ok(Date.now() - started < 5000);
    const pids = [result.pid, Number(fs.readFileSync(path.join(dir, "child.pid"), "utf8")), Number(fs.readFileSync(path.join(dir, "sleep.pid"), "utf8"))];
    assert.ok(await waitUntil(() => pids.every((pid) => !alive(pid)), 2000), `still alive: ${pids.filter(alive).join(" ")}`);
  });

  it("stops at once when the group leaves after SIGTERM", async () => {
    const started = Date.now();
    const result = await runProcess("/bin/sh", ["-c", "sleep 1000"], { timeoutMs: 100, killGraceMs: 5000 });
    assert.equal(result.kind, "timed-out");
    assert.ok(Date.now() - started < 2000, "did not wait for the whole grace time");
  });

  it("kills the process group when aborted", async () => {
    const controller = new AbortController();
    const running = runProcess("/bin/sh", ["-c", "echo go; sleep 1000"], { timeoutMs: 60_000, signal: controller.signal, killGraceMs: 200 });
    setTimeout(() => controller.abort(), 100);
    const result = await running;
    assert.equal(result.kind, "aborted");
    assert.ok(result.kind === "aborted");
    assert.ok(await waitUntil(() => !alive(result.pid), 2000));
  });

  it("does not wait for a background process that keeps the output pipe, and leaves it running", async () => {
    const dir = tempDir();
    const started = Date.now();
    const result = await runProcess("/bin/sh", ["-c", `sleep 30 & echo $! > ${dir}/daemon.pid; echo daemon started`], { timeoutMs: 10_000 });
    assert.ok(result.kind === "exited");
    assert.equal(result.exitCode, 0);
    assert.match(result.stdout, /daemon started/);
    assert.ok(Date.now() - started < 3000, "waited for the background process");
    const daemon = Number(fs.readFileSync(path.join(dir, "daemon.pid"), "utf8"));
    assert.ok(alive(daemon), "a program that exits by itself keeps what it started");
    process.kill(daemon, "SIGKILL"); // we started it (through the shell): end it by pid
  });

  it("keeps a multi-byte character whole when it arrives split across two reads", async () => {
    const lines: string[] = [];
    // "€" is e2 82 ac and "ü" is c3 bc: each is written in two parts, 100 ms apart, so they reach us as separate chunks.
    const script = "printf 'a\\342\\202'; sleep 0.1; printf '\\254b\\303'; sleep 0.1; printf '\\274\\n'; printf '\\303' >&2; sleep 0.1; printf '\\274\\n' >&2";
    const result = await runProcess("/bin/sh", ["-c", script], { timeoutMs: 5000, onLine: (line) => lines.push(line) });
    assert.ok(result.kind === "exited", JSON.stringify(result));
    assert.equal(result.stdout, "a€bü\n");
    assert.deepEqual(lines.sort(), ["a€bü", "ü"]);
    assert.ok(!result.output.includes("\ufffd"), JSON.stringify(result.output));
  });

  it("runs without a time limit when timeoutMs is undefined, until aborted", async () => {
    const controller = new AbortController();
    let pid = 0;
    const running = runProcess("/bin/sh", ["-c", "sleep 30"], { timeoutMs: undefined, killGraceMs: 200, signal: controller.signal, onSpawn: (p) => (pid = p) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(pid > 0 && alive(pid), "still running past any default timeout");
    controller.abort();
    const result = await running;
    assert.equal(result.kind, "aborted");
    assert.ok(await waitUntil(() => !alive(pid), 2000));
  });

  it("reports a missing program as spawn-failed, not as an exception", async () => {
    const result = await runProcess("/nonexistent/twinbeat-test-program", [], { timeoutMs: 1000 });
    assert.deepEqual(result, { kind: "spawn-failed", errorCode: "ENOENT", message: "cannot run /nonexistent/twinbeat-test-program: no such file" });
  });

  it("reports a file that is not executable as spawn-failed EACCES", async () => {
    const file = path.join(tempDir(), "not-executable");
    fs.writeFileSync(file, "#!/bin/sh\necho hi\n", { mode: 0o644 });
    const result = await runProcess(file, [], { timeoutMs: 1000 });
    assert.equal(result.kind, "spawn-failed");
    assert.ok(result.kind === "spawn-failed");
    assert.equal(result.errorCode, "EACCES");
  });
});
