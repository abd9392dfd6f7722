// A seeded sweep of random fault sequences over two cores: never two holders outside a split-brain row, one holder soon after the heal.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runFaultSequence } from "../sim/fault-sweep";

/** `TWINBEAT_SWEEP_SEEDS=5000` (and `TWINBEAT_SWEEP_FIRST=…`) runs more; `npm run test:sweep` does. */
const count = Number(process.env.TWINBEAT_SWEEP_SEEDS ?? 150);
const first = Number(process.env.TWINBEAT_SWEEP_FIRST ?? 1);
/**
 * Seeds of the default range that still fail, each an open bug: they run below as `todo` so
 * that they stay visible, and every other seed must pass. None at present: 116 and 137 (two
 * holders after back-to-back partitions: a legacy taker never gave a group back to a home
 * node that had not seen the partition; a node that restarted out of earshot kept what it
 * took at initdead) pass since the heal rules of DESIGN.md cover those cases. Seeds 1–2000
 * all pass; beyond them some still fail, not investigated yet: 2589 (STABLE before comm-up)
 * and 2836 (a group left unheld after the heal) in 2001–3000, and 3356 3377 3539 3759 3830
 * 3987 in 3001–4000 (so `npm run test:sweep`, 5000 seeds, fails).
 */
const KNOWN_OPEN = new Set<number>([]);

/** Every failing seed is counted and named; the transcripts of the first three are kept. */
function failuresOf(seeds: Iterable<number>): { readonly seeds: number[]; readonly transcripts: string[] } {
  const failing: number[] = [];
  const transcripts: string[] = [];
  for (const seed of seeds) {
    const r = runFaultSequence(seed);
    if (!r.failure) continue;
    failing.push(seed);
    if (transcripts.length < 3) transcripts.push(`seed ${seed}: ${r.failure}\n${r.transcript}`);
  }
  return { seeds: failing, transcripts };
}

describe("random fault sequences (seeded)", () => {
  it(`seeds ${first}..${first + count - 1}: the split-brain rules hold and one holder remains after the heal`, () => {
    const seeds = Array.from({ length: count }, (_, i) => first + i).filter((s) => !KNOWN_OPEN.has(s));
    const failures = failuresOf(seeds);
    assert.equal(
      failures.seeds.length,
      0,
      `${failures.seeds.length} failing seed(s): ${failures.seeds.join(" ")}; replay one with TWINBEAT_SWEEP_FIRST=<seed> TWINBEAT_SWEEP_SEEDS=1\n\n${failures.transcripts.join("\n\n")}`,
    );
  });

  it(
    "known open seeds",
    KNOWN_OPEN.size > 0 ? { todo: `seeds ${[...KNOWN_OPEN].join(", ")} fail (see KNOWN_OPEN)` } : { skip: "none (see KNOWN_OPEN)" },
    () => {
      const failures = failuresOf(KNOWN_OPEN);
      assert.equal(failures.seeds.length, 0, failures.transcripts.join("\n\n"));
    },
  );
});
