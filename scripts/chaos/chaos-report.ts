// The chaos campaign's report: per-fault rows (count, violations, worst times) as a text table and as JSON.

import { FAULT_KINDS, type FaultKind, type FaultPlan } from "./fault-catalogue";
import type { IterationVerdict, Violation } from "./invariant-checker";

export interface IterationResult {
  readonly plan: FaultPlan;
  /** The nodes the roles resolved to when the fault was injected. */
  readonly targetNode: string;
  readonly verdict: IterationVerdict;
  readonly durationMs: number;
  /** Set when the fault could not be injected at all (the iteration checks nothing). */
  readonly notInjectable?: string;
}

export interface FaultRow {
  readonly kind: FaultKind;
  readonly count: number;
  readonly violations: number;
  readonly worstTimeToSingleHolderMs: number | null;
  readonly worstClientOutageMs: number;
  readonly notInjectable: number;
}

export interface CampaignReport {
  readonly seed: number;
  readonly iterations: number;
  readonly rows: readonly FaultRow[];
  readonly violations: ReadonlyArray<{ iteration: number; kind: FaultKind; target: string; violation: Violation }>;
  readonly meanIterationMs: number;
  readonly results: ReadonlyArray<{
    iteration: number;
    plan: FaultPlan;
    targetNode: string;
    durationMs: number;
    timeToSingleHolderMs: number | null;
    clientOutageMs: number;
    longestDoubleHoldingMs: number;
    violations: readonly Violation[];
    notInjectable?: string;
  }>;
}

export function buildReport(seed: number, results: readonly IterationResult[]): CampaignReport {
  const rows: FaultRow[] = [];
  for (const kind of FAULT_KINDS) {
    const mine = results.filter((r) => r.plan.kind === kind);
    if (mine.length === 0) continue;
    const times = mine.filter((r) => r.notInjectable === undefined).map((r) => r.verdict.timeToSingleHolderMs);
    rows.push({
      kind,
      count: mine.length,
      violations: mine.reduce((n, r) => n + r.verdict.violations.length, 0),
      // null: some iteration never got one holder (or none was injected)
      worstTimeToSingleHolderMs: times.length === 0 || times.includes(undefined) ? null : Math.max(...times.map((t) => t ?? 0)),
      worstClientOutageMs: Math.max(0, ...mine.map((r) => r.verdict.clientOutageMs)),
      notInjectable: mine.filter((r) => r.notInjectable !== undefined).length,
    });
  }
  return {
    seed,
    iterations: results.length,
    rows,
    violations: results.flatMap((r) =>
      r.verdict.violations.map((violation) => ({ iteration: r.plan.iteration, kind: r.plan.kind, target: r.targetNode, violation })),
    ),
    meanIterationMs: results.length ? Math.round(results.reduce((n, r) => n + r.durationMs, 0) / results.length) : 0,
    results: results.map((r) => ({
      iteration: r.plan.iteration,
      plan: r.plan,
      targetNode: r.targetNode,
      durationMs: r.durationMs,
      timeToSingleHolderMs: r.verdict.timeToSingleHolderMs ?? null,
      clientOutageMs: r.verdict.clientOutageMs,
      longestDoubleHoldingMs: r.verdict.longestDoubleHoldingMs,
      violations: r.verdict.violations,
      ...(r.notInjectable !== undefined ? { notInjectable: r.notInjectable } : {}),
    })),
  };
}

/** The per-fault table, fixed-width, for the terminal. "never" = no single holder was reached in some iteration. */
export function renderTable(report: CampaignReport): string {
  const head = ["fault", "count", "violations", "worst to one holder", "worst client outage"];
  const body = report.rows.map((r) => [
    r.notInjectable ? `${r.kind} (not injectable ×${r.notInjectable})` : r.kind,
    String(r.count),
    String(r.violations),
    r.notInjectable === r.count ? "-" : r.worstTimeToSingleHolderMs === null ? "never" : `${r.worstTimeToSingleHolderMs} ms`,
    `${r.worstClientOutageMs} ms`,
  ]);
  const total = ["total", String(report.iterations), String(report.violations.length), "", `mean iteration ${report.meanIterationMs} ms`];
  const all = [head, ...body, total];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(head), rule, ...body.map(line), rule, line(total)].join("\n") + "\n";
}

/** One line per violation, with what replays it. */
export function renderViolations(report: CampaignReport, replay: (iteration: number) => string): string {
  return (
    report.violations
      .map((v) => `iteration ${v.iteration} (${v.kind} on ${v.target}) ${v.violation.kind}: ${v.violation.detail}\n  replay: ${replay(v.iteration)}`)
      .join("\n") + (report.violations.length ? "\n" : "")
  );
}
