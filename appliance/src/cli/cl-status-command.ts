// `cl_status`: asks the local daemon for its status over the control socket and prints it exactly as Heartbeat's cl_status does.

import { connect } from "node:net";
import { hostname } from "node:os";
import type { MembershipSnapshot } from "../cluster/cluster-node";
import { millis } from "../cluster/time";
import { loadConfigDir } from "../config/load-config-dir";
import { controlSocketPath } from "../daemon/control-server";
import { CL_STATUS_EXIT, clStatusNeedsDaemon, renderClStatus, type DaemonAnswer } from "../status/cl-status-render";
import { buildDaemonStatus, DAEMON_STATUS_SCHEMA_VERSION, type DaemonStatus } from "../status/daemon-status";
import { defaultOptions, takeCommonOptions, type CommonOptions } from "./cli-options";

/** Heartbeat's cl_status gives up after 5 s (alarm) with exit code 12. */
export const CL_STATUS_TIMEOUT_MS = 5000;

/** Largest answer read from the daemon: a status is a few kilobytes. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Where the command writes (process.stdout/stderr; tests pass their own). */
export interface CommandOutput {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * `cl_status [--run-dir DIR] [--config-dir DIR] SUB-COMMAND [options] [params]`. Output
 * and exit codes are Heartbeat's (spec §6); 12 when the daemon does not answer in 5 s.
 */
export async function clStatusCommand(args: readonly string[], io: CommandOutput = process): Promise<number> {
  const opts = defaultOptions();
  const rest = takeCommonOptions(args, opts);
  let daemon: DaemonAnswer = { kind: "down" };
  if (clStatusNeedsDaemon(rest)) {
    const answer = await askDaemon(opts, CL_STATUS_TIMEOUT_MS);
    if (answer === "timeout") return CL_STATUS_EXIT.TIMEOUT;
    daemon = answer;
  }
  const out = renderClStatus(rest, daemon, {
    pid: process.pid,
    date: new Date(),
    nodename: hostname(),
    syslogFormat: !/^(false|off|no|n|0)$/i.test(process.env.HA_syslogmsgfmt ?? ""),
    posixlyCorrect: process.env.POSIXLY_CORRECT !== undefined,
  });
  if (out.stdout !== "") io.stdout.write(out.stdout);
  if (out.stderr !== "") io.stderr.write(out.stderr);
  return out.exitCode;
}

/** Asks the daemon in `opts.runDir` for its status; "timeout" after `timeoutMs`. */
export async function askDaemon(opts: CommonOptions, timeoutMs: number): Promise<DaemonAnswer | "timeout"> {
  const path = controlSocketPath(opts.runDir);
  let raw: unknown;
  try {
    raw = await requestLine(path, { cmd: "status" }, timeoutMs);
  } catch (err) {
    if (err === TIMEOUT) return "timeout";
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return { kind: "refused", reason: `cannot connect to ${path}: permission denied (run as root)` };
    if (code === "ENOENT" || code === "ECONNREFUSED" || code === "ENOTSOCK") return { kind: "down" };
    return { kind: "refused", reason: `bad answer from ${path}: ${(err as Error).message}` };
  }
  return interpretAnswer(raw, opts);
}

/** Turns the daemon's JSON answer into a DaemonStatus (building one from `membership` if the daemon predates `status`). */
export function interpretAnswer(raw: unknown, opts: Pick<CommonOptions, "configDir">): DaemonAnswer {
  const a = (typeof raw === "object" && raw !== null ? raw : {}) as {
    ok?: unknown;
    error?: unknown;
    status?: unknown;
    membership?: unknown;
    nowMs?: unknown;
    pid?: unknown;
  };
  if (a.ok !== true) return { kind: "refused", reason: typeof a.error === "string" ? a.error : "the daemon refused the request" };
  const s = a.status as Partial<DaemonStatus> | undefined;
  if (s && s.schemaVersion === DAEMON_STATUS_SCHEMA_VERSION && Array.isArray(s.nodes)) return { kind: "up", status: s as DaemonStatus };
  const m = a.membership as MembershipSnapshot | undefined;
  if (!m || typeof m.localNode !== "string" || !Array.isArray(m.nodes)) return { kind: "refused", reason: "the daemon's answer has no status" };
  // A daemon without the status service: rebuild what we can from its snapshot and the config on disk.
  const loaded = loadConfigDir(opts.configDir, { localNode: m.localNode });
  if (!loaded.config) return { kind: "refused", reason: `the daemon's answer has no status and ${opts.configDir} could not be read to make one` };
  return {
    kind: "up",
    status: buildDaemonStatus({
      snapshot: m,
      config: loaded.config,
      nowMs: millis(typeof a.nowMs === "number" ? a.nowMs : 0),
      pid: typeof a.pid === "number" ? a.pid : 0,
    }),
  };
}

const TIMEOUT = Symbol("timeout");

/** One JSON line out, one JSON line back, over the unix socket; the socket is always destroyed. */
function requestLine(path: string, request: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let buf = "";
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(TIMEOUT)), timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(JSON.stringify(request) + "\n"));
    sock.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        finish(() => {
          try {
            resolve(JSON.parse(buf.slice(0, nl)));
          } catch (err) {
            reject(err);
          }
        });
      } else if (buf.length > MAX_ANSWER_BYTES) {
        finish(() => reject(new Error("answer too long")));
      }
    });
    sock.on("end", () => finish(() => reject(new Error("the daemon closed the connection without answering"))));
    sock.on("error", (err) => finish(() => reject(err)));
  });
}
