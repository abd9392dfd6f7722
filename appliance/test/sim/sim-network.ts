// A simulated heartbeat network: named links between nodes that tests can cut, drop, delay and heal.

import type { HaMessage } from "../../src/protocol/ha-message";
import { later, type Millis } from "../../src/cluster/time";

/** A datagram in flight. */
export interface InFlight {
  readonly deliverAt: Millis;
  readonly from: string;
  readonly to: string;
  readonly link: string;
  readonly message: HaMessage;
  /** Tie-breaker so equal delivery times keep send order. */
  readonly order: number;
}

export { seededRandom } from "../../src/cluster/seeded-random";
import { seededRandom } from "../../src/cluster/seeded-random";

/**
 * Every node is attached to every named link (a medium: eth0, eth1…). A link can be
 * cut for everybody, one node can be isolated on one link (unplugged cable), and a
 * loss rate or a delay can be set per link.
 */
export class SimNetwork {
  readonly #random: () => number;
  readonly #queue: InFlight[] = [];
  #order = 0;
  /** "link" cut entirely, or "link/node" unplugged. */
  readonly #cut = new Set<string>();
  /** "from>to": one-way loss on every link (a node that cannot send to, or hear from, another). */
  readonly #oneWay = new Set<string>();
  readonly #lossRate = new Map<string, number>();
  readonly #delayMs = new Map<string, number>();
  /** Drops every datagram for which this returns true (e.g. one message type), until cleared. */
  filter: ((from: string, to: string, message: HaMessage) => boolean) | undefined;
  /** Messages dropped so far, for assertions. */
  dropped = 0;

  constructor(seed = 1) {
    this.#random = seededRandom(seed);
  }

  /** Cuts a whole link (all nodes), or only `node`'s cable on it. */
  cut(link: string, node?: string): void {
    this.#cut.add(node ? `${link}/${node}` : link);
  }

  /** Unplugs every link of `node`. */
  isolate(node: string, links: readonly string[]): void {
    for (const l of links) this.cut(l, node);
  }

  /** Loses everything `from` sends to `to`, on every link; the other direction still works. */
  cutOneWay(from: string, to: string): void {
    this.#oneWay.add(`${from}>${to}`);
  }

  /** Ends a one-way loss set by cutOneWay. */
  healOneWay(from: string, to: string): void {
    this.#oneWay.delete(`${from}>${to}`);
  }

  /** Restores a link (or one node's cable); with no argument, everything. */
  heal(link?: string, node?: string): void {
    if (link === undefined) {
      this.#cut.clear();
      this.#oneWay.clear();
      this.#lossRate.clear();
      this.#delayMs.clear();
      return;
    }
    this.#cut.delete(node ? `${link}/${node}` : link);
  }

  /** Drops each datagram on `link` with probability `rate` (0..1). */
  drop(link: string, rate: number): void {
    this.#lossRate.set(link, rate);
  }

  /** Delivers datagrams on `link` after `delayMs`. */
  delay(link: string, delayMs: number): void {
    this.#delayMs.set(link, delayMs);
  }

  /** Puts a datagram on the wire, or loses it according to the current faults. */
  send(at: Millis, from: string, to: string, link: string, message: HaMessage): void {
    if (this.#cut.has(link) || this.#cut.has(`${link}/${from}`) || this.#cut.has(`${link}/${to}`) || this.#oneWay.has(`${from}>${to}`)) {
      this.dropped++;
      return;
    }
    if (this.filter?.(from, to, message)) {
      this.dropped++;
      return;
    }
    const loss = this.#lossRate.get(link) ?? 0;
    if (loss > 0 && this.#random() < loss) {
      this.dropped++;
      return;
    }
    const deliverAt = later(at, this.#delayMs.get(link) ?? 0);
    this.#queue.push({ deliverAt, from, to, link, message, order: this.#order++ });
  }

  /** When the next datagram lands, or undefined. */
  nextDeliveryAt(): Millis | undefined {
    let next: Millis | undefined;
    for (const m of this.#queue) if (next === undefined || m.deliverAt < next) next = m.deliverAt;
    return next;
  }

  /** Removes and returns every datagram due at or before `at`, in delivery order. */
  takeDue(at: Millis): InFlight[] {
    const due = this.#queue.filter((m) => m.deliverAt <= at).sort((a, b) => a.deliverAt - b.deliverAt || a.order - b.order);
    if (due.length > 0) {
      const keep = this.#queue.filter((m) => m.deliverAt > at);
      this.#queue.length = 0;
      this.#queue.push(...keep);
    }
    return due;
  }
}
