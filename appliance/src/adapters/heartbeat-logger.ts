// Heartbeat-style logging: `heartbeat[pid]: YYYY/MM/DD_HH:MM:SS info: text` to logfile, debugfile, syslog and stderr.

import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import type { LogLevel } from "../cluster/cluster-actions";

/** Heartbeat's spelling of each level in log lines (cl_log): lower-case info/debug, upper-case the rest. */
const LEVEL_WORD: Record<LogLevel, string> = { debug: "debug", info: "info", warn: "WARN", error: "ERROR", crit: "CRIT" };
/** syslog severities (RFC 5424). */
const SYSLOG_SEVERITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3, crit: 2 };
const SYSLOG_FACILITY: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

export interface HeartbeatLoggerOptions {
  /** Program name in the prefix (`heartbeat`, `ResourceManager`…). */
  readonly program?: string;
  readonly logfile?: string;
  readonly debugfile?: string;
  /** syslog facility name; undefined or "none" = no syslog. */
  readonly logfacility?: string;
  /** Also write to stderr (foreground mode). */
  readonly stderr?: boolean;
  /** 0 = no debug lines anywhere; > 0 = debug lines go to debugfile and stderr. */
  readonly debugLevel?: number;
}

/** Formats a wall-clock time as Heartbeat does: 2014/10/04_01:28:24. */
export function formatHeartbeatTime(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}/${p(date.getMonth() + 1)}/${p(date.getDate())}_${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** One formatted log line, without the newline. */
export function formatLogLine(program: string, pid: number, date: Date, level: LogLevel, text: string): string {
  return `${program}[${pid}]: ${formatHeartbeatTime(date)} ${LEVEL_WORD[level]}: ${text}`;
}

/**
 * Writes log lines without blocking the heartbeat path: files are append streams,
 * syslog goes through one long-lived `logger --prio-prefix` child (Node has no
 * unix datagram sockets, and spawning a process per line would be far worse).
 */
export class HeartbeatLogger {
  readonly #program: string;
  #opts: HeartbeatLoggerOptions;
  #logfile: WriteStream | undefined;
  #debugfile: WriteStream | undefined;
  #syslog: ChildProcess | undefined;
  #facility = -1;
  #debugLevel: number;

  constructor(options: HeartbeatLoggerOptions) {
    this.#opts = options;
    this.#program = options.program ?? "heartbeat";
    this.#debugLevel = options.debugLevel ?? 0;
    this.#logfile = openAppend(options.logfile);
    this.#debugfile = openAppend(options.debugfile);
    this.#setFacility(options.logfacility);
  }

  get debugLevel(): number {
    return this.#debugLevel;
  }

  /** SIGUSR1 / SIGUSR2 raise and lower it, as in Heartbeat (never below 0). */
  setDebugLevel(level: number): void {
    this.#debugLevel = Math.max(0, Math.floor(level));
  }

  /**
   * Reopens logfile and debugfile by name: after logrotate renamed them, lines go to the
   * new file instead of the renamed (or deleted) one. The old streams are flushed first.
   */
  reopen(): void {
    const old = [this.#logfile, this.#debugfile];
    this.#logfile = openAppend(this.#opts.logfile);
    this.#debugfile = openAppend(this.#opts.debugfile);
    for (const s of old) s?.end();
  }

  /** Live reload: new log targets (files reopened, syslog facility changed) and debug level. */
  reconfigure(settings: { readonly logfile?: string; readonly debugfile?: string; readonly logfacility?: string; readonly debugLevel: number }): void {
    const facilityChanged = settings.logfacility !== this.#opts.logfacility;
    this.#opts = { ...this.#opts, logfile: settings.logfile, debugfile: settings.debugfile, logfacility: settings.logfacility };
    this.#debugLevel = Math.max(0, settings.debugLevel);
    this.reopen();
    if (facilityChanged) {
      const child = this.#syslog;
      this.#syslog = undefined;
      child?.stdin?.end();
      this.#facility = -1;
      this.#setFacility(settings.logfacility);
    }
  }

  log(level: LogLevel, text: string, program = this.#program): void {
    const debug = level === "debug";
    if (debug && !(this.#debugLevel > 0)) return;
    const line = formatLogLine(program, process.pid, new Date(), level, text);
    if (!debug) this.#logfile?.write(line + "\n");
    this.#debugfile?.write(line + "\n");
    if (this.#opts.stderr) process.stderr.write(line + "\n");
    if (!debug && this.#syslog?.stdin?.writable) {
      const pri = this.#facility * 8 + SYSLOG_SEVERITY[level];
      this.#syslog.stdin.write(`<${pri}>${LEVEL_WORD[level]}: ${text.replace(/\n/g, " ")}\n`);
    }
  }

  /** Flushes and closes every target. */
  async close(): Promise<void> {
    const ends: Promise<void>[] = [];
    for (const s of [this.#logfile, this.#debugfile]) if (s) ends.push(new Promise((r) => s.end(r)));
    this.#logfile = this.#debugfile = undefined;
    if (this.#syslog) {
      const child = this.#syslog;
      this.#syslog = undefined;
      ends.push(
        new Promise((r) => {
          child.once("exit", () => r());
          child.stdin?.end();
          setTimeout(r, 500).unref();
        }),
      );
    }
    await Promise.all(ends);
  }

  #setFacility(facility: string | undefined): void {
    if (facility && facility !== "none" && SYSLOG_FACILITY[facility] !== undefined) {
      this.#facility = SYSLOG_FACILITY[facility]!;
      this.#openSyslog();
    }
  }

  #openSyslog(): void {
    try {
      const child = spawn("logger", ["--prio-prefix", "-t", this.#program, `--id=${process.pid}`], { stdio: ["pipe", "ignore", "ignore"] });
      child.on("error", (err) => {
        process.stderr.write(`${this.#program}: cannot log to syslog: ${err.message} (is util-linux "logger" installed?)\n`);
        this.#syslog = undefined;
      });
      child.stdin?.on("error", () => undefined);
      child.unref();
      this.#syslog = child;
    } catch (err) {
      process.stderr.write(`${this.#program}: cannot log to syslog: ${(err as Error).message}\n`);
    }
  }
}

function openAppend(path: string | undefined): WriteStream | undefined {
  if (!path || path === "/dev/null") return undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch {
    // the stream's own error below says what went wrong
  }
  const stream = createWriteStream(path, { flags: "a" });
  stream.on("error", (err) => process.stderr.write(`heartbeat: cannot write log file ${path}: ${err.message}\n`));
  return stream;
}
