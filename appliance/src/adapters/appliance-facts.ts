// ApplianceFactsSampler: uptime, load, memory and interfaces of this box, sampled asynchronously at most every few seconds.

import { readdir, readFile } from "node:fs/promises";
import * as os from "node:os";

/** One address of an interface, as os.networkInterfaces() reports it. */
export interface InterfaceAddress {
  readonly address: string;
  readonly family: "IPv4" | "IPv6";
  /** Prefix length, or null when unknown. */
  readonly prefixLength: number | null;
}

/** One network interface: link state from /sys/class/net/NAME/operstate, addresses from the kernel. */
export interface InterfaceFacts {
  readonly name: string;
  /** `up`, `down`, `lowerlayerdown`, `dormant`, `unknown`… (the kernel's word). */
  readonly operstate: string;
  readonly mac: string | null;
  readonly addresses: readonly InterfaceAddress[];
}

/** Facts about the appliance itself (not the cluster), JSON-serialisable. */
export interface ApplianceFacts {
  /** When this sample was taken, ISO 8601. */
  readonly sampledAt: string;
  readonly hostname: string;
  readonly uptimeSeconds: number;
  /** 1, 5 and 15 minute load averages. */
  readonly loadavg: readonly number[];
  readonly memory: { readonly totalBytes: number; readonly availableBytes: number };
  /** Every interface but `lo`, by name. */
  readonly interfaces: readonly InterfaceFacts[];
}

export interface ApplianceFactsOptions {
  /** A sample younger than this is reused as is. Default 5000 ms. */
  readonly minIntervalMs?: number;
  /** Where interface link states are read. Default /sys/class/net. */
  readonly sysClassNet?: string;
  /** Where MemAvailable is read. Default /proc/meminfo. */
  readonly procMeminfo?: string;
  /** Clock for the sample age (ms). Default Date.now. */
  readonly now?: () => number;
}

/** At most this many interfaces are read per sample: the work stays bounded on a box with many VLANs. */
const MAX_INTERFACES = 64;

/**
 * Samples appliance facts off the heartbeat path: nothing here blocks the event loop
 * (files are read with fs/promises; os.* calls are single cheap syscalls) and nothing
 * spawns a process. `current()` never waits: it returns the last sample (or null before
 * the first) and starts a refresh in the background when that sample is stale, so an
 * idle daemon with nobody looking samples nothing at all.
 */
export class ApplianceFactsSampler {
  readonly #minIntervalMs: number;
  readonly #sysClassNet: string;
  readonly #procMeminfo: string;
  readonly #now: () => number;
  #last: ApplianceFacts | null = null;
  #lastAt = -Infinity;
  #inFlight: Promise<ApplianceFacts> | undefined;

  constructor(options: ApplianceFactsOptions = {}) {
    this.#minIntervalMs = options.minIntervalMs ?? 5000;
    this.#sysClassNet = options.sysClassNet ?? "/sys/class/net";
    this.#procMeminfo = options.procMeminfo ?? "/proc/meminfo";
    this.#now = options.now ?? Date.now;
  }

  /** The latest sample (null before the first); refreshes in the background when stale. */
  current(): ApplianceFacts | null {
    if (this.#now() - this.#lastAt >= this.#minIntervalMs) void this.refresh().catch(() => undefined);
    return this.#last;
  }

  /** Takes a sample now (or joins the one under way). */
  refresh(): Promise<ApplianceFacts> {
    if (this.#inFlight) return this.#inFlight;
    this.#lastAt = this.#now(); // a failing sample is not retried in a tight loop either
    // Started on a later turn of the event loop: the caller (a status request) does none of the work.
    const p = new Promise<void>((r) => setImmediate(r))
      .then(() => this.#sample())
      .then(
        (facts) => {
          this.#last = facts;
          this.#inFlight = undefined;
          return facts;
        },
        (err: unknown) => {
          this.#inFlight = undefined;
          throw err;
        },
      );
    this.#inFlight = p;
    return p;
  }

  async #sample(): Promise<ApplianceFacts> {
    const [memory, interfaces] = await Promise.all([this.#memory(), this.#interfaces()]);
    return {
      sampledAt: new Date().toISOString(),
      hostname: os.hostname(),
      uptimeSeconds: Math.round(os.uptime()),
      loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
      memory,
      interfaces,
    };
  }

  async #memory(): Promise<ApplianceFacts["memory"]> {
    try {
      const text = await readFile(this.#procMeminfo, "utf8");
      const kb = (key: string): number | undefined => {
        const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
        return m ? Number(m[1]) * 1024 : undefined;
      };
      const total = kb("MemTotal");
      const available = kb("MemAvailable") ?? kb("MemFree");
      if (total !== undefined && available !== undefined) return { totalBytes: total, availableBytes: available };
    } catch {
      // not Linux, or /proc not mounted: fall back to libuv's numbers
    }
    return { totalBytes: os.totalmem(), availableBytes: os.freemem() };
  }

  async #interfaces(): Promise<InterfaceFacts[]> {
    const kernel = os.networkInterfaces();
    let names: string[];
    try {
      names = (await readdir(this.#sysClassNet)).sort();
    } catch {
      names = Object.keys(kernel).sort();
    }
    names = names.filter((n) => n !== "lo").slice(0, MAX_INTERFACES);
    const states = await Promise.all(
      names.map((n) =>
        readFile(`${this.#sysClassNet}/${n}/operstate`, "utf8").then(
          (s) => s.trim() || "unknown",
          () => "unknown",
        ),
      ),
    );
    return names.map((name, i) => {
      const addrs = kernel[name] ?? [];
      const mac = addrs.find((a) => a.mac && a.mac !== "00:00:00:00:00:00")?.mac ?? null;
      return {
        name,
        operstate: states[i]!,
        mac,
        addresses: addrs.map((a) => ({
          address: a.address,
          family: a.family === "IPv6" ? ("IPv6" as const) : ("IPv4" as const),
          prefixLength: a.cidr ? Number(a.cidr.slice(a.cidr.lastIndexOf("/") + 1)) : null,
        })),
      };
    });
  }
}
