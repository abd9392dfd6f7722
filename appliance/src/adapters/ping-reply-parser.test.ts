// Tests for the ping reply parser: every captured run of iputils, inetutils and busybox, and the line shapes that must never count.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parsePingLine, PingReplyFilter, sameAddress } from "./ping-reply-parser";
import { PING_IMPLEMENTATIONS } from "./ping-implementation";

interface Capture {
  implementation: string;
  case: string;
  nodeAddress: string;
  expectedReplies: number;
  stdoutChunks: { ms: number; text: string }[];
  stderr: string;
}

/** The source folder's testdata/ping, found from the compiled test (any out dir) or the repo root. */
function capturesDir(): string {
  const relative = path.join("appliance", "src", "adapters", "testdata", "ping");
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, relative))) return path.join(dir, relative);
  }
  return path.resolve(process.cwd(), relative);
}

function loadCaptures(): Capture[] {
  const root = capturesDir();
  return PING_IMPLEMENTATIONS.flatMap((impl) =>
    fs
      .readdirSync(path.join(root, impl))
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => JSON.parse(fs.readFileSync(path.join(root, impl, f), "utf8")) as Capture),
  );
}

const captures = loadCaptures();

function lines(c: Capture): string[] {
  return c.stdoutChunks
    .map((x) => x.text)
    .join("")
    .split("\n");
}

describe("captured output of the three ping programs", () => {
  it("covers every implementation and the same core cases for each", () => {
    const core = [
      "reply",
      "reply-ipv6",
      "host-unreachable-arp",
      "host-unreachable-router",
      "net-unreachable",
      "no-route",
      "ttl-exceeded",
      "redirect",
      "dup",
      "broadcast",
      "reply-from-other-address",
      "errors-from-node",
      "timeout",
      "unresolvable",
      "interface-down",
      "carrier-lost",
    ];
    for (const impl of PING_IMPLEMENTATIONS) {
      const have = captures.filter((c) => c.implementation === impl).map((c) => c.case);
      assert.deepEqual(
        core.filter((c) => !have.includes(c)),
        [],
        `${impl} lacks captures`,
      );
    }
  });

  for (const c of captures) {
    it(`${c.implementation} ${c.case}: ${c.expectedReplies} echo replies from ${c.nodeAddress}`, () => {
      const filter = new PingReplyFilter(c.nodeAddress);
      const counted = [...lines(c), ...c.stderr.split("\n")].filter((l) => filter.accept(l).kind === "reply");
      assert.equal(counted.length, c.expectedReplies, `counted:\n${counted.join("\n")}\n--- all output:\n${lines(c).join("\n")}`);
    });
  }

  it("an ICMP error is never taken for a reply, whoever sent it (inetutils' '92 bytes from <us>: Destination Host Unreachable' included)", () => {
    for (const c of captures.filter((x) => /unreachable|ttl|errors|no-route|timeout/.test(x.case))) {
      for (const l of lines(c)) {
        // Judged against every address that appears in the output: ours, the router's, the node's.
        for (const addr of l.match(/\d+\.\d+\.\d+\.\d+/g) ?? []) {
          assert.notEqual(parsePingLine(l, addr).kind, "reply", `${c.implementation} ${c.case}: ${l} (as ${addr})`);
        }
      }
    }
  });

  it("each program writes every reply to the pipe as it arrives, not in a burst", () => {
    for (const c of captures.filter((x) => x.case === "reply" || x.case === "redirect" || x.case === "interface-down")) {
      const filter = new PingReplyFilter(c.nodeAddress);
      const times = c.stdoutChunks.flatMap((ch) =>
        ch.text
          .split("\n")
          .filter((l) => filter.accept(l).kind === "reply")
          .map(() => ch.ms),
      );
      assert.ok(times.length >= 3, `${c.implementation} ${c.case}: ${times.length} replies`);
      // Echoes go out every 200 ms; a buffering program would hand them over together at exit.
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      const together = gaps.filter((g) => g < 50).length;
      assert.ok(together <= 1, `${c.implementation} ${c.case}: reply arrival times ${times.join(", ")} ms`);
    }
  });
});

