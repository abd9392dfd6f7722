// ICMP echo for ping nodes: one long-lived `ping` process per host (never one per probe), its replies turned into events.

import { spawn, type ChildProcess } from "node:child_process";
import { isIPv6 } from "node:net";

export interface PingProberOptions {
  readonly hosts: readonly string[];
  /** Seconds between echoes. */
  readonly intervalMs: number;
  readonly onReply: (host: string) => void;
  readonly onLog: (level: "info" | "warn" | "error", text: string) => void;
  /** The ping program [ping]; iputils, busybox and inetutils all print "bytes from" lines. */
  readonly program?: string;
}

/**
 * Why a ping process per host: Node has no raw or ICMP datagram sockets, and a
 * native addon would tie the single executable to one kernel ABI. One `ping` per
 * host, started once and kept running, costs one process and no spawns on the
 * heartbeat path; each reply line becomes an event. It works as root inside a
 * network namespace and with busybox's ping on the appliance image. A ping that
 * exits (host unresolvable, interface gone) is restarted with a growing delay.
 */
export class PingProber {
  readonly #opts: PingProberOptions;
  readonly #children = new Map<string, ChildProcess>();
  readonly #restartDelayMs = new Map<string, number>();
  #closed = false;

  constructor(options: PingProberOptions) {
    this.#opts = options;
  }

  start(): void {
    for (const host of this.#opts.hosts) this.#spawn(host);
  }

  close(): void {
    this.#closed = true;
    for (const child of this.#children.values()) child.kill("SIGTERM");
    this.#children.clear();
  }

  #spawn(host: string): void {
    if (this.#closed) return;
    const intervalS = Math.max(0.2, this.#opts.intervalMs / 1000).toFixed(1);
    const args = ["-n", "-i", intervalS, ...(isIPv6(host) ? ["-6"] : []), host];
    let child: ChildProcess;
    try {
      child = spawn(this.#opts.program ?? "ping", args, { stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      this.#opts.onLog("error", `Cannot ping ${host}: ${(err as Error).message}`);
      this.#scheduleRestart(host);
      return;
    }
    this.#children.set(host, child);
    let buf = "";
    let answered = false;
    child.stdout?.on("data", (chunk: Buffer) => {
      buf += chunk.toString("latin1");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // "64 bytes from 192.0.2.7: icmp_seq=1 ttl=64 time=0.05 ms" (iputils, busybox alike)
        if (line.includes(" bytes from ")) {
          if (!answered) this.#restartDelayMs.delete(host);
          answered = true;
          this.#opts.onReply(host);
        }
      }
      if (buf.length > 4096) buf = "";
    });
    let errText = "";
    child.stderr?.on("data", (c: Buffer) => (errText = (errText + c.toString()).slice(-300)));
    child.on("error", (err) => this.#opts.onLog("error", `Cannot ping ${host}: ${err.message} (is iputils-ping or busybox installed?)`));
    child.on("exit", (code) => {
      if (this.#children.get(host) === child) this.#children.delete(host);
      if (this.#closed) return;
      this.#opts.onLog("warn", `ping ${host} exited (${code ?? "signal"})${errText ? `: ${errText.trim()}` : ""}; restarting it`);
      this.#scheduleRestart(host);
    });
  }

  #scheduleRestart(host: string): void {
    const delay = Math.min(30_000, (this.#restartDelayMs.get(host) ?? 500) * 2);
    this.#restartDelayMs.set(host, delay);
    setTimeout(() => this.#spawn(host), delay).unref();
  }
}
