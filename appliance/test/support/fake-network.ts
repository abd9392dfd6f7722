// Fake heartbeat media joined by a fake network: what one node's daemon sends, the others receive on the fake clock.

import type { MediumConfig } from "../../src/config/cluster-config";
import type { MediaPort, MediaSpec } from "../../src/daemon/daemon-ports";
import type { FakeClock } from "./fake-clock";

/** One node's media (MediaPort) on the fake network. */
export class FakeMedia implements MediaPort {
  readonly node: string;
  readonly #net: FakeNetwork;
  #spec: MediaSpec;
  opened = false;
  closed = false;
  /** Every datagram sent, in order. */
  readonly sent: Buffer[] = [];
  /** Media lists passed to reconfigure, in order. */
  readonly reconfigured: (readonly MediumConfig[])[] = [];

  constructor(node: string, net: FakeNetwork, spec: MediaSpec) {
    this.node = node;
    this.#net = net;
    this.#spec = spec;
  }

  get media(): readonly MediumConfig[] {
    return this.#spec.media;
  }

  /** Link names (devices) this node receives on. */
  get links(): string[] {
    return [...new Set(this.#spec.media.map((m) => m.dev))];
  }

  async open(): Promise<void> {
    this.opened = true;
  }

  sendAll(bytes: Buffer): void {
    if (!this.opened || this.closed) return;
    this.sent.push(bytes);
    this.#net.carry(this, bytes);
  }

  async reconfigure(media: readonly MediumConfig[]): Promise<void> {
    this.reconfigured.push(media);
    this.#spec = { ...this.#spec, media };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Called by the network: one datagram arriving on `link`. */
  deliver(link: string, bytes: Buffer, fromAddress: string): void {
    if (!this.opened || this.closed) return;
    this.#spec.onDatagram({ link, bytes, from: { address: fromAddress, port: 694, family: "IPv4", size: bytes.length } });
  }
}

/**
 * Every node's media on one segment per link name. A datagram reaches every other
 * node on each of its links that is not cut, after `latencyMs`, unless the receiving
 * node is frozen (then it is dropped, as a full socket buffer would eventually do).
 */
export class FakeNetwork {
  readonly #clock: FakeClock;
  readonly #latencyMs: number;
  readonly #media = new Map<string, FakeMedia>();
  /** `node/link` pairs that are unplugged. */
  readonly #cut = new Set<string>();
  /** Nodes that receive nothing (isolated or frozen). */
  readonly #deaf = new Set<string>();
  /** Node name → how a datagram reaches its daemon (a frozen node's queue). */
  readonly #gates = new Map<string, (deliver: () => void) => void>();
  /** Node name → a fake source address, for log lines. */
  readonly #addresses = new Map<string, string>();

  constructor(clock: FakeClock, latencyMs = 1) {
    this.#clock = clock;
    this.#latencyMs = latencyMs;
  }

  /** The factory for one node's DaemonPorts.createMedia. */
  mediaFor(node: string, address: string, gate?: (deliver: () => void) => void): (spec: MediaSpec) => FakeMedia {
    this.#addresses.set(node, address);
    if (gate) this.#gates.set(node, gate);
    return (spec) => {
      const m = new FakeMedia(node, this, spec);
      this.#media.set(node, m);
      return m;
    };
  }

  media(node: string): FakeMedia {
    const m = this.#media.get(node);
    if (!m) throw new Error(`no media for ${node}`);
    return m;
  }

  unplug(node: string, link: string): void {
    this.#cut.add(`${node}/${link}`);
  }

  plug(node: string, link: string): void {
    this.#cut.delete(`${node}/${link}`);
  }

  /** The node hears nothing until `hear` (it still sends unless unplugged). */
  deafen(node: string): void {
    this.#deaf.add(node);
  }

  hear(node: string): void {
    this.#deaf.delete(node);
  }

  carry(from: FakeMedia, bytes: Buffer): void {
    const sendLinks = from.links.filter((l) => !this.#cut.has(`${from.node}/${l}`));
    for (const to of this.#media.values()) {
      if (to === from) continue;
      for (const link of to.links) {
        if (!sendLinks.includes(link) || this.#cut.has(`${to.node}/${link}`)) continue;
        this.#clock.setTimer(this.#latencyMs, () => {
          if (this.#deaf.has(to.node)) return;
          const deliver = () => to.deliver(link, bytes, this.#addresses.get(from.node) ?? "192.0.2.1");
          const gate = this.#gates.get(to.node);
          if (gate) gate(deliver);
          else deliver();
        });
      }
    }
  }
}
