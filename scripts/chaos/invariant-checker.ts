// The chaos campaign's invariants, checked over one iteration's timeline of samples (pure: no lab, no clock).

export type PairNode = "srv5" | "srv6";

/** The VIP appeared on (present) or left (absent) a node, as seen by `ip monitor address` outside the node. */
export interface HolderEvent {
  readonly atMs: number;
  readonly node: PairNode;
  readonly present: boolean;
}

/** One HTTP GET of http://VIP/ by the client: the page's first line, or "-" when it got no answer. */
export interface ClientSample {
  readonly atMs: number;
  readonly page: string;
}

/** A daemon exit; `caused` when the campaign itself killed or stopped it. */
export interface DaemonExit {
  readonly atMs: number;
  readonly node: PairNode;
  readonly caused: boolean;
  readonly how: string;
}

export interface LogLine {
  readonly atMs: number;
  readonly node: PairNode;
  readonly line: string;
}

/** What was seen once the iteration had settled (or given up settling). */
export interface FinalState {
  readonly holders: readonly PairNode[];
  /** The client's neighbour entry for the VIP (lowercase MAC), if any. */
  readonly clientNeighbourMac: string | undefined;
  /** The page an HTTP GET from the client read at the end ("-" for none). */
  readonly page: string;
  /** Leftovers found by the driver: processes, addresses, rules. */
  readonly leaks: readonly string[];
}

export interface IterationTimeline {
  readonly startMs: number;
  readonly endMs: number;
  /** Holders at startMs. */
  readonly initialHolders: readonly PairNode[];
  readonly holderEvents: readonly HolderEvent[];
  readonly clientSamples: readonly ClientSample[];
  readonly exits: readonly DaemonExit[];
  readonly logLines: readonly LogLine[];
  readonly faultAtMs: number;
  /** When the last fault was healed (cable back, daemon restarted, rule removed). */
  readonly healAtMs: number;
  /** Time allowed from the heal to exactly one holder that serves the client. */
  readonly settleBoundMs: number;
  /** Two holders are allowed from the fault until settleBoundMs after the heal (DESIGN.md's one split row). */
  readonly doubleHoldingAllowed: boolean;
  readonly expectedLog: readonly RegExp[];
  readonly final: FinalState;
}

export interface PairFacts {
  /** eth0 MAC of each node (lowercase). */
  readonly macs: Readonly<Record<PairNode, string>>;
  /** The page each node serves. */
  readonly pages: Readonly<Record<PairNode, string>>;
}

export type ViolationKind = "two-holders" | "no-single-holder" | "client-not-served" | "unexpected-exit" | "log" | "leak";

export interface Violation {
  readonly kind: ViolationKind;
  readonly atMs: number;
  readonly detail: string;
}

export interface IterationVerdict {
  readonly violations: readonly Violation[];
  /** From the heal to the first moment with exactly one holder that the client reads; undefined if never. */
  readonly timeToSingleHolderMs: number | undefined;
  /** The longest run without an answer for the client during the iteration. */
  readonly clientOutageMs: number;
  /** The longest time two nodes held the VIP at once (allowed or not). */
  readonly longestDoubleHoldingMs: number;
}

/** Two separate monitors timestamp their events; this much overlap is below what they can order. */
export const MONITOR_SKEW_MS = 10;

/** ERROR/CRIT log lines and exceptions: the lines an iteration must be able to explain. */
export const SEVERE_LOG_LINE = /\b(ERROR|CRIT)\b|Uncaught|Unhandled|exception|^\s+at .+\(.+:\d+:\d+\)$/;

/** Holder sets over time: [from, to) with the set of holders, covering startMs..endMs. */
export function holderIntervals(
  t: Pick<IterationTimeline, "startMs" | "endMs" | "initialHolders" | "holderEvents">,
): Array<{ fromMs: number; toMs: number; holders: PairNode[] }> {
  const current = new Set<PairNode>(t.initialHolders);
  const out: Array<{ fromMs: number; toMs: number; holders: PairNode[] }> = [];
  let from = t.startMs;
  const events = [...t.holderEvents].filter((e) => e.atMs <= t.endMs).sort((a, b) => a.atMs - b.atMs);
  for (const e of events) {
    const at = Math.max(e.atMs, t.startMs);
    if (at > from) out.push({ fromMs: from, toMs: at, holders: [...current].sort() });
    from = Math.max(from, at);
    if (e.present) current.add(e.node);
    else current.delete(e.node);
  }
  if (t.endMs > from) out.push({ fromMs: from, toMs: t.endMs, holders: [...current].sort() });
  return out;
}

