// Tells the link where a virtual address now lives: gratuitous ARP for IPv4, unsolicited neighbour advertisements for IPv6.

import * as fs from "node:fs";
import * as path from "node:path";
import { runProcess, type CommandRunner, type ProcessResult } from "../adapters/process-runner";
import type { AgentLog, AgentOutcome } from "./resource-agent";
import { describeOutcome, failureFromProcess } from "./resource-agent";

/** The address to announce and the interface it was added to. */
export interface AnnounceTarget {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefix: number;
  readonly nic: string;
}

export interface AddressAnnouncerOptions {
  readonly log: AgentLog;
  /** Packets per burst. Default 5 (Heartbeat's IPaddr2 `arp_count`). */
  readonly count?: number;
  /** Time between the packets of a burst. Default 200 ms (IPaddr2 `arp_interval`). */
  readonly intervalMs?: number;
  /**
   * Time from the first burst to a second one; 0 = no second burst. Default 4000 ms, like
   * keepalived's `garp_master_delay` (5 s): switches that were still learning, or a peer that
   * was slow to drop the address, hear it again.
   */
  readonly repeatDelayMs?: number;
  readonly runCommand?: CommandRunner;
  /** Finds a tool's path; default: {@link findTool}. */
  readonly findTool?: (name: string) => string | undefined;
}

/** The two arping programs Debian ships: iputils-arping and Thomas Habets' arping (package `arping`). */
export type ArpingFlavor = "iputils" | "habets";

/**
 * Where resource-agents keeps `send_ua` (Debian 12: /usr/libexec/heartbeat; older releases:
 * /usr/lib/heartbeat).
 */
export const SEND_UA_DIRS: readonly string[] = ["/usr/libexec/heartbeat", "/usr/lib/heartbeat"];

