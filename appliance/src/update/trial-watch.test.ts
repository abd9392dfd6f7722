// The trial watch: good only after a stable healthy state (or a factory box), failed at the time limit, never on a daemon that keeps dying.

import { test } from "node:test";
import assert from "node:assert/strict";
import { observeTrial, startTrialWatch, TRIAL_STABLE_MS, type TrialObservation, type TrialWatchState, type TrialVerdict } from "./trial-watch";

const healthy = (atMs: number): TrialObservation => ({
  atMs,
  applianceState: "ok",
  daemon: { localStatus: "active", peers: [{ name: "beta", status: "active" }] },
});
const dead = (atMs: number): TrialObservation => ({ atMs, applianceState: "ok", daemon: null });

function run(observations: TrialObservation[], limitMs = 60_000): { verdicts: TrialVerdict[]; state: TrialWatchState } {
  let state = startTrialWatch(0, limitMs);
  const verdicts: TrialVerdict[] = [];
  for (const o of observations) {
    const r = observeTrial(state, o);
    state = r.state;
    verdicts.push(r.verdict);
  }
  return { verdicts, state };
}

test("active with the peer seen, held for the stable time: good", () => {
  const { verdicts } = run([dead(1000), healthy(5000), healthy(10_000), healthy(5000 + TRIAL_STABLE_MS)]);
  assert.deepEqual(
    verdicts.map((v) => v.kind),
    ["wait", "wait", "wait", "good"],
  );
  assert.match((verdicts[3] as { reason: string }).reason, /^Twinbeat active, peer beta active, for 10 s$/);
});

test("a daemon that dies between observations restarts the stable time; at the limit the trial fails with the last reason", () => {
  const obs = [healthy(1000), dead(6000), healthy(9000), dead(14_000), healthy(17_000), dead(61_000)];
  const { verdicts } = run(obs);
  assert.deepEqual(
    verdicts.map((v) => v.kind),
    ["wait", "wait", "wait", "wait", "wait", "failed"],
  );
  assert.equal((verdicts[5] as { reason: string }).reason, "not healthy within 60 s: Twinbeat does not answer");
});

test("a peer never seen, or the local node not active: not healthy", () => {
  const lonely: TrialObservation = { atMs: 70_000, applianceState: "ok", daemon: { localStatus: "active", peers: [{ name: "beta", status: "dead" }] } };
  assert.match((run([lonely]).verdicts[0] as { reason: string }).reason, /peer beta is dead/);
  const init: TrialObservation = { atMs: 70_000, applianceState: "ok", daemon: { localStatus: "init", peers: [] } };
  assert.match((run([init]).verdicts[0] as { reason: string }).reason, /local status is init/);
});

test("a factory box is good at once; an invalid configuration is not", () => {
  assert.equal(run([{ atMs: 1, applianceState: "unconfigured", daemon: null }]).verdicts[0]!.kind, "good");
  assert.equal(run([{ atMs: 1, applianceState: "invalid", daemon: null }]).verdicts[0]!.kind, "wait");
  assert.match((run([{ atMs: 60_000, applianceState: "invalid", daemon: null }]).verdicts[0] as { reason: string }).reason, /state invalid/);
});
