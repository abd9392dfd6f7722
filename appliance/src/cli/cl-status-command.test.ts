// clStatusCommand against a real control socket: daemon up (status), an older daemon (membership only), daemon down, refusal, and the 5 s timeout.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controlSocketPath, startControlServer } from "../daemon/control-server";
import { buildDaemonStatus } from "../status/daemon-status";
import { SEED_HA_CF, seedConfig, seedSnapshot, SRV5, SRV6 } from "../../test/support/status-fixtures";
import { askDaemon, clStatusCommand } from "./cl-status-command";
import { millis } from "../cluster/time";

/** Runs the command with stdout and stderr captured. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await clStatusCommand(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

describe("cl_status command", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tb-clstatus-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("asks the daemon and prints what Heartbeat's cl_status prints", async () => {
    const runDir = join(dir, "up");
    mkdirSync(runDir);
    const status = buildDaemonStatus({ snapshot: seedSnapshot(), config: seedConfig(), nowMs: millis(100_000), pid: 1 });
    const server = await startControlServer(runDir, (req) =>
      req.cmd === "status" ? { ok: true, pid: 1, nowMs: 100_000, membership: seedSnapshot(), status } : { ok: false },
    );
    try {
      assert.deepEqual(await run(["--run-dir", runDir, "hbstatus"]), { code: 0, stdout: "Heartbeat is running on this machine.\n", stderr: "" });
      assert.deepEqual(await run([`--run-dir=${runDir}`, "nodestatus", SRV6]), { code: 0, stdout: "active\n", stderr: "" });
      assert.deepEqual(await run(["--run-dir", runDir, "hbparameter", "-p", "deadtime"]), { code: 0, stdout: "30\n", stderr: "" });
      assert.deepEqual(await run(["--run-dir", runDir, "rscstatus", "-m"]), { code: 0, stdout: "This node is holding local resources.\n", stderr: "" });
      assert.deepEqual(await run(["--run-dir", runDir, "listnodes", "-n"]), { code: 0, stdout: `${SRV5}\n${SRV6}\n`, stderr: "" });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("a daemon without the status service: the status is rebuilt from its snapshot and --config-dir", async () => {
    const runDir = join(dir, "old");
    const configDir = join(dir, "etc");
    mkdirSync(runDir);
    mkdirSync(configDir);
    writeFileSync(join(configDir, "ha.cf"), SEED_HA_CF);
    writeFileSync(join(configDir, "haresources"), "srv5.localdomain IPaddr::198.51.100.100/32\n");
    writeFileSync(join(configDir, "authkeys"), "auth 1\n1 sha1 secret\n", { mode: 0o600 });
    const server = await startControlServer(runDir, () => ({ ok: true, pid: 1, nowMs: 100_000, membership: seedSnapshot({ localNode: SRV6 }) }));
    try {
      assert.deepEqual(await run(["--run-dir", runDir, "--config-dir", configDir, "hbparameter", "-p", "keepalive"]), { code: 0, stdout: "2\n", stderr: "" });
      assert.deepEqual(await run(["--run-dir", runDir, "--config-dir", configDir, "rscstatus"]), { code: 0, stdout: "none\n", stderr: "" });
      const missing = await run(["--run-dir", runDir, "--config-dir", join(dir, "nowhere"), "rscstatus"]);
      assert.equal(missing.code, 1);
      assert.match(
        missing.stderr,
        /cl_status: \[\d+\]: ERROR: Cannot signon with heartbeat\n.*ERROR: REASON: the daemon's answer has no status and .*nowhere could not be read to make one\n$/,
      );
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("no daemon: hbstatus says stopped (exit 1), the others cannot sign on (exit 1)", async () => {
    const runDir = join(dir, "down");
    mkdirSync(runDir);
    assert.deepEqual(await run(["--run-dir", runDir, "hbstatus"]), { code: 1, stdout: "Heartbeat is stopped on this machine.\n", stderr: "" });
    const r = await run(["--run-dir", runDir, "nodestatus", SRV5]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^\w{3} \d{2} \d{2}:\d{2}:\d{2} \S+ cl_status: \[\d+\]: ERROR: Cannot signon with heartbeat\n\w{3} \d{2} \d{2}:\d{2}:\d{2} \S+ cl_status: \[\d+\]: ERROR: REASON: hb_api_signon: Can't initiate connection to heartbeat\n$/,
    );
  });

  it("help and bad sub-commands do not need the daemon", async () => {
    const runDir = join(dir, "none");
    const help = await run(["--run-dir", runDir]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: cl_status <sub-command>/);
    const bad = await run(["--run-dir", runDir, "frobnicate"]);
    assert.equal(bad.code, 11);
    assert.match(bad.stderr, /ERROR: frobnicate: invalid sub-command\.\n$/);
  });

  it("a daemon that refuses: apparently running", async () => {
    const runDir = join(dir, "refuse");
    mkdirSync(runDir);
    const server = await startControlServer(runDir, () => ({ ok: false, error: "unknown command" }));
    try {
      assert.deepEqual(await run(["--run-dir", runDir, "hbstatus", "-v"]), {
        code: 0,
        stdout: "Heartbeat is apparently running on this machine, but refuses my connection\n(unknown command)\n",
        stderr: "",
      });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("a daemon that never answers: timeout (cl_status exits 12), and nothing is left open", async () => {
    const runDir = join(dir, "mute");
    mkdirSync(runDir);
    const held: import("node:net").Socket[] = [];
    const mute: Server = createServer((s) => {
      held.push(s);
      s.on("error", () => undefined);
      s.resume(); // reads, so it sees the client hang up
    });
    await new Promise<void>((r) => mute.listen(controlSocketPath(runDir), () => r()));
    try {
      const t0 = Date.now();
      assert.equal(await askDaemon({ configDir: dir, stateDir: dir, runDir, nodeName: undefined }, 200), "timeout");
      assert.ok(Date.now() - t0 < 1000);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(
        held.every((s) => s.destroyed || s.readableEnded),
        "the client closed its end",
      );
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });
});
