// ICMP echo for ping nodes: one long-lived `ping` process per host (never one per probe), only its genuine echo replies turned into events.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { implementationFromVersionText, pingInvocation, type PingImplementation } from "./ping-implementation";
import { PingReplyFilter } from "./ping-reply-parser";

export interface PingProberOptions {
  /** Ping node hosts as written in ha.cf: addresses or names. */
  readonly hosts: readonly string[];
  /** Milliseconds between echoes. */
  readonly intervalMs: number;
  /** An echo reply from `host`'s address (the ha.cf spelling is passed back). */
  readonly onReply: (host: string) => void;
  readonly onLog: (level: "info" | "warn" | "error", text: string) => void;
  /** The ping program [ping]: iputils, GNU inetutils or busybox (a link named ping, or busybox itself). */
  readonly program?: string;
  /** Which one it is; detected once from `program -V` when not given. */
  readonly implementation?: PingImplementation;
  /** Name resolution [dns.lookup]; tests substitute it. */
  readonly resolve?: (host: string) => Promise<string>;
}

/** Restart delays of a ping process: short, because a ping that exits on a failed send (inetutils, busybox) must be back soon after the link. */
const RESTART_FIRST_MS = 250;
const RESTART_MAX_MS = 5000;

/**
 * Why a ping process per host: Node has no raw or ICMP datagram sockets, and a
 * native addon would tie the single executable to one kernel ABI. One `ping` per
 * host, started once and kept running, costs one process and no spawns on the
 * heartbeat path. None of the three programs has a machine-readable output, so
 * each line is judged by `ping-reply-parser.ts`: only an echo reply from the
 * address we ping counts, never an ICMP error (inetutils prints "92 bytes from
 * <our address>: Destination Host Unreachable" when ARP fails), a duplicate or an
 * answer from another address. All three flush each reply line on a pipe.
 *
 * A name is resolved when its ping process starts (so once, and again on every
 * restart) and the program gets the numeric address; an unresolvable name is
 * logged, retried, and never alive. A ping that exits (interface down: inetutils
 * and busybox stop at the first failed send) is restarted after a short delay.
 */
export class PingProber {
  readonly #opts: PingProberOptions;
  readonly #program: string;
  readonly #children = new Map<string, ChildProcess>();
  readonly #restartDelayMs = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #implementation: Promise<PingImplementation> | undefined;
  #closed = false;

  constructor(options: PingProberOptions) {
    this.#opts = options;
    this.#program = options.program ?? "ping";
  }

  start(): void {
    for (const host of this.#opts.hosts) void this.#spawn(host);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const child of this.#children.values()) child.kill("SIGTERM");
    this.#children.clear();
  }

  /** The implementation in use (detected on first use). */
  implementation(): Promise<PingImplementation> {
    this.#implementation ??= this.#opts.implementation ? Promise.resolve(this.#opts.implementation) : this.#detect();
    return this.#implementation;
  }

  async #detect(): Promise<PingImplementation> {
    const text = await new Promise<string>((resolve) => {
      execFile(this.#program, /(^|\/)busybox$/.test(this.#program) ? ["ping", "-V"] : ["-V"], { timeout: 3000 }, (_err, stdout, stderr) =>
        resolve(`${stdout}${stderr}`),
      );
    });
    const found = implementationFromVersionText(text);
    if (found) {
      this.#opts.onLog("info", `Ping nodes: ${this.#program} is ${found} ping`);
      return found;
    }
    // Unknown: iputils' arguments are the most widely understood (-n -i).
    this.#opts.onLog(
      "warn",
      `Ping nodes: cannot tell which ping ${this.#program} is (-V said ${JSON.stringify(text.trim().split("\n")[0] ?? "")}); using iputils arguments`,
    );
    return "iputils";
  }

  async #resolve(host: string): Promise<string> {
    if (isIP(host)) return host;
    if (this.#opts.resolve) return this.#opts.resolve(host);
    return (await lookup(host)).address;
  }

  async #spawn(host: string): Promise<void> {
    if (this.#closed) return;
    let address: string;
    try {
      address = await this.#resolve(host);
    } catch (err) {
      if (this.#closed) return;
      this.#opts.onLog(
        "error",
        `Cannot resolve ping node ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; it counts as dead until it resolves (retrying)`,
      );
      this.#scheduleRestart(host);
      return;
    }
    const implementation = await this.implementation();
    if (this.#closed) return;
    const run = pingInvocation(implementation, this.#program, address, this.#opts.intervalMs);
    let child: ChildProcess;
    try {
      child = spawn(run.program, run.args, { stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      this.#opts.onLog("error", `Cannot ping ${host}: ${(err as Error).message}`);
      this.#scheduleRestart(host);
      return;
    }
    this.#children.set(host, child);
    const filter = new PingReplyFilter(address);
    let buf = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buf += chunk.toString("latin1");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (filter.accept(line).kind === "reply") {
          this.#restartDelayMs.delete(host);
          this.#opts.onReply(host);
        }
      }
      if (buf.length > 4096) buf = "";
    });
    let errText = "";
    child.stderr?.on("data", (c: Buffer) => (errText = (errText + c.toString()).slice(-300)));
    child.on("error", (err) => this.#opts.onLog("error", `Cannot ping ${host}: ${err.message} (is iputils-ping, inetutils-ping or busybox installed?)`));
    child.on("exit", (code) => {
      if (this.#children.get(host) === child) this.#children.delete(host);
      if (this.#closed) return;
      const target = address === host ? host : `${host} (${address})`;
      this.#opts.onLog("warn", `ping ${target} exited (${code ?? "signal"})${errText ? `: ${errText.trim()}` : ""}; restarting it`);
      this.#scheduleRestart(host);
    });
  }

  #scheduleRestart(host: string): void {
    if (this.#closed) return;
    const delay = this.#restartDelayMs.get(host) ?? RESTART_FIRST_MS;
    this.#restartDelayMs.set(host, Math.min(RESTART_MAX_MS, delay * 2));
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#spawn(host);
    }, delay);
    timer.unref();
    this.#timers.add(timer);
  }
}
