// A seeded sweep of random fault sequences over two cores: never two holders outside a split-brain row, one holder soon after the heal.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runFaultSequence } from "../sim/fault-sweep";

/** `TWINBEAT_SWEEP_SEEDS=5000` (and `TWINBEAT_SWEEP_FIRST=…`) runs more; `npm run test:sweep` does. */
const count = Number(process.env.TWINBEAT_SWEEP_SEEDS ?? 150);
const first = Number(process.env.TWINBEAT_SWEEP_FIRST ?? 1);
/**
 * Seeds of the default range that still fail, each an open bug: they run below as `todo` so
 * that they stay visible, and every other seed must pass. None at present: seeds 1–20000 all
 * pass (`npm run test:sweep` runs 1–5000). The last ones fixed, beyond 2000: 3377 3539 3759
 * 3987 (work queued before a stall ended the rejoin's handshake), 2589 4434 (hb_takeover
 * before comm-up), 1808 (the orphan rule waited on an unanswered hb_standby; it failed although
 * 1–2000 were said to pass), 4102 (hb_takeover of a group that failed here, the peer in flux),
 * 3830 6742 (one side of a standby exchange waiting for ever after a partition only the other
 * saw), 9521 9571 (a taker whose `other` found no exchange), 6770 (a rejoin acquired on a
 * report older than the peer's restart), 5651 (legacy: an ip-request answer dropped while
 * our give-way still ran), 6782 (this checker: the operator looked for failed groups before a
 * frozen daemon knew of its failure), 18395 (a retransmitted `starting` made the peer look
 * starting); 2836 and 3356 pass since standby requests that come too early are answered later
 * instead of ignored; 15323 (legacy: the peer restarted while our give-way still stopped the
 * group, which was asked for only if already stopped, so never) and 17869 (a taker's late
 * `other`, sent before it saw us dead, started a release whose done never came: the requester
 * now ends its side 10 s after its release). Seeds 1–20000 all pass.
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
