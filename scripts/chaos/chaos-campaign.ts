// Runs a chaos campaign against the live pair: for each planned fault, baseline, inject at a random timer phase, heal, settle, check.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../lab/netns-lab";
import {
  describePlan,
  expectedLogPatterns,
  FAULT_KINDS,
  isColdStart,
  planCampaign,
  planIteration,
  allowsDoubleHolding,
  type FaultKind,
  type FaultPlan,
} from "./fault-catalogue";
import { checkIteration, type IterationVerdict } from "./invariant-checker";
import { buildReport, type CampaignReport, type IterationResult } from "./chaos-report";
import { ChaosPair, injectAndHeal, LATENCY_NOT_INJECTABLE, PAGES } from "./chaos-lab";

/** A client outage longer than this keeps the iteration's transcript although it is no violation. */
const LONG_OUTAGE_MS = 5000;

/** The lab's timings (the seed's shape, faster): keepalive 200 ms, deadtime 1 s, initdead 3 s. */
export const LAB_TIMINGS = { keepaliveMs: 200, deadtimeMs: 1000, initdeadMs: 3000 } as const;

export interface CampaignOptions {
  readonly seed: number;
  readonly iterations: number;
  /** Replays these iterations of the campaign, in this order on one pair (same plans as in the full run). */
  readonly onlyIterations?: readonly number[];
  readonly kinds?: readonly FaultKind[];
  readonly log?: (line: string) => void;
  /** Directory for `<seed>.json` and per-iteration logs of iterations with violations. */
  readonly artifactsDir?: string;
  readonly deadlineMs?: number;
}

export interface CampaignOutcome {
  readonly report: CampaignReport;
  readonly jsonPath?: string;
}

/** Time allowed from the heal to one serving holder: deadtime + 1 s, or initdead + 1 s after a cold start of both. */
export function settleBoundMs(plan: FaultPlan): number {
  return (isColdStart(plan.kind) ? LAB_TIMINGS.initdeadMs : LAB_TIMINGS.deadtimeMs) + 1000;
}

export async function runCampaign(opts: CampaignOptions): Promise<CampaignOutcome> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + "\n"));
  const kinds = opts.kinds ?? FAULT_KINDS;
  const plans =
    opts.onlyIterations !== undefined
      ? opts.onlyIterations.map((k) => planIteration(opts.seed, k, LAB_TIMINGS, kinds))
      : planCampaign(opts.seed, opts.iterations, LAB_TIMINGS, { kinds });
  const work = mkdtempSync(join(tmpdir(), "twinbeat-chaos-"));
  const results: IterationResult[] = [];
  const artifacts = opts.artifactsDir;
  if (artifacts) mkdirSync(artifacts, { recursive: true });
  try {
    await NetnsLab.withLab(
      async (lab) => {
        const cp = await ChaosPair.create(lab, work, log);
        try {
          log(`chaos: seed ${opts.seed}, ${plans.length} iteration(s); lab ${lab.prefix}; starting the pair`);
          for (const plan of plans) results.push(await runOne(cp, plan, opts.seed, log, artifacts));
        } finally {
          await cp.close();
        }
      },
      { tag: "chs", ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}) },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const report = buildReport(opts.seed, results);
  let jsonPath: string | undefined;
  if (artifacts) {
    jsonPath = join(artifacts, opts.onlyIterations !== undefined ? `${opts.seed}-${opts.onlyIterations.join(",")}.json` : `${opts.seed}.json`);
    writeFileSync(jsonPath, JSON.stringify(report, null, 2) + "\n");
  }
  return jsonPath !== undefined ? { report, jsonPath } : { report };
}

