// The differential harness over the compat corpus: every real configuration set judged by Heartbeat 3.0.6 and by `twinbeat check`.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findLabFile, realHeartbeatInstalled } from "../../../scripts/lab/real-heartbeat";
import { formatReport, runCorpus } from "../../../scripts/compat/heartbeat-differential";

const isRoot = process.getuid?.() === 0;
const skip = !isRoot ? "needs root (namespaces)" : !realHeartbeatInstalled() ? "Heartbeat 3.0.6 is not installed (scripts/lab/install-heartbeat.sh)" : false;

describe("Heartbeat 3.0.6 and twinbeat check on real configuration sets", { skip }, () => {
  it("reach the same verdict and run accepted files the same way, except the documented differences", { timeout: 600_000 }, async (t) => {
    const results = await runCorpus(findLabFile("scripts/compat/corpus"));
    for (const line of formatReport(results).split("\n")) t.diagnostic(line);
    assert.ok(results.length >= 30, `only ${results.length} sets in the corpus`);
    const disagreements = results.filter((r) => r.outcome.startsWith("disagree"));
    assert.deepEqual(
      disagreements.map((r) => `${r.name}: ${r.outcome}`),
      [],
    );
    // The documented differences are only the ones README.md names.
    for (const r of results.filter((x) => x.outcome.startsWith("deliberate"))) {
      assert.match(r.outcome, /crm\/Pacemaker mode|serial-only media|a resource Heartbeat only fails at takeover/);
    }
    // Issue 12: nice_failback after auto_failback on is auto_failback off in both, and Heartbeat opened the same media.
    const nice = results.find((r) => r.name === "issue12-nice-failback-after-auto-failback");
    assert.equal(nice?.heartbeat.autoFailback, "off");
    assert.equal(nice?.twinbeat.autoFailback, "off");
    // Issue 12: IPaddr::10.0.30.15//8/eth0:10 is read as Heartbeat's wrapper reads it.
    const slash = results.find((r) => r.name === "ljproyectoasir-double-slash");
    assert.equal(slash?.twinbeat.verdict, "accepted");
    assert.deepEqual(
      slash?.ipResources.map((ip) => [ip.heartbeat, ip.twinbeat]),
      [["STUB ip=10.0.30.15 mask=8 nic=eth0:10 broadcast=", "IPaddr 10.0.30.15/8 on eth0:10"]],
    );
  });
});
