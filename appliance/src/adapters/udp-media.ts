// The heartbeat media (ucast, bcast, mcast on UDP): opens sockets per interface, sends on all, reopens on interface changes.

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { networkInterfaces } from "node:os";
import type { MediumConfig } from "../config/cluster-config";

/** A datagram as it arrived, tagged with the link (local interface) it belongs to. */
export interface ReceivedDatagram {
  readonly link: string;
  readonly bytes: Buffer;
  readonly from: RemoteInfo;
}

export interface UdpMediaOptions {
  readonly media: readonly MediumConfig[];
  readonly onDatagram: (d: ReceivedDatagram) => void;
  /** Operational messages (medium opened, interface gone…): never per packet. */
  readonly onLog: (level: "info" | "warn" | "error", text: string) => void;
  /** An interface lost its link (no carrier, down, no address: Node lists only running interfaces) or got it back. */
  readonly onLinkChange?: (dev: string, up: boolean) => void;
  /** How often interfaces are checked for a changed or returned address. */
  readonly interfacePollMs?: number;
  /**
   * Interfaces are also checked when a heartbeat goes out, at most this often [100 ms]: a
   * pulled cable is then known within a keepalive, without a wake-up of its own.
   */
  readonly sendCheckMs?: number;
  /** For tests: the clock of the send-time checks. */
  readonly now?: () => number;
  /** For tests: where interface addresses come from. */
  readonly interfaces?: () => ReturnType<typeof networkInterfaces>;
}

/** The IPv4 address, netmask-derived broadcast address of one interface, or undefined. */
export interface InterfaceIPv4 {
  readonly address: string;
  readonly broadcast: string;
}

/** Finds `dev`'s first IPv4 address and its broadcast address. */
export function interfaceIPv4(dev: string, ifaces: ReturnType<typeof networkInterfaces>): InterfaceIPv4 | undefined {
  for (const a of ifaces[dev] ?? []) {
    if (a.family !== "IPv4" || (a.internal && dev !== "lo")) continue;
    const addr = ipv4ToInt(a.address);
    const mask = ipv4ToInt(a.netmask);
    return { address: a.address, broadcast: intToIpv4((addr | ~mask) >>> 0) };
  }
  return undefined;
}