/** Directories searched for tools besides $PATH (a daemon started by init may have a short PATH). */
const SYSTEM_DIRS: readonly string[] = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The absolute path of an executable `name` in $PATH, the system directories or resource-agents' helper directories. */
export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":").filter((d) => d !== ""), ...SYSTEM_DIRS, ...SEND_UA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      if (fs.statSync(candidate).isFile()) {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Which arping a `arping --help` text came from (Habets' prints its name; iputils' does not). */
export function arpingFlavorFromHelp(helpText: string): ArpingFlavor {
  return /Habets|^ARPing \d/m.test(helpText) ? "habets" : "iputils";
}

/**
 * Arguments for one burst of gratuitous ARP requests (sender and target IP both the address,
 * broadcast destination), `count` packets `intervalMs` apart.
 * - iputils: `-U` is "unsolicited ARP mode"; it takes the source address from the target.
 * - Habets: `-U` needs the source given with `-S`; `-W` is the interval in seconds.
 */
export function arpingArgs(flavor: ArpingFlavor, target: AnnounceTarget, count: number, intervalMs: number): string[] {
  const seconds = String(intervalMs / 1000);
  if (flavor === "habets") {
    return ["-U", "-c", String(count), "-W", seconds, "-i", target.nic, "-S", target.address, target.address];
  }
  return ["-U", "-c", String(count), "-i", seconds, "-I", target.nic, target.address];
}

/** Arguments for resource-agents' `send_ua`: `-i <interval ms> -c <count> <address> <prefix> <nic>`. */
export function sendUaArgs(target: AnnounceTarget, count: number, intervalMs: number): string[] {
  return ["-i", String(intervalMs), "-c", String(count), target.address, String(target.prefix), target.nic];
}

/**
 * Did a burst go out? iputils arping exits 0 in unsolicited mode. Habets' arping exits 1 when
 * nobody answered, which is normal for gratuitous ARP, so its "N packets transmitted" line
 * decides. send_ua exits 0 even when it could not send, so an "ERROR" line means failure.
 */
export function burstSucceeded(tool: "arping-iputils" | "arping-habets" | "send_ua", result: ProcessResult): boolean {
  if (result.kind !== "exited") {
    return false;
  }
  switch (tool) {
    case "arping-iputils":
      return result.exitCode === 0;
    case "arping-habets": {
      const sent = /(\d+) packets transmitted/.exec(result.output);
      return sent !== null && Number(sent[1]) > 0;
    }
    case "send_ua":
      return result.exitCode === 0 && !/ERROR/.test(result.output);
  }
}

/**
 * Sends announcements for one virtual address at a time, in bursts, and can cancel them:
 * an address that was just removed must not be announced any more (Habets' arping would
 * happily send an address it no longer owns).
 *
 * IPv6 choice: the kernel sends an unsolicited neighbour advertisement by itself only when
 * `net.ipv6.conf.<nic>.ndisc_notify=1` and the address went through DAD (or DAD is off for
 * the whole interface); measured on Linux 6.18, an address added with `nodad` (needed so it is
 * usable at once) gets none, and nothing in the kernel re-sends one later. No Debian tool but
 * resource-agents' `send_ua` (what Heartbeat's own IPaddr2/IPv6addr use) sends NAs on request
 * (ndisc6 only solicits), so Twinbeat uses `send_ua`: NAs to ff02::1 with the override flag
 * and our link-layer address, and a missing send_ua is a clear error naming the package.
 */
export class AddressAnnouncer {
  readonly #options: AddressAnnouncerOptions;
  readonly #count: number;
  readonly #intervalMs: number;
  readonly #repeatDelayMs: number;
  #controller = new AbortController();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** arping flavour by path, asked once per announcer. */
  readonly #flavors = new Map<string, Promise<ArpingFlavor>>();

  constructor(options: AddressAnnouncerOptions) {
    this.#options = options;
    this.#count = options.count ?? 5;
    this.#intervalMs = options.intervalMs ?? 200;
    this.#repeatDelayMs = options.repeatDelayMs ?? 4000;
  }

  /**
   * Sends the first burst now and resolves with its outcome; schedules the second burst
   * `repeatDelayMs` later in the background (its failure is only logged).
   */
  announce(target: AnnounceTarget): Promise<AgentOutcome> {
    const signal = this.#controller.signal;
    const first = this.#track(this.burst(target, signal));
    if (this.#repeatDelayMs > 0) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!signal.aborted) {
          void this.#track(this.burst(target, signal));
        }
      }, this.#repeatDelayMs);
      timer.unref();
      this.#timers.add(timer);
    }
    return first;
  }

  /** Stops every burst in flight (its process group is killed) and drops the scheduled ones. */
  cancel(): void {
    for (const timer of this.#timers) {
      clearTimeout(timer);
    }
    this.#timers.clear();
    this.#controller.abort();
    this.#controller = new AbortController();
  }

  /** Resolves when no burst is running and none is scheduled (for orderly shutdown and tests). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0 || this.#timers.size > 0) {
      if (this.#pending.size > 0) {
        await Promise.allSettled([...this.#pending]);
      } else {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  /** One burst of `count` packets; logs and returns how it went. */
  async burst(target: AnnounceTarget, signal?: AbortSignal): Promise<AgentOutcome> {
    const outcome = target.family === 4 ? await this.#arpBurst(target, signal) : await this.#naBurst(target, signal);
    const what = target.family === 4 ? "gratuitous ARP" : "unsolicited neighbour advertisements";
    if (outcome.kind === "succeeded") {
      this.#options.log("info", `Sent ${this.#count} ${what} for ${target.address} on ${target.nic}`);
    } else if (!signal?.aborted) {
      this.#options.log("warn", `Could not send ${what} for ${target.address} on ${target.nic}: ${describeOutcome(outcome)}`);
    }
    return outcome;
  }

  async #arpBurst(target: AnnounceTarget, signal: AbortSignal | undefined): Promise<AgentOutcome> {
    const arping = this.#find("arping");
    if (arping === undefined) {
      return { kind: "not-found", message: "arping not found: install the Debian package arping (or iputils-arping) to send gratuitous ARP" };
    }
    const flavor = await this.#arpingFlavor(arping);
    const result = await this.#run(arping, arpingArgs(flavor, target, this.#count, this.#intervalMs), signal);
    return toOutcome(result, burstSucceeded(flavor === "habets" ? "arping-habets" : "arping-iputils", result));
  }

  async #naBurst(target: AnnounceTarget, signal: AbortSignal | undefined): Promise<AgentOutcome> {
    const sendUa = this.#find("send_ua");
    if (sendUa === undefined) {
      return {
        kind: "not-found",
        message: `send_ua not found in ${SEND_UA_DIRS.join(" or ")}: install the Debian package resource-agents to send unsolicited neighbour advertisements`,
      };
    }
    const result = await this.#run(sendUa, sendUaArgs(target, this.#count, this.#intervalMs), signal);
    return toOutcome(result, burstSucceeded("send_ua", result));
  }

  #find(name: string): string | undefined {
    return this.#options.findTool ? this.#options.findTool(name) : findTool(name);
  }

  #run(file: string, args: readonly string[], signal: AbortSignal | undefined): Promise<ProcessResult> {
    const runner = this.#options.runCommand ?? runProcess;
    return runner(file, args, {
      timeoutMs: this.#count * this.#intervalMs + 5000,
      killGraceMs: 500,
      ...(signal ? { signal } : {}),
    });
  }

  #arpingFlavor(arping: string): Promise<ArpingFlavor> {
    let flavor = this.#flavors.get(arping);
    if (flavor === undefined) {
      // Asked through the same runner, so a lab's `ip netns exec` wrapper sees the same binary.
      const runner = this.#options.runCommand ?? runProcess;
      flavor = runner(arping, ["--help"], { timeoutMs: 5000 }).then((r) => arpingFlavorFromHelp(r.kind === "exited" || r.kind === "timed-out" ? r.output : ""));
      this.#flavors.set(arping, flavor);
    }
    return flavor;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const forget = (): void => {
      this.#pending.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }
}

function toOutcome(result: ProcessResult, ok: boolean): AgentOutcome {
  return ok ? { kind: "succeeded" } : failureFromProcess(result);
}
