// The single executable (dist/twinbeat): version, multi-call names, `check`, and a daemon started,
// queried and stopped through it, run from a directory with no node_modules.
// Uses $TWINBEAT_BIN when set, else dist/twinbeat when newer than the sources, else builds one in a
// temporary directory (about 5 s); skips when esbuild/postject are not installed.

import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildExecutable, buildToolsPresent, isFresh, MULTICALL_NAMES, twinbeatVersion } from "./build-sea";

/** The repository root: an ancestor of this compiled file (.out/build/) or of the working directory. */
function findRepoRoot(): string {
  if (process.env.TWINBEAT_REPO) return resolve(process.env.TWINBEAT_REPO);
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = resolve(dir, "..")) {
      if (existsSync(join(dir, "appliance/src/main.ts")) && existsSync(join(dir, "package.json"))) return dir;
      if (resolve(dir, "..") === dir) break;
    }
  }
  return resolve(__dirname, "../..");
}

const repoRoot = findRepoRoot();
const givenBin = process.env.TWINBEAT_BIN;
const distBin = join(repoRoot, "dist/twinbeat");
const canBuild = buildToolsPresent(repoRoot);
const skip = givenBin || isFresh(distBin, repoRoot) || canBuild ? false : "esbuild/postject not installed (npm ci) and no TWINBEAT_BIN";

let work: string;
let exe: string;

function run(file: string, args: string[], opts: { cwd?: string; argv0?: string } = {}): SpawnSyncReturns<string> & { ms: number } {
  const start = process.hrtime.bigint();
  // No NODE_OPTIONS/NODE_PATH: the executable must stand alone.
  const env: NodeJS.ProcessEnv = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" };
  const r = spawnSync(file, args, { encoding: "utf8", cwd: opts.cwd ?? work, env, timeout: 20_000, argv0: opts.argv0 });
  return Object.assign(r, { ms: Number(process.hrtime.bigint() - start) / 1e6 });
}

function runAsync(file: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(file, args, { cwd: work, stdio: ["ignore", "ignore", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      done({ code, stderr });
    });
  });
}

/**
 * A valid two-node config on loopback (unprivileged UDP port) for node "alpha", whose one group
 * is a resource.d script that records start/stop in `<dir>/marker` (no root needed).
 */
function writeConfig(dir: string): void {
  mkdirSync(join(dir, "resource.d"), { recursive: true });
  writeFileSync(
    join(dir, "ha.cf"),
    [
      "udpport 20694",
      "ucast lo 127.0.0.1",
      "keepalive 200ms",
      "warntime 1",
      "deadtime 2",
      "initdead 4",
      "auto_failback on",
      "logfacility none",
      "node alpha beta",
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "haresources"), "alpha marker\n");
  const script = [
    "#!/bin/sh",
    `m=${join(dir, "marker.state")}`,
    'case "$1" in',
    '  start) echo running > "$m"; echo start >> ' + join(dir, "marker.log") + " ;;",
    '  stop) rm -f "$m"; echo stop >> ' + join(dir, "marker.log") + " ;;",
    '  status) if [ -f "$m" ]; then echo running; else echo stopped; exit 3; fi ;;',
    "esac",
    "exit 0",
    "",
  ].join("\n");
  writeFileSync(join(dir, "resource.d", "marker"), script, { mode: 0o755 });
  writeFileSync(join(dir, "authkeys"), "auth 1\n1 sha1 build-test-secret\n", { mode: 0o600 });
  chmodSync(join(dir, "authkeys"), 0o600);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePort(port));
    });
  });
}

