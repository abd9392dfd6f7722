// NotifyHook with a real script (testdata/notify-record.sh): arguments, order, one at a time, timeout, output to the log, bounded queue.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogLevel } from "../cluster/cluster-actions";
import { NotifyHook } from "./notify-hook";
import { sourceFile } from "../../test/support/status-fixtures";

describe("NotifyHook", () => {
  let dir: string;
  let script: string;
  let logFile: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tb-notify-"));
    script = join(dir, "notify.sh");
    copyFileSync(sourceFile("appliance/src/adapters/testdata/notify-record.sh"), script);
    chmodSync(script, 0o755);
    logFile = join(dir, "runs.log");
    process.env.NOTIFY_LOG = logFile;
  });
  after(() => {
    delete process.env.NOTIFY_LOG;
    rmSync(dir, { recursive: true, force: true });
  });

  const runs = () => readFileSync(logFile, "utf8").trim().split("\n");
  function hook(extra: Partial<ConstructorParameters<typeof NotifyHook>[0]> = {}) {
    writeFileSync(logFile, "");
    const lines: [LogLevel, string][] = [];
    const h = new NotifyHook({ script, nodeName: "srv6.localdomain", log: (l, t) => lines.push([l, t]), ...extra });
    return { h, lines };
  }

  it("runs `script GROUP STATE NODE` per transition, in order, one at a time, without blocking the caller", async () => {
    const { h, lines } = hook();
    const t0 = performance.now();
    h.transition("pause-a", NotifyHook.stateOf("acquired"));
    h.transition("IPaddr::198.51.100.100/32", NotifyHook.stateOf("released"));
    h.transition("pause-c", NotifyHook.stateOf("failed"));
    assert.ok(performance.now() - t0 < 20, "transition() returns at once");
    await h.idle();
    assert.deepEqual(runs(), [
      "begin pause-a ACQUIRED srv6.localdomain env=pause-a/ACQUIRED/srv6.localdomain",
      "end pause-a",
      "begin IPaddr::198.51.100.100/32 RELEASED srv6.localdomain env=IPaddr::198.51.100.100/32/RELEASED/srv6.localdomain",
      "end IPaddr::198.51.100.100/32",
      "begin pause-c FAILED srv6.localdomain env=pause-c/FAILED/srv6.localdomain",
      "end pause-c",
    ]);
    assert.deepEqual(lines, []);
    assert.deepEqual(h.counts, { runs: 3, dropped: 0 });
  });

  it("logs the script's output (stdout as info, stderr as warnings) and a non-zero exit", async () => {
    const { h, lines } = hook();
    h.transition("noisy", "ACQUIRED");
    h.transition("fail", "FAILED");
    await h.idle();
    assert.deepEqual(lines.slice(0, 2).sort(), [
      ["info", "notify noisy ACQUIRED: to stdout"],
      ["warn", "notify noisy ACQUIRED: to stderr"],
    ]);
    assert.equal(lines.length, 3);
    assert.equal(lines[2]![0], "warn");
    assert.match(lines[2]![1], /notify: .*notify\.sh fail FAILED exited with 3 after \d+ ms/);
  });

  it("kills a script that runs past its timeout, with what it started, and goes on with the next", async () => {
    const { h, lines } = hook({ timeoutMs: 300 });
    const t0 = Date.now();
    h.transition("slow", "ACQUIRED");
    h.transition("next", "RELEASED");
    await h.idle();
    const took = Date.now() - t0;
    assert.ok(took < 3000, `took ${took} ms`);
    assert.deepEqual(runs(), [
      "begin slow ACQUIRED srv6.localdomain env=slow/ACQUIRED/srv6.localdomain",
      "begin next RELEASED srv6.localdomain env=next/RELEASED/srv6.localdomain",
      "end next",
    ]);
    assert.ok(
      lines.some(
        ([l, t]) => l === "warn" && /slow ACQUIRED still running after 300 ms: killed it and its process group \(gone \d+ ms after the start\)/.test(t),
      ),
      JSON.stringify(lines),
    );
  });

  it("does not wait for a background process the script left holding its output, and leaves it running", async () => {
    const { h, lines } = hook();
    const t0 = performance.now();
    h.transition("daemon", "ACQUIRED");
    h.transition("next", "RELEASED");
    await h.idle();
    const took = performance.now() - t0;
    const bg = Number(
      runs()
        .find((l) => l.startsWith("bg "))
        ?.slice(3),
    );
    try {
      assert.ok(took < 2000, `the queue waited ${Math.round(took)} ms for the background child (timeout is 10 s)`);
      assert.deepEqual(
        runs().filter((l) => !l.startsWith("bg ")),
        [
          "begin daemon ACQUIRED srv6.localdomain env=daemon/ACQUIRED/srv6.localdomain",
          "end daemon",
          "begin next RELEASED srv6.localdomain env=next/RELEASED/srv6.localdomain",
          "end next",
        ],
      );
      assert.deepEqual(lines, [], "no timeout, no kill");
      process.kill(bg, 0); // still there: a script that exits by itself keeps what it started
    } finally {
      if (bg > 0) process.kill(bg, "SIGKILL"); // started by our script: ended by pid
    }
  });

  it("keeps its queue bounded: the oldest waiting run is dropped and logged", async () => {
    const { h, lines } = hook({ maxQueue: 2 });
    h.transition("pause-1", "ACQUIRED"); // runs (after a tick)
    await new Promise((r) => setTimeout(r, 50));
    for (const g of ["w2", "w3", "w4", "w5"]) h.transition(g, "RELEASED");
    await h.idle();
    assert.deepEqual(
      runs()
        .filter((l) => l.startsWith("begin"))
        .map((l) => l.split(" ")[1]),
      ["pause-1", "w4", "w5"],
    );
    assert.deepEqual(h.counts, { runs: 3, dropped: 2 });
    assert.equal(lines.filter(([l, t]) => l === "warn" && t.includes("queue full")).length, 2);
  });

  it("logs a script that cannot run, and never throws", async () => {
    const { h, lines } = hook({ script: join(dir, "missing.sh") });
    h.transition("x", "ACQUIRED");
    await h.idle();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]![0], "error");
    assert.match(lines[0]![1], /notify: cannot run .*missing\.sh: .*ENOENT/);
  });

  it("close() refuses new runs and waits for the queued ones", async () => {
    const { h } = hook();
    h.transition("pause-z", "ACQUIRED");
    await h.close();
    h.transition("after-close", "ACQUIRED");
    await h.idle();
    assert.deepEqual(runs(), ["begin pause-z ACQUIRED srv6.localdomain env=pause-z/ACQUIRED/srv6.localdomain", "end pause-z"]);
  });
});