function ipv4ToInt(s: string): number {
  return s.split(".").reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The sockets serving one interface. */
interface DeviceSockets {
  readonly dev: string;
  readonly ip: InterfaceIPv4;
  /** Bound to the interface address: sends ucast and bcast, receives unicast. */
  readonly unicast: Socket;
  /** Bound to the broadcast address: receives broadcasts (only if a bcast medium uses this device). */
  readonly broadcast?: Socket;
  /** One per mcast medium on this device: bound to group:port, joined on the interface address. */
  readonly multicast: { readonly socket: Socket; readonly medium: Extract<MediumConfig, { kind: "mcast" }> }[];
}

/**
 * Why sockets are bound to addresses rather than to devices: Node has no
 * SO_BINDTODEVICE, and a socket bound to an interface's own address (or its
 * broadcast address) tells us which link a datagram came in on, which is what
 * Heartbeat's per-interface links need. Binding to addresses also survives the
 * VLAN/bridge re-creation that broke Heartbeat's device-bound sockets; when an
 * interface's address disappears or changes, its sockets are closed and reopened.
 */
export class UdpMedia {
  #opts: UdpMediaOptions;
  readonly #devices = new Map<string, DeviceSockets>();
  /** Devices whose last open attempt failed, to log the failure once, not every poll. */
  readonly #missing = new Set<string>();
  #poll: NodeJS.Timeout | undefined;
  #closed = false;
  /** Send failures since the last report, by device (reported once per poll, not per packet). */
  readonly #sendErrors = new Map<string, { count: number; message: string }>();
  /** Whether each interface had its link at the last check, for onLinkChange. */
  readonly #linkUp = new Map<string, boolean>();
  #lastCheckAt = 0;
  #reconciling = false;

  constructor(options: UdpMediaOptions) {
    this.#opts = options;
  }

  /** Device names in ha.cf order, de-duplicated: Heartbeat's link names. */
  static linkNames(media: readonly MediumConfig[]): string[] {
    return [...new Set(media.map((m) => m.dev))];
  }

  /** Opens every medium whose interface is present; the others open when they appear. */
  async open(): Promise<void> {
    await this.#reconcile();
    this.#poll = setInterval(() => void this.#reconcile(), this.#opts.interfacePollMs ?? 1000);
    this.#poll.unref();
  }

  /** Sends one datagram on every medium (Heartbeat's send_to_all_media). Never throws. */
  sendAll(bytes: Buffer): void {
    this.#checkLinksOnSend();
    for (const m of this.#opts.media) {
      const d = this.#devices.get(m.dev);
      if (!d) continue;
      const onSent = (err: Error | null) => {
        if (err) this.#noteSendError(m.dev, err);
      };
      try {
        if (m.kind === "ucast") d.unicast.send(bytes, m.port, m.peer, onSent);
        else if (m.kind === "bcast") d.unicast.send(bytes, m.port, d.ip.broadcast, onSent);
        else {
          const mc = d.multicast.find((x) => sameMedium(x.medium, m));
          mc?.socket.send(bytes, m.port, m.group, onSent);
        }
      } catch (err) {
        this.#noteSendError(m.dev, err as Error);
      }
    }
  }

  /**
   * Live reload: devices whose media changed get their new sockets opened before the old
   * ones are closed (no gap in receiving), devices no longer used are closed, new ones opened.
   * Unchanged devices keep their sockets.
   */
  async reconfigure(media: readonly MediumConfig[]): Promise<void> {
    const before = this.#opts.media;
    this.#opts = { ...this.#opts, media };
    const signature = (list: readonly MediumConfig[], dev: string) => JSON.stringify(list.filter((m) => m.dev === dev).map(mediumKey));
    const ifaces = (this.#opts.interfaces ?? networkInterfaces)();
    for (const dev of UdpMedia.linkNames(media)) {
      const cur = this.#devices.get(dev);
      if (cur && signature(before, dev) === signature(media, dev)) {
        // Same sockets; point them at the new config objects so sendAll matches by identity.
        const multicast = cur.multicast.map((x) => ({ socket: x.socket, medium: (media.find((m) => sameMedium(m, x.medium)) ?? x.medium) as typeof x.medium }));
        this.#devices.set(dev, { ...cur, multicast });
        continue;
      }
      const ip = interfaceIPv4(dev, ifaces);
      if (!ip) {
        // The poll opens it when the interface gets an address; old sockets (if any) go.
        if (cur) await this.#closeDevice(dev);
        continue;
      }
      try {
        const fresh = await this.#openSockets(dev, ip);
        this.#devices.delete(dev);
        if (cur) await closeSockets(cur);
        this.#devices.set(dev, fresh);
        this.#missing.delete(dev);
        this.#opts.onLog(
          "info",
          `Media on ${dev} ${cur ? "changed" : "added"}: ${media
            .filter((m) => m.dev === dev)
            .map(describeMedium)
            .join(", ")}`,
        );
      } catch (err) {
        this.#opts.onLog("error", `Cannot open the new media on ${dev} (${ip.address}): ${(err as Error).message}${cur ? "; keeping the old ones" : ""}`);
        if (cur) this.#opts = { ...this.#opts, media: [...media.filter((m) => m.dev !== dev), ...before.filter((m) => m.dev === dev)] };
      }
    }
    for (const dev of [...this.#devices.keys()]) {
      if (media.some((m) => m.dev === dev)) continue;
      this.#opts.onLog("info", `Media on ${dev} removed`);
      await this.#closeDevice(dev);
      this.#missing.delete(dev);
    }
  }

  /** Which devices have open sockets now. */
  openDevices(): string[] {
    return [...this.#devices.keys()];
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#poll) clearInterval(this.#poll);
    for (const dev of [...this.#devices.keys()]) await this.#closeDevice(dev);
  }

  #noteSendError(dev: string, err: Error): void {
    const e = this.#sendErrors.get(dev);
    if (e) e.count++;
    else this.#sendErrors.set(dev, { count: 1, message: err.message });
  }

  /** The send-time check: only when an interface's link changed is the full reconcile run. */
  #checkLinksOnSend(): void {
    if (!this.#opts.onLinkChange || this.#closed) return;
    const now = (this.#opts.now ?? Date.now)();
    if (now - this.#lastCheckAt < (this.#opts.sendCheckMs ?? 100)) return;
    this.#lastCheckAt = now;
    const ifaces = (this.#opts.interfaces ?? networkInterfaces)();
    const changed = UdpMedia.linkNames(this.#opts.media).some((dev) => (interfaceIPv4(dev, ifaces) !== undefined) !== this.#devices.has(dev));
    if (changed) void this.#reconcile(ifaces);
  }

  #noteLink(dev: string, up: boolean): void {
    if (this.#linkUp.get(dev) === up) return;
    const first = !this.#linkUp.has(dev);
    this.#linkUp.set(dev, up);
    if (!first || !up) this.#opts.onLinkChange?.(dev, up);
  }

  /** One reconcile at a time: the poll and a send-time check must not open the same sockets twice. */
  async #reconcile(known?: ReturnType<typeof networkInterfaces>): Promise<void> {
    if (this.#closed || this.#reconciling) return;
    this.#reconciling = true;
    try {
      await this.#reconcileNow(known);
    } finally {
      this.#reconciling = false;
    }
  }

  async #reconcileNow(known?: ReturnType<typeof networkInterfaces>): Promise<void> {
    for (const [dev, e] of this.#sendErrors) {
      this.#opts.onLog("warn", `Cannot send on ${dev}: ${e.message} (${e.count} time${e.count > 1 ? "s" : ""} in the last poll)`);
    }
    this.#sendErrors.clear();
    const ifaces = known ?? (this.#opts.interfaces ?? networkInterfaces)();
    for (const dev of UdpMedia.linkNames(this.#opts.media)) {
      const ip = interfaceIPv4(dev, ifaces);
      this.#noteLink(dev, ip !== undefined);
      const cur = this.#devices.get(dev);
      if (cur && ip && cur.ip.address === ip.address && cur.ip.broadcast === ip.broadcast) continue;
      if (cur) {
        this.#opts.onLog("warn", `Interface ${dev} ${ip ? `changed address to ${ip.address}` : "lost its IPv4 address"}: closing its media`);
        await this.#closeDevice(dev);
      }
      if (!ip) {
        if (!this.#missing.has(dev)) this.#opts.onLog("warn", `Interface ${dev} has no IPv4 address: its media wait for it`);
        this.#missing.add(dev);
        continue;
      }
      try {
        await this.#openDevice(dev, ip);
        if (this.#missing.delete(dev) || cur) this.#opts.onLog("info", `Interface ${dev} is back (${ip.address}): media reopened`);
      } catch (err) {
        if (!this.#missing.has(dev)) this.#opts.onLog("error", `Cannot open media on ${dev} (${ip.address}): ${(err as Error).message}`);
        this.#missing.add(dev);
      }
    }
  }

  async #openDevice(dev: string, ip: InterfaceIPv4): Promise<void> {
    this.#devices.set(dev, await this.#openSockets(dev, ip));
  }

  async #openSockets(dev: string, ip: InterfaceIPv4): Promise<DeviceSockets> {
    const media = this.#opts.media.filter((m) => m.dev === dev);
    const opened: Socket[] = [];
    try {
      const port = media.find((m) => m.kind !== "mcast")?.port ?? media[0]!.port;
      const unicast = await this.#bind(dev, port, ip.address, opened);
      unicast.setBroadcast(true);
      let broadcast: Socket | undefined;
      const bcast = media.find((m) => m.kind === "bcast");
      if (bcast) broadcast = await this.#bind(dev, bcast.port, ip.broadcast, opened);
      const multicast: DeviceSockets["multicast"] = [];
      for (const m of media) {
        if (m.kind !== "mcast") continue;
        const s = await this.#bind(dev, m.port, m.group, opened);
        s.addMembership(m.group, ip.address);
        s.setMulticastInterface(ip.address);
        s.setMulticastTTL(m.ttl);
        s.setMulticastLoopback(m.loop);
        multicast.push({ socket: s, medium: m });
      }
      return { dev, ip, unicast, ...(broadcast ? { broadcast } : {}), multicast };
    } catch (err) {
      for (const s of opened) s.close();
      throw err;
    }
  }

  #bind(dev: string, port: number, address: string, opened: Socket[]): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = createSocket({ type: "udp4", reuseAddr: true });
      opened.push(s);
      s.once("error", reject);
      s.bind(port, address, () => {
        s.off("error", reject);
        s.on("error", (err) => this.#opts.onLog("error", `Socket error on ${dev} (${address}:${port}): ${err.message}`));
        s.on("message", (bytes, from) => this.#opts.onDatagram({ link: dev, bytes, from }));
        resolve(s);
      });
    });
  }

  async #closeDevice(dev: string): Promise<void> {
    const d = this.#devices.get(dev);
    if (!d) return;
    this.#devices.delete(dev);
    await closeSockets(d);
  }
}

/** A medium without its source location: what identifies it across reloads. */
function mediumKey(m: MediumConfig): string {
  const { at: _at, ...rest } = m;
  return JSON.stringify(rest);
}

function sameMedium(a: MediumConfig, b: MediumConfig): boolean {
  return a === b || mediumKey(a) === mediumKey(b);
}

function describeMedium(m: MediumConfig): string {
  return m.kind === "ucast" ? `ucast to ${m.peer}:${m.port}` : m.kind === "mcast" ? `mcast ${m.group}:${m.port}` : `bcast port ${m.port}`;
}

async function closeSockets(d: DeviceSockets): Promise<void> {
  const all = [d.unicast, ...(d.broadcast ? [d.broadcast] : []), ...d.multicast.map((m) => m.socket)];
  await Promise.all(
    all.map(
      (s) =>
        new Promise<void>((r) => {
          try {
            s.close(() => r());
          } catch {
            r();
          }
        }),
    ),
  );
}
