// A seeded sweep of random fault sequences over two cores: never two holders outside a split-brain row, one holder soon after the heal.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runFaultSequence } from "../sim/fault-sweep";

/** `TWINBEAT_SWEEP_SEEDS=5000` (and `TWINBEAT_SWEEP_FIRST=…`) runs more; `npm run test:sweep` does. */
const count = Number(process.env.TWINBEAT_SWEEP_SEEDS ?? 150);
const first = Number(process.env.TWINBEAT_SWEEP_FIRST ?? 1);
/**
 * Seeds of the default range that still fail, each an open bug: they run below as `todo` so
 * that they stay visible, and every other seed must pass. 116, 137: two holders outlive the heal
 * bound after back-to-back partitions (47 and 77, a group left unheld after a give-way, pass since
 * uncoordinated releases drop the addresses first and the one-way-loss rules). Seeds 1–1000 as a
 * whole: 21 fail besides these two (the test names them all).
 */
const KNOWN_OPEN = new Set([116, 137]);

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

  it("known open seeds", { todo: `seeds ${[...KNOWN_OPEN].join(", ")} fail (see KNOWN_OPEN)` }, () => {
    const failures = failuresOf(KNOWN_OPEN);
    assert.equal(failures.seeds.length, 0, failures.transcripts.join("\n\n"));
  });
});