/** Checks every invariant over one iteration. */
export function checkIteration(t: IterationTimeline, facts: PairFacts): IterationVerdict {
  const violations: Violation[] = [];
  const intervals = holderIntervals(t);

  // 1. Never two holders, except inside the allowed window, and then never beyond it.
  const allowedUntil = t.healAtMs + t.settleBoundMs;
  let longestDouble = 0;
  // merge adjacent double intervals (a node's address can be re-added while the other holds)
  let runFrom: number | undefined;
  const runs: Array<{ fromMs: number; toMs: number }> = [];
  for (const iv of intervals) {
    if (iv.holders.length > 1) runFrom ??= iv.fromMs;
    else if (runFrom !== undefined) {
      runs.push({ fromMs: runFrom, toMs: iv.fromMs });
      runFrom = undefined;
    }
  }
  if (runFrom !== undefined) runs.push({ fromMs: runFrom, toMs: t.endMs });
  for (const r of runs) {
    const len = r.toMs - r.fromMs;
    longestDouble = Math.max(longestDouble, len);
    if (len <= MONITOR_SKEW_MS) continue;
    const inside = t.doubleHoldingAllowed && r.fromMs >= t.faultAtMs && r.toMs <= allowedUntil;
    if (!inside) {
      const why = t.doubleHoldingAllowed
        ? "outside the allowed window (the split row of DESIGN.md ends at the heal + settle bound)"
        : "no row of DESIGN.md's split-brain table allows it for this fault";
      violations.push({ kind: "two-holders", atMs: r.fromMs, detail: `both nodes held the VIP for ${len} ms from +${r.fromMs - t.startMs} ms: ${why}` });
    }
  }

  // 2. After the heal, within the bound: exactly one holder and the client served by it.
  let single: number | undefined;
  const samples = [...t.clientSamples].sort((a, b) => a.atMs - b.atMs);
  for (const s of samples) {
    if (s.atMs < t.healAtMs) continue;
    const iv = intervals.find((x) => x.fromMs <= s.atMs && s.atMs < x.toMs) ?? intervals[intervals.length - 1];
    if (!iv || iv.holders.length !== 1) continue;
    if (s.page === facts.pages[iv.holders[0]!]) {
      single = s.atMs - t.healAtMs;
      break;
    }
  }
  if (single === undefined) {
    violations.push({
      kind: "no-single-holder",
      atMs: t.healAtMs,
      detail: `never exactly one holder serving the client after the heal (final holders: ${t.final.holders.join("+") || "none"}, client read ${t.final.page})`,
    });
  } else if (single > t.settleBoundMs) {
    violations.push({
      kind: "no-single-holder",
      atMs: t.healAtMs + single,
      detail: `one holder serving the client only ${single} ms after the heal (bound ${t.settleBoundMs} ms)`,
    });
  }

  // 3. At the end: one holder, the client's neighbour entry on its MAC, the page from it.
  if (t.final.holders.length !== 1) {
    violations.push({
      kind: "no-single-holder",
      atMs: t.endMs,
      detail: `at the end ${t.final.holders.length} holders (${t.final.holders.join("+") || "none"})`,
    });
  } else {
    const h = t.final.holders[0]!;
    if (t.final.clientNeighbourMac?.toLowerCase() !== facts.macs[h].toLowerCase()) {
      violations.push({
        kind: "client-not-served",
        atMs: t.endMs,
        detail: `the client's neighbour entry for the VIP is ${t.final.clientNeighbourMac ?? "missing"}, not ${h}'s ${facts.macs[h]}`,
      });
    }
    if (t.final.page !== facts.pages[h]) {
      violations.push({ kind: "client-not-served", atMs: t.endMs, detail: `the client read "${t.final.page}", not ${h}'s page "${facts.pages[h]}"` });
    }
  }

  // 4. No daemon exit the campaign did not cause.
  for (const e of t.exits) {
    if (!e.caused) violations.push({ kind: "unexpected-exit", atMs: e.atMs, detail: `${e.node}'s daemon exited (${e.how}) at +${e.atMs - t.startMs} ms` });
  }

  // 5. No ERROR/CRIT line or exception the fault does not explain.
  for (const l of t.logLines) {
    if (!SEVERE_LOG_LINE.test(l.line)) continue;
    if (t.expectedLog.some((re) => re.test(l.line))) continue;
    violations.push({ kind: "log", atMs: l.atMs, detail: `${l.node}: ${l.line.trim()}` });
  }

  // 6. Nothing leaked.
  for (const leak of t.final.leaks) violations.push({ kind: "leak", atMs: t.endMs, detail: leak });

  return { violations, timeToSingleHolderMs: single, clientOutageMs: longestOutage(samples, t.startMs, t.endMs), longestDoubleHoldingMs: longestDouble };
}

/** The longest run of unanswered samples, from the first miss to the next answer (or the end). */
export function longestOutage(samples: readonly ClientSample[], fromMs: number, toMs: number): number {
  let longest = 0;
  let since: number | undefined;
  for (const s of samples) {
    if (s.atMs < fromMs || s.atMs > toMs) continue;
    if (s.page === "-") since ??= s.atMs;
    else if (since !== undefined) {
      longest = Math.max(longest, s.atMs - since);
      since = undefined;
    }
  }
  if (since !== undefined) longest = Math.max(longest, toMs - since);
  return longest;
}
