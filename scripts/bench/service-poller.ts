// The bench's client: a new HTTP request to http://VIP/ every 20 ms from the client host, each answer kept with when it was sent and done.

import type { NetnsLab } from "../lab/netns-lab";

export interface PollSample {
  /** ms since the poller started, when the request was sent. */
  readonly sentMs: number;
  /** When the answer (or the failure) came. */
  readonly doneMs: number;
  /** The page's first line, or "-" when the request failed (refused, timed out, reset). */
  readonly page: string;
}

/**
 * Requests do not wait for each other: one goes out every `everyMs` whatever the last one does,
 * so a request hanging on a dead node does not hide when service comes back.
 */
export class ServicePoller {
  readonly samples: PollSample[] = [];
  readonly #t0 = Date.now();
  readonly #timer: NodeJS.Timeout;
  #inFlight = 0;

  constructor(lab: NetnsLab, url: string, everyMs = 20, timeoutMs = 500) {
    this.#timer = setInterval(() => {
      if (this.#inFlight > 100) return;
      const sentMs = this.now();
      this.#inFlight++;
      void lab.httpGet("client", url, timeoutMs).then((r) => {
        this.#inFlight--;
        this.samples.push({ sentMs, doneMs: this.now(), page: r.ok ? r.body.trim().split("\n")[0]! : "-" });
      });
    }, everyMs);
  }

  now(): number {
    return Date.now() - this.#t0;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The first answer from `page` to a request sent at or after `fromMs`: when it came (ms since start), or undefined. */
  firstAnswer(page: string | undefined, fromMs: number): number | undefined {
    let best: number | undefined;
    for (const s of this.samples) {
      if (s.sentMs >= fromMs && s.page !== "-" && (page === undefined || s.page === page) && (best === undefined || s.doneMs < best)) best = s.doneMs;
    }
    return best;
  }

  /** Waits for an answer from `page` to a request sent at or after `fromMs`; its time since fromMs, or throws. */
  async waitAnswer(page: string | undefined, fromMs: number, timeoutMs: number): Promise<number> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const at = this.firstAnswer(page, fromMs);
      if (at !== undefined) return at - fromMs;
      if (Date.now() > until)
        throw new Error(`no answer${page ? ` from ${page}` : ""} within ${timeoutMs} ms; last: ${JSON.stringify(this.samples.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * The longest outage among requests sent in [fromMs, toMs]: from the first failed request of a
   * run to the next request that was answered (send times). 0 when none failed.
   */
  longestOutage(fromMs: number, toMs: number): number {
    const inWindow = this.samples.filter((s) => s.sentMs >= fromMs && s.sentMs <= toMs).sort((a, b) => a.sentMs - b.sentMs);
    let longest = 0;
    let since: number | undefined;
    for (const s of inWindow) {
      if (s.page === "-") since ??= s.sentMs;
      else if (since !== undefined) {
        longest = Math.max(longest, s.sentMs - since);
        since = undefined;
      }
    }
    if (since !== undefined) longest = Math.max(longest, toMs - since);
    return longest;
  }

  /** The page most answers came from among requests sent in [fromMs, toMs]. */
  servedBy(fromMs: number, toMs: number): string {
    const counts = new Map<string, number>();
    for (const s of this.samples) if (s.sentMs >= fromMs && s.sentMs <= toMs) counts.set(s.page, (counts.get(s.page) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "-";
  }
}
