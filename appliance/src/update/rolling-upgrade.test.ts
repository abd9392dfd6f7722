// The one-box upgrade step: a standby applies at once; an active box waits for its peer, hands over with hb_standby, then applies; it never goes down alone.

import { test } from "node:test";
import assert from "node:assert/strict";
import { initialUpgrade, stepUpgrade, type PairView, type UpgradeAction, type UpgradeInput, type UpgradeState } from "./rolling-upgrade";

const limits = { peerWaitMs: 60_000, handoverMs: 30_000, pollMs: 1000, reboot: true };

function view(holdsHere: boolean, peerStatus: string | null, holder: string | null = holdsHere ? "alpha" : "beta"): PairView {
  return {
    localNode: "alpha",
    localStatus: "active",
    peer: peerStatus === null ? null : { name: "beta", status: peerStatus },
    groups: [{ key: "IPaddr::198.51.100.100/24/eth1", heldHere: holdsHere, holder }],
  };
}

/** Feeds inputs; returns every action and the last state. */
function drive(inputs: UpgradeInput[]): { actions: UpgradeAction[]; state: UpgradeState } {
  let state = initialUpgrade(limits);
  const actions: UpgradeAction[] = [];
  for (const i of inputs) {
    const r = stepUpgrade(state, i);
    state = r.state;
    actions.push(...r.actions);
  }
  return { actions, state };
}

const kinds = (a: UpgradeAction[]) => a.filter((x) => x.kind !== "say").map((x) => x.kind);
const said = (a: UpgradeAction[]) => a.flatMap((x) => (x.kind === "say" ? [x.line] : []));

test("the standby (holds nothing): verify, apply, reboot", () => {
  const { actions, state } = drive([
    { kind: "start", atMs: 0 },
    { kind: "verified", atMs: 100, problem: null },
    { kind: "status", atMs: 200, view: view(false, "active") },
    { kind: "applied", atMs: 9000, problem: null, message: "slot b now holds Twinbeat 0.2.0" },
  ]);
  assert.deepEqual(kinds(actions), ["verify", "ask-status", "apply", "reboot", "finish"]);
  assert.equal(state.phase, "done");
  assert.match(said(actions)[0]!, /alpha holds no resource group: applying here first/);
});

test("the active box waits for its peer (rebooting into its new slot), hands over, waits for the peer to hold the groups, then applies", () => {
  const { actions, state } = drive([
    { kind: "start", atMs: 0 },
    { kind: "verified", atMs: 100, problem: null },
    { kind: "status", atMs: 200, view: view(true, "dead") },
    { kind: "status", atMs: 20_000, view: view(true, "dead") },
    { kind: "status", atMs: 30_000, view: view(true, "active") },
    { kind: "standby-sent", atMs: 30_100, problem: null },
    { kind: "status", atMs: 31_000, view: view(true, "active") }, // still releasing
    { kind: "status", atMs: 32_000, view: view(false, "active", null) }, // released, not yet reported by beta
    { kind: "status", atMs: 33_000, view: view(false, "active", "beta") },
    { kind: "applied", atMs: 40_000, problem: null, message: "slot a now holds Twinbeat 0.2.0" },
  ]);
  assert.deepEqual(kinds(actions), [
    "verify",
    "ask-status",
    "ask-status",
    "ask-status",
    "send-standby",
    "ask-status",
    "ask-status",
    "ask-status",
    "apply",
    "reboot",
    "finish",
  ]);
  assert.equal(state.phase, "done");
  assert.deepEqual(state.handedOver, ["IPaddr::198.51.100.100/24/eth1"]);
  assert.match(said(actions).join("\n"), /waiting up to 60 s for beta \(now dead\)/);
  assert.match(said(actions).join("\n"), /beta holds IPaddr::198\.51\.100\.100\/24\/eth1: applying here/);
});

test("an active box whose peer never comes back is not upgraded: it keeps its groups", () => {
  const { actions, state } = drive([
    { kind: "start", atMs: 0 },
    { kind: "verified", atMs: 0, problem: null },
    { kind: "status", atMs: 0, view: view(true, "dead") },
    { kind: "status", atMs: 59_999, view: view(true, "dead") },
    { kind: "status", atMs: 60_000, view: view(true, "dead") },
  ]);
  assert.equal(state.phase, "failed");
  assert.ok(!kinds(actions).includes("send-standby") && !kinds(actions).includes("apply"));
  assert.match(said(actions).at(-1)!, /beta was not active within 60 s \(dead\): nothing was done, alpha keeps/);
  assert.deepEqual(actions.at(-1), { kind: "finish", exitCode: 1 });
});

test("a bad bundle stops everything before any handover", () => {
  const { actions, state } = drive([
    { kind: "start", atMs: 0 },
    { kind: "verified", atMs: 10, problem: "bad signature: …" },
  ]);
  assert.equal(state.phase, "failed");
  assert.deepEqual(kinds(actions), ["verify", "finish"]);
  assert.match(said(actions)[0]!, /the bundle is refused, nothing was done: bad signature/);
});

test("the peer dies during the handover, or never reports the groups: no apply", () => {
  const base: UpgradeInput[] = [
    { kind: "start", atMs: 0 },
    { kind: "verified", atMs: 0, problem: null },
    { kind: "status", atMs: 0, view: view(true, "active") },
    { kind: "standby-sent", atMs: 10, problem: null },
  ];
  const died = drive([...base, { kind: "status", atMs: 2000, view: view(false, "dead", null) }]);
  assert.equal(died.state.phase, "failed");
  assert.match(said(died.actions).at(-1)!, /beta went dead during the handover/);
  const slow = drive([
    ...base,
    { kind: "status", atMs: 29_999, view: view(false, "active", null) },
    { kind: "status", atMs: 30_000, view: view(false, "active", null) },
  ]);
  assert.equal(slow.state.phase, "failed");
  assert.ok(!kinds(slow.actions).includes("apply"));
});

test("a box alone (no peer in ha.cf) holding groups refuses; --no-reboot leaves the reboot to the operator", () => {
  const alone = drive([
    { kind: "start", atMs: 0 },
    { kind: "verified", atMs: 0, problem: null },
    { kind: "status", atMs: 0, view: view(true, null) },
  ]);
  assert.match(said(alone.actions).at(-1)!, /has no peer: an upgrade here stops the service/);
  let s = initialUpgrade({ ...limits, reboot: false });
  for (const i of [
    { kind: "start", atMs: 0 },
    { kind: "verified", atMs: 0, problem: null },
    { kind: "status", atMs: 0, view: view(false, "active") },
  ] as UpgradeInput[])
    s = stepUpgrade(s, i).state;
  const r = stepUpgrade(s, { kind: "applied", atMs: 1, problem: null, message: "slot b now holds 0.2.0" });
  assert.deepEqual(kinds([...r.actions]), ["finish"]);
  assert.match(said([...r.actions])[0]!, /reboot when ready/);
});