/** GET http://127.0.0.1:port/path: status code, content type and body (rejects after 5 s). */
function httpGet(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((done, fail) => {
    const req = get({ host: "127.0.0.1", port, path, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => done({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path}: no answer in 5 s`)));
    req.on("error", fail);
  });
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .filter((a) => a !== "");
  } catch {
    return [];
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe("single executable (dist/twinbeat)", { skip }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "tb-sea-test-"));
    if (givenBin) exe = resolve(givenBin);
    else if (isFresh(distBin, repoRoot)) exe = distBin;
    else exe = (await buildExecutable({ repoRoot, outDir: join(work, "dist") })).executable;
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("prints its version with --version and -V, from a directory without node_modules", () => {
    const version = twinbeatVersion(repoRoot);
    for (const flag of ["--version", "-V"]) {
      const r = run(exe, [flag], { cwd: "/" });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `twinbeat ${version}\n`);
      assert.equal(r.stderr, "", "no SEA warning or other noise on stderr");
    }
  });

  it("prints its first line quickly (informational bound: 3 s on a loaded CI machine)", (t) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(run(exe, ["--version"]).ms);
    times.sort((a, b) => a - b);
    t.diagnostic(`--version: median ${times[2]!.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms`);
    assert.ok(times[2]! < 3000, `median ${times[2]} ms`);
  });

  it("acts as heartbeat, hb_standby and hb_takeover when called by those names", () => {
    const links = join(work, "links");
    mkdirSync(links, { recursive: true });
    for (const name of MULTICALL_NAMES) symlinkSync(exe, join(links, name));
    const hb = run(join(links, "heartbeat"), ["-V"]);
    assert.equal(hb.status, 0, hb.stderr);
    assert.match(hb.stdout, /^3\.0\.6 \(Twinbeat \d+\.\d+\.\d+\)\n$/);
    const standby = run(join(links, "hb_standby"), ["--run-dir", join(work, "no-daemon")]);
    assert.equal(standby.status, 1);
    assert.match(standby.stderr, /^hb_standby: cannot reach Heartbeat/);
    const takeover = run(join(links, "hb_takeover"), ["--run-dir", join(work, "no-daemon")]);
    assert.match(takeover.stderr, /^hb_takeover: /);
  });

  it("checks a valid configuration (exit 0) and a broken one (exit 1, path:line)", () => {
    const good = join(work, "good");
    writeConfig(good);
    const ok = run(exe, ["check", "--config-dir", good, "--node-name", "alpha"]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stderr, /valid for node alpha \(0 errors/);

    const bad = join(work, "bad");
    writeConfig(bad);
    writeFileSync(join(bad, "ha.cf"), readFileSync(join(bad, "ha.cf"), "utf8").replace("deadtime 2", "deadtime soon"));
    const ko = run(exe, ["check", "--config-dir", bad, "--node-name", "alpha"]);
    assert.equal(ko.status, 1, ko.stdout + ko.stderr);
    assert.match(ko.stdout, new RegExp(`${bad}/ha.cf:\\d+: deadtime value "soon" is not a valid time`));
  });

  it("runs the daemon: takes its group, re-spawns itself as resource guard, serves the status page (worker thread), -k releases the group and stops", async (t) => {
    const cfg = join(work, "daemon-cfg");
    writeConfig(cfg);
    const httpPort = await freePort();
    writeFileSync(join(cfg, "twinbeat.cf"), `status_http 127.0.0.1:${httpPort}\n`);
    const runDir = join(work, "run");
    const stateDir = join(work, "state");
    const common = ["--config-dir", cfg, "--run-dir", runDir, "--state-dir", stateDir, "--node-name", "alpha"];
    const daemon = spawn(exe, ["heartbeat", "-f", ...common], { cwd: work, stdio: ["ignore", "pipe", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    let output = "";
    daemon.stdout.on("data", (c: Buffer) => (output += c.toString()));
    daemon.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((r) => daemon.once("exit", (code) => r(code)));
    try {
      let status: SpawnSyncReturns<string> | undefined;
      for (let i = 0; i < 100; i++) {
        status = run(exe, ["heartbeat", "-s", ...common]);
        if (status.status === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status?.status, 0, `${status?.stdout}${status?.stderr}\n${output}`);
      assert.match(status!.stdout, new RegExp(`heartbeat OK \\[pid ${daemon.pid} `));
      // The peer "beta" never answers: after initdead (4 s) alpha takes its own group.
      const markerLog = join(cfg, "marker.log");
      for (let i = 0; i < 150 && !(existsSync(markerLog) && readFileSync(markerLog, "utf8").includes("start")); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(readFileSync(markerLog, "utf8"), "start\n", output);
      const guards = childrenOf(daemon.pid!).filter((pid) => cmdline(pid).some((a) => a === "resource-guard" || a === "twinbeat-guard"));
      assert.equal(guards.length, 1, `one resource guard under the daemon: ${childrenOf(daemon.pid!).map(cmdline).join(" | ")}`);
      // The guard is the shell loop (resource-guard-sh.ts) acting through the executable, or the executable itself.
      const guardArgv = cmdline(guards[0]!);
      assert.ok(guardArgv[0] === exe || guardArgv.slice(-1)[0] === exe, `the guard runs from (or acts through) the executable itself: ${guardArgv.join(" ")}`);
      // The status page runs in a worker thread, which the executable starts from its embedded bundle.
      const page = await httpGet(httpPort, "/");
      assert.equal(page.status, 200, page.body);
      assert.match(page.type, /^text\/html/);
      assert.match(page.body, /alpha/);
      const json = await httpGet(httpPort, "/status.json");
      assert.equal(json.status, 200, json.body);
      assert.equal((JSON.parse(json.body) as { localNode: string }).localNode, "alpha");
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${daemon.pid}/status`, "utf8"));
      if (rss) t.diagnostic(`daemon RSS ${(Number(rss[1]) / 1024).toFixed(1)} MB`);

      // Asynchronously: -k waits until the pid is gone, and the daemon (our child) is only reaped
      // while this event loop runs.
      const stop = await runAsync(exe, ["heartbeat", "-k", ...common]);
      assert.equal(stop.code, 0, stop.stderr);
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 15_000))]);
      assert.notEqual(code, "timeout", "the daemon did not exit after heartbeat -k");
      assert.equal(run(exe, ["heartbeat", "-s", ...common]).status, 3);
      assert.equal(readFileSync(markerLog, "utf8"), "start\nstop\n", "the group was released on -k");
    } finally {
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill("SIGKILL");
    }
  });
});