async function runOne(cp: ChaosPair, plan: FaultPlan, seed: number, log: (l: string) => void, artifacts: string | undefined): Promise<IterationResult> {
  const t0 = Date.now();
  if (plan.kind === "latency") {
    const verdict: IterationVerdict = { violations: [], timeToSingleHolderMs: undefined, clientOutageMs: 0, longestDoubleHoldingMs: 0 };
    log(`#${plan.iteration} ${describePlan(plan)}: not injectable here (${LATENCY_NOT_INJECTABLE})`);
    return { plan, targetNode: "-", verdict, durationMs: Date.now() - t0, notInjectable: LATENCY_NOT_INJECTABLE };
  }
  await cp.baseline();
  const startMs = Date.now();
  const initialHolders = cp.holders();
  const inj = await injectAndHeal(cp, plan);
  const settled = await cp.waitSettled(15_000, 1500);
  const endMs = Date.now();
  const final = await cp.finalState();
  const within = <T extends { atMs: number }>(xs: readonly T[]) => xs.filter((x) => x.atMs >= startMs && x.atMs <= endMs);
  const verdict = checkIteration(
    {
      startMs,
      endMs,
      initialHolders,
      holderEvents: within(cp.holderEvents),
      clientSamples: within(cp.clientSamples),
      exits: within(cp.exits),
      logLines: within(cp.logLines),
      faultAtMs: inj.faultAtMs,
      healAtMs: inj.healAtMs,
      settleBoundMs: settleBoundMs(plan),
      doubleHoldingAllowed: allowsDoubleHolding(plan),
      expectedLog: expectedLogPatterns(plan.kind),
      final,
    },
    { macs: cp.macs, pages: PAGES },
  );
  const durationMs = Date.now() - t0;
  const tts = verdict.timeToSingleHolderMs === undefined ? "never" : `${verdict.timeToSingleHolderMs} ms`;
  log(
    `#${plan.iteration} ${describePlan(plan)} -> ${inj.targetNode}: one holder ${tts} after the heal, outage ${verdict.clientOutageMs} ms, ` +
      `${settled ? "settled" : "NOT settled"}, ${verdict.violations.length} violation(s) [${durationMs} ms]`,
  );
  for (const v of verdict.violations) log(`    ${v.kind}: ${v.detail}`);
  // A long outage is no violation (a resource that hangs on start makes one on purpose) but
  // is worth reading: its transcript is kept too.
  if ((verdict.violations.length || verdict.clientOutageMs > LONG_OUTAGE_MS) && artifacts) {
    const lines = [
      `seed ${seed} iteration ${plan.iteration}: ${describePlan(plan)} on ${inj.targetNode}`,
      `start ${new Date(startMs).toISOString()} fault +${inj.faultAtMs - startMs} ms heal +${inj.healAtMs - startMs} ms end +${endMs - startMs} ms`,
      "",
      "holder events:",
      ...within(cp.holderEvents).map((e) => `  +${e.atMs - startMs} ${e.node} ${e.present ? "takes" : "drops"} the VIP`),
      "daemon exits:",
      ...within(cp.exits).map((e) => `  +${e.atMs - startMs} ${e.node} ${e.how}${e.caused ? " (caused)" : ""}`),
      "client:",
      ...compress(within(cp.clientSamples).map((s) => [s.atMs - startMs, s.page] as const)),
      "logs:",
      ...within(cp.logLines).map((l) => `  +${l.atMs - startMs} ${l.node} ${l.line}`),
    ];
    writeFileSync(join(artifacts, `${seed}-${plan.iteration}.log`), lines.join("\n") + "\n");
  }
  return { plan, targetNode: inj.targetNode, verdict, durationMs, ...(inj.notInjectable ? { notInjectable: inj.notInjectable } : {}) };
}

/** Client samples as runs: "+1200..+1900 NodeA". */
function compress(samples: ReadonlyArray<readonly [number, string]>): string[] {
  const out: string[] = [];
  let from: number | undefined;
  let last: number | undefined;
  let page: string | undefined;
  for (const [at, p] of samples) {
    if (p !== page) {
      if (page !== undefined) out.push(`  +${from}..+${last} ${page}`);
      from = at;
      page = p;
    }
    last = at;
  }
  if (page !== undefined) out.push(`  +${from}..+${last} ${page}`);
  return out;
}
