// `twinbeat heartbeat` / `heartbeat`: run the daemon, or -k stop it, -s report it, -V print the version.

import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { loadConfigDir } from "../config/load-config-dir";
import { formatDiagnostic } from "../config/format-diagnostic";
import { HeartbeatDaemon } from "../daemon/heartbeat-daemon";
import { runningPid } from "../daemon/pid-file";
import { realPorts } from "../daemon/real-ports";
import { defaultOptions, resolveNodeName, takeCommonOptions, UsageError, type CommonOptions } from "./cli-options";
import { HEARTBEAT_COMPAT_VERSION, TWINBEAT_VERSION } from "./version";
import { selfCommand } from "./self-command";

export const HEARTBEAT_USAGE = `usage: heartbeat [-dfklrsvV] [--config-dir DIR] [--state-dir DIR] [--run-dir DIR] [--node-name NAME]
  -f  stay in the foreground (log to stderr too)
  -k  stop the running daemon
  -r  check the configuration, then make the running daemon reload it (SIGHUP); start one if none runs
  -s  report whether the daemon is running
  -d  more debug output (repeatable)
  -l  accepted for compatibility (Twinbeat does not use realtime scheduling)
  -v  accepted for compatibility
  -V  print the version`;

/** Set in the environment of the background child when the daemon detaches. */
const DETACHED_ENV = "TWINBEAT_DETACHED";

interface HeartbeatFlags {
  foreground: boolean;
  kill: boolean;
  reload: boolean;
  status: boolean;
  version: boolean;
  debug: number;
}

function parseFlags(args: readonly string[]): HeartbeatFlags {
  const flags: HeartbeatFlags = { foreground: false, kill: false, reload: false, status: false, version: false, debug: 0 };
  for (const a of args) {
    if (!/^-[a-zA-Z]+$/.test(a)) throw new UsageError(`Unexpected argument "${a}"`);
    for (const c of a.slice(1)) {
      if (c === "f") flags.foreground = true;
      else if (c === "k") flags.kill = true;
      else if (c === "r") flags.reload = true;
      else if (c === "s") flags.status = true;
      else if (c === "V") flags.version = true;
      else if (c === "d") flags.debug++;
      else if (c === "l" || c === "v") continue;
      else throw new UsageError(`Unknown option -${c}`);
    }
  }
  return flags;
}

export async function heartbeatCommand(args: readonly string[], invokedAs: { argv: readonly string[] }): Promise<number> {
  const opts = defaultOptions();
  const flags = parseFlags(takeCommonOptions(args, opts));
  if (flags.version) {
    process.stdout.write(`${HEARTBEAT_COMPAT_VERSION} (Twinbeat ${TWINBEAT_VERSION})\n`);
    return 0;
  }
  if (flags.status) return statusOf(opts);
  if (flags.kill) return stopRunning(opts);
  if (flags.reload) return reloadRunning(opts, flags, invokedAs.argv);
  return startDaemon(opts, flags, invokedAs.argv);
}

/**
 * `heartbeat -r`: the same checks as `twinbeat check`; an invalid configuration is refused
 * (its findings printed as path:line, exit 1) and the daemon is not disturbed. A valid one
 * is reloaded by the running daemon (SIGHUP, as Heartbeat's -r); with none running, it
 * starts one, as Heartbeat does.
 */
async function reloadRunning(opts: CommonOptions, flags: HeartbeatFlags, argv: readonly string[]): Promise<number> {
  const localNode = resolveNodeName(opts);
  const loaded = loadConfigDir(opts.configDir, { localNode });
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!loaded.config) {
    process.stderr.write(`heartbeat: configuration in ${opts.configDir} is not valid for node ${localNode}: not reloading\n`);
    return 1;
  }
  const pid = runningPid(opts.runDir);
  if (pid === undefined)
    return startDaemon(
      opts,
      flags,
      argv.filter((a) => a !== "-r"),
    );
  process.kill(pid, "SIGHUP");
  process.stderr.write(`heartbeat: asked pid ${pid} to reload ${opts.configDir}\n`);
  return 0;
}

function statusOf(opts: CommonOptions): number {
  const pid = runningPid(opts.runDir);
  if (pid === undefined) {
    process.stdout.write("heartbeat is stopped. No process\n");
    return 3;
  }
  process.stdout.write(`heartbeat OK [pid ${pid} et al] is running on ${hostname()} [${resolveNodeName(opts)}]...\n`);
  return 0;
}

async function stopRunning(opts: CommonOptions): Promise<number> {
  const pid = runningPid(opts.runDir);
  if (pid === undefined) {
    process.stderr.write("INFO: Heartbeat already stopped.\n");
    return 0;
  }
  process.kill(pid, "SIGTERM");
  // Heartbeat waits for the daemon to finish releasing resources; so do we (bounded).
  for (let waited = 0; waited < 120_000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return 0;
    }
  }
  process.stderr.write(`heartbeat: pid ${pid} did not stop within 120 s\n`);
  return 1;
}

async function startDaemon(opts: CommonOptions, flags: HeartbeatFlags, argv: readonly string[]): Promise<number> {
  const localNode = resolveNodeName(opts);
  const loaded = loadConfigDir(opts.configDir, { localNode, machine: "this" });
  for (const d of loaded.diagnostics) process.stderr.write(`heartbeat: ${formatDiagnostic(d)}\n`);
  if (!loaded.config) {
    process.stderr.write(`heartbeat: configuration in ${opts.configDir} is not valid for node ${localNode}: not starting\n`);
    return 6; // LSB: program is not configured
  }
  const pid = runningPid(opts.runDir);
  if (pid !== undefined) {
    process.stderr.write(`heartbeat: already running [pid ${pid}].\n`);
    return 1;
  }
  if (!flags.foreground && process.env[DETACHED_ENV] !== "1") return detach(argv);
  const ports = realPorts({ config: loaded.config, foreground: flags.foreground, debugBoost: flags.debug, selfCommand: selfCommand() });
  const daemon = new HeartbeatDaemon({ config: loaded.config, stateDir: opts.stateDir, runDir: opts.runDir, debugBoost: flags.debug, ports });
  return daemon.run();
}

/** Starts the same command again in the background, detached, and waits until it runs (or fails). */
async function detach(argv: readonly string[]): Promise<number> {
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, [DETACHED_ENV]: "1" },
  });
  let stderr = "";
  child.stderr?.on("data", (c) => (stderr += c.toString()));
  const code = await new Promise<number>((resolve) => {
    child.once("exit", (c) => resolve(c ?? 1));
    // Running for a second without dying = started; its own logs take over from here.
    setTimeout(() => resolve(0), 1000);
  });
  if (code !== 0) process.stderr.write(stderr);
  child.stderr?.destroy();
  child.unref();
  return code;
}
