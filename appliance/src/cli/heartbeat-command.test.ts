// `heartbeat -r` (check, then SIGHUP) and a restart after kill -9 into the same run dir, with the real CLI on loopback.

import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { pidFilePath, writePidFile } from "../daemon/pid-file";

const MAIN_JS = resolve(__dirname, "../main.js");

function configDir(root: string, haCfExtra = ""): string {
  const dir = join(root, "ha.d");
  mkdirSync(dir, { recursive: true });
  // A one-node membership on loopback; port chosen from the pid so parallel runs do not meet.
  const port = 20000 + (process.pid % 20000);
  writeFileSync(join(dir, "ha.cf"), `udpport ${port}\nnode alpha beta\nkeepalive 200ms\ndeadtime 1\ninitdead 2\nucast lo 127.0.0.1\n${haCfExtra}`);
  writeFileSync(join(dir, "haresources"), "");
  writeFileSync(join(dir, "authkeys"), "auth 1\n1 sha1 secret\n", { mode: 0o600 });
  return dir;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN_JS, "heartbeat", ...args], { encoding: "utf8", timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A stand-in daemon (its command line says heartbeat) that prints HUP when it gets SIGHUP. */
async function standIn(): Promise<{ proc: ChildProcess; output: () => string }> {
  const proc = spawn("bash", ["-c", 'trap "echo HUP" HUP; echo ready; while :; do sleep 0.05; done', "heartbeat"], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  await until(() => out.includes("ready"), 5000);
  return { proc, output: () => out };
}

async function until(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.ok(pred(), "condition not met in time");
}

describe("heartbeat -r", () => {
  it("refuses an invalid configuration with path:line findings and exit 1, without signalling the daemon", async () => {
    const root = mkdtempSync(join(tmpdir(), "tb-reload-"));
    const daemon = await standIn();
    try {
      const dir = configDir(root, "keepalive banana\n");
      const run = join(root, "run");
      mkdirSync(run);
      writePidFile(run, daemon.proc.pid!);
      const r = cli(["-r", "--config-dir", dir, "--run-dir", run, "--node-name", "alpha"]);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`${join(dir, "ha.cf").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:7: `));
      await new Promise((r2) => setTimeout(r2, 200));
      assert.doesNotMatch(daemon.output(), /HUP/);
    } finally {
      daemon.proc.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("signals the running daemon with SIGHUP when the configuration is valid", async () => {
    const root = mkdtempSync(join(tmpdir(), "tb-reload-"));
    const daemon = await standIn();
    try {
      const dir = configDir(root);
      const run = join(root, "run");
      mkdirSync(run);
      writePidFile(run, daemon.proc.pid!);
      const r = cli(["-r", "--config-dir", dir, "--run-dir", run, "--node-name", "alpha"]);
      assert.equal(r.status, 0, r.stderr);
      await until(() => daemon.output().includes("HUP"), 5000);
    } finally {
      daemon.proc.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("heartbeat -f after kill -9", () => {
  it("a daemon killed with SIGKILL is restarted into the same run dir (stale pid file, stale socket)", async () => {
    const root = mkdtempSync(join(tmpdir(), "tb-restart-"));
    const dir = configDir(root);
    const run = join(root, "run");
    const state = join(root, "state");
    const start = () =>
      spawn(process.execPath, [MAIN_JS, "heartbeat", "-f", "--config-dir", dir, "--run-dir", run, "--state-dir", state, "--node-name", "alpha"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
    const pidInFile = () => (existsSync(pidFilePath(run)) ? Number(readFileSync(pidFilePath(run), "utf8").trim()) : undefined);
    const first = start();
    let second: ChildProcess | undefined;
    try {
      await until(() => pidInFile() === first.pid, 15_000);
      first.kill("SIGKILL");
      await new Promise((r) => first.once("exit", r));
      assert.equal(pidInFile(), first.pid, "the killed daemon left its pid file");
      second = start();
      let err = "";
      second.stderr!.on("data", (c: Buffer) => (err += c.toString()));
      await until(() => pidInFile() === second!.pid, 15_000);
      assert.doesNotMatch(err, /already running/);
      assert.equal(second.exitCode, null, "the restarted daemon runs");
      second.kill("SIGTERM");
      await new Promise((r) => second!.once("exit", r));
      assert.equal(second.exitCode, 0);
      assert.equal(existsSync(pidFilePath(run)), false);
    } finally {
      if (first.exitCode === null) first.kill("SIGKILL");
      if (second && second.exitCode === null) second.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true });
    }
  });
});