describe("parsePingLine", () => {
  const node = "192.0.2.7";
  const cases: [string, string][] = [
    ["64 bytes from 192.0.2.7: icmp_seq=1 ttl=64 time=0.051 ms", "reply"],
    ["64 bytes from 192.0.2.7: seq=0 ttl=64 time=0.056 ms", "reply"],
    ["64 bytes from gw.example (192.0.2.7): icmp_seq=3 ttl=64 time=1.20 ms", "reply"],
    ["64 bytes from 192.0.2.7: icmp_seq=1 ttl=64 time<1 ms", "reply"],
    ["64 bytes from 192.0.2.7: icmp_seq=1 ttl=64 time=0.439 ms (DUP!)", "duplicate"],
    ["64 bytes from 192.0.2.7: seq=1 ttl=64 time=5.423 ms (DUP!)", "duplicate"],
    ["64 bytes from 192.0.2.7: icmp_seq=1 ttl=64 time=0.4 ms (BAD CHECKSUM!)", "damaged"],
    ["64 bytes from 192.0.2.77: icmp_seq=1 ttl=64 time=0.051 ms", "other-address"],
    ["64 bytes from 192.0.2.22: icmp_seq=2 ttl=64 time=0.431 ms (DIFFERENT ADDRESS!)", "other-address"],
    ["92 bytes from 192.0.2.7: Destination Host Unreachable", "icmp-error"],
    ["36 bytes from 192.0.2.7: Time to live exceeded", "icmp-error"],
    ["36 bytes from 192.0.2.7: Redirect Host(New addr: 192.0.2.1)", "icmp-error"],
    ["From 192.0.2.7 icmp_seq=1 Destination Host Unreachable", "not-a-reply"],
    ["PING 192.0.2.7 (192.0.2.7) 56(84) bytes of data.", "not-a-reply"],
    ["3 packets transmitted, 3 received, 0% packet loss, time 2003ms", "not-a-reply"],
    ["", "not-a-reply"],
  ];
  for (const [line, want] of cases) {
    it(`${JSON.stringify(line)} → ${want}`, () => {
      const got = parsePingLine(line, node);
      assert.equal(got.kind === "reply" ? "reply" : got.why, want);
    });
  }

  it("reads the sequence number", () => {
    assert.deepEqual(parsePingLine("64 bytes from 192.0.2.7: icmp_seq=42 ttl=64 time=0.051 ms", node), { kind: "reply", seq: 42 });
  });

  it("matches IPv6 addresses in any spelling and ignores the zone", () => {
    assert.equal(parsePingLine("64 bytes from 2001:db8::7: icmp_seq=1 ttl=64 time=0.07 ms", "2001:0db8:0:0::7").kind, "reply");
    assert.equal(parsePingLine("64 bytes from fe80::1%eth1: icmp_seq=1 ttl=64 time=0.07 ms", "FE80::1").kind, "reply");
    assert.equal(parsePingLine("64 bytes from 2001:db8::8: icmp_seq=1 ttl=64 time=0.07 ms", "2001:db8::7").kind, "ignored");
    assert.ok(sameAddress("::ffff:192.0.2.7", "::ffff:c000:207"));
    assert.ok(!sameAddress("2001:db8::7", "192.0.2.7"));
  });
});

describe("PingReplyFilter", () => {
  it("counts each sequence number once, even a copy the program did not mark", () => {
    const f = new PingReplyFilter("192.0.2.7");
    const kinds = [
      "64 bytes from 192.0.2.7: icmp_seq=1 ttl=64 time=0.1 ms",
      "64 bytes from 192.0.2.7: icmp_seq=1 ttl=64 time=0.2 ms",
      "64 bytes from 192.0.2.7: icmp_seq=2 ttl=64 time=0.1 ms",
    ].map((l) => f.accept(l).kind);
    assert.deepEqual(kinds, ["reply", "ignored", "reply"]);
  });
});
