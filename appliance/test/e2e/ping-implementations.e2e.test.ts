// The prober against each real ping program (iputils, GNU inetutils, busybox) on loopback: detected, right arguments, replies delivered as they come.
// (Name resolution is tested with a substituted resolver in ping-prober.test.ts: a real lookup could leave the machine.)

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PingProber } from "../../src/adapters/ping-prober";
import { pingMatrix } from "../../../scripts/lab/ping-implementations";

const isRoot = process.getuid?.() === 0;

for (const ping of pingMatrix()) {
  describe(`PingProber with ${ping.name} ping`, { skip: !isRoot ? "needs root (raw ICMP sockets for every implementation)" : ping.skip }, () => {
    it(`[${ping.name}] detects the implementation and gets one reply per 200 ms echo, each as it arrives (no buffering on the pipe)`, async (t) => {
      const replyAt: number[] = [];
      const logs: string[] = [];
      const t0 = Date.now();
      const p = new PingProber({
        hosts: ["127.0.0.1"],
        intervalMs: 200,
        program: ping.path!,
        onReply: () => replyAt.push(Date.now() - t0),
        onLog: (l, s) => logs.push(`${l}: ${s}`),
      });
      p.start();
      await new Promise((r) => setTimeout(r, 2100));
      p.close();
      assert.equal(await p.implementation(), ping.name);
      assert.ok(replyAt.length >= 8, `${replyAt.length} replies in 2.1 s: ${replyAt.join(", ")}\n${logs.join("\n")}`);
      const gaps = replyAt.slice(1).map((x, i) => x - replyAt[i]!);
      // Echoes leave every 200 ms; a block-buffered pipe would deliver several at once (gaps near 0).
      assert.ok(
        gaps.every((g) => g >= 100),
        `reply gaps ${gaps.join(", ")} ms`,
      );
      t.diagnostic(`${ping.name} (${ping.path}): ${replyAt.length} replies, gaps ${Math.min(...gaps)}–${Math.max(...gaps)} ms`);
    });
  });
}
