// Tests for reliable-delivery.ts: ACK triggers, retransmission requests and their answers, NAKs.

import { test } from "node:test";
import assert from "node:assert/strict";
import { getField, str, type HaMessage } from "../protocol/ha-message";
import type { ClusterAction } from "./cluster-actions";
import { HISTORY_SIZE, ReliableDelivery } from "./reliable-delivery";
import { millis, normalizeNodeName } from "./time";

const SRV5 = normalizeNodeName("srv5");
const SRV6 = normalizeNodeName("srv6");

function harness(random = () => 0) {
  const sent: HaMessage[] = [];
  const rd = new ReliableDelivery({ localNode: SRV5, maxRexmitDelayMs: 250, random });
  return { rd, sent, send: (b: HaMessage) => sent.push(b) };
}

test("in-order packets are ACKed on the trigger digit only (random() = 0 → seq % 10 = 0)", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  for (let seq = 1; seq <= 20; seq++) h.rd.onAccepted(SRV6, seq, true, [], millis(0), out, h.send);
  assert.deepEqual(
    h.sent.map((m) => `${getField(m, "t")} ${getField(m, "ackseq")} ${getField(m, "dest")}`),
    ["NS_ackmsg a srv6", "NS_ackmsg 14 srv6"],
  );
  assert.equal(h.rd.counters.acksSent, 2);
});

test("a gap is asked for after a random delay in [50, max], then every max until filled", () => {
  const h = harness(() => 0.5);
  const out: ClusterAction[] = [];
  h.rd.onAccepted(SRV6, 5, false, [4], millis(1000), out, h.send);
  assert.equal(h.rd.nextWakeAt(), 1150);
  h.rd.onClock(millis(1149), () => true, h.send);
  assert.equal(h.sent.filter((m) => getField(m, "t") === "NS_rexmit").length, 0);
  h.rd.onClock(millis(1150), () => true, h.send);
  const req = h.sent.find((m) => getField(m, "t") === "NS_rexmit")!;
  assert.deepEqual([getField(req, "dest"), getField(req, "firstseq"), getField(req, "lastseq")], [SRV6, "4", "4"]);
  assert.equal(h.rd.nextWakeAt(), 1400);
  h.rd.onAccepted(SRV6, 4, false, [], millis(1200), out, h.send);
  assert.equal(h.rd.nextWakeAt(), undefined, "filled");
});

test("no requests to a dead peer; its gaps are forgotten", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.rd.onAccepted(SRV6, 9, false, [7, 8], millis(0), out, h.send);
  h.rd.onPeerDead(SRV6);
  assert.equal(h.rd.nextWakeAt(), undefined);
  h.rd.onAccepted(SRV6, 12, false, [11], millis(0), out, h.send);
  h.rd.onClock(millis(10_000), () => false, h.send);
  assert.equal(h.sent.filter((m) => getField(m, "t") === "NS_rexmit").length, 0);
  assert.equal(h.rd.nextWakeAt(), undefined);
});

test("NS_rexmit is answered with retransmit actions for packets we sent, once per max delay", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  const req = (first: number, last: number): HaMessage => [str("t", "NS_rexmit"), str("firstseq", String(first)), str("lastseq", String(last))];
  h.rd.onControlMessage("NS_rexmit", req(3, 5), SRV6, 4, millis(0), out, h.send);
  assert.deepEqual(
    out,
    [
      { type: "retransmit", seq: 3 },
      { type: "retransmit", seq: 4 },
    ],
    "5 was never sent",
  );
  h.rd.onControlMessage("NS_rexmit", req(3, 3), SRV6, 4, millis(100), out, h.send);
  assert.equal(out.length, 2, "a burst of identical requests is answered once");
  h.rd.onControlMessage("NS_rexmit", req(3, 3), SRV6, 4, millis(300), out, h.send);
  assert.equal(out.length, 3);
});

test("a packet older than the history gets NS_nak_rexmit; a NAK for our gap is an irretrievable loss", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.rd.onControlMessage("NS_rexmit", [str("t", "NS_rexmit"), str("firstseq", "1"), str("lastseq", "1")], SRV6, HISTORY_SIZE + 10, millis(0), out, h.send);
  assert.equal(getField(h.sent[0]!, "t"), "NS_nak_rexmit");
  assert.equal(out.length, 0);
  h.rd.onAccepted(SRV6, 9, false, [8], millis(0), out, h.send);
  h.rd.onControlMessage("NS_nak_rexmit", [str("t", "NS_nak_rexmit"), str("firstseq", "8")], SRV6, 0, millis(0), out, h.send);
  assert.equal(h.rd.counters.lostPackets, 1);
  assert.ok(out.some((a) => a.type === "log" && a.text.includes("Irretrievably lost packet: node srv6 seq 8")));
  assert.equal(h.rd.nextWakeAt(), undefined);
});

test("malformed requests are ignored", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.rd.onControlMessage("NS_rexmit", [str("t", "NS_rexmit"), str("firstseq", "x"), str("lastseq", "3")], SRV6, 10, millis(0), out, h.send);
  h.rd.onControlMessage("NS_rexmit", [str("t", "NS_rexmit"), str("firstseq", "5"), str("lastseq", "3")], SRV6, 10, millis(0), out, h.send);
  assert.deepEqual(out, []);
  assert.deepEqual(h.sent, []);
});
