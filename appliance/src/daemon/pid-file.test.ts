// The pid-file check cannot be fooled by a zombie, a reused pid or our own pid.

import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { looksLikeDaemon, pidFilePath, pidStartPath, processFacts, removePidFile, runningPid, writePidFile } from "./pid-file";

/** Reads one line from a child's stdout. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once("exit", () => reject(new Error("child exited early")));
  });
}

/** A process whose argv[0] is "heartbeat" (bash exec -a), like a daemon called by its link name. */
function fakeDaemon(): ChildProcess {
  return spawn("bash", ["-c", "echo ready; exec -a heartbeat sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
}

async function waitFor(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(pred());
}

describe("pid file", () => {
  it("a live daemon-looking process with the recorded start time is running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-pid-"));
    const child = fakeDaemon();
    try {
      await firstLine(child);
      await waitFor(() => looksLikeDaemon(processFacts(child.pid!)?.argv ?? []));
      writePidFile(dir, child.pid!);
      assert.equal(runningPid(dir), child.pid);
      removePidFile(dir, child.pid!);
      assert.equal(runningPid(dir), undefined);
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a reused pid is not the daemon: another program, or a daemon-looking process with another start time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-pid-"));
    const other = spawn("sleep", ["30"], { stdio: "ignore" });
    const lookalike = fakeDaemon();
    try {
      await firstLine(lookalike);
      await waitFor(() => looksLikeDaemon(processFacts(lookalike.pid!)?.argv ?? []));
      // The pid now belongs to `sleep`: not a daemon's command line.
      writeFileSync(pidFilePath(dir), `${other.pid}\n`);
      assert.equal(runningPid(dir), undefined);
      // The pid belongs to a "heartbeat" started after the one that wrote the file.
      writeFileSync(pidFilePath(dir), `${lookalike.pid}\n`);
      const realStart = processFacts(lookalike.pid!)!.startTime;
      writeFileSync(pidStartPath(dir), `${lookalike.pid} ${Number(realStart) - 500}\n`);
      assert.equal(runningPid(dir), undefined);
      writeFileSync(pidStartPath(dir), `${lookalike.pid} ${realStart}\n`);
      assert.equal(runningPid(dir), lookalike.pid);
    } finally {
      other.kill("SIGKILL");
      lookalike.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a zombie (killed, not yet reaped by its parent) is not running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-pid-"));
    // The inner "heartbeat" exits at once; its parent then execs sleep, which never reaps it.
    const parent = spawn("bash", ["-c", "(exec -a heartbeat sleep 0.05) & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const zombie = Number(await firstLine(parent));
      await waitFor(() => processFacts(zombie)?.state === "Z");
      // kill(pid, 0) still succeeds on a zombie: the old check said "running".
      assert.doesNotThrow(() => process.kill(zombie, 0));
      writeFileSync(pidFilePath(dir), `${zombie}\n`);
      assert.equal(runningPid(dir), undefined);
    } finally {
      parent.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("our own pid in the file (a restarted daemon that got its predecessor's number) is not another daemon", () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-pid-"));
    try {
      writeFileSync(pidFilePath(dir), `${process.pid}\n`);
      assert.equal(runningPid(dir), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the state after the command name even when it holds spaces and parentheses", () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-proc-"));
    try {
      const fields = ["S", "1", "1", "1", "0", "-1", "4194560", "0", "0", "0", "0", "0", "0", "0", "0", "20", "0", "1", "0", "123456"];
      require("node:fs").mkdirSync(join(dir, "77"));
      writeFileSync(join(dir, "77", "stat"), `77 (odd ) name) ${fields.join(" ")} 0 0\n`);
      writeFileSync(join(dir, "77", "cmdline"), "/usr/sbin/heartbeat\0-f\0");
      assert.deepEqual(processFacts(77, dir), { state: "S", startTime: "123456", argv: ["/usr/sbin/heartbeat", "-f"] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
