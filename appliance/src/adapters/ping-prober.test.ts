// Tests for the ping prober with a stand-in ping program: only genuine replies count, names are resolved and retried, exited pings restart.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { PingProber, type PingProberOptions } from "./ping-prober";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * A stand-in `ping`: answers -V like GNU inetutils, records each command line in `calls`,
 * prints `lines` (inetutils' formats, "$ADDR" = the address it was given) and then either
 * stays alive or exits.
 */
function fakePing(lines: readonly string[], opts: { exitAfter?: boolean } = {}): { program: string; calls: () => string[][] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-fake-ping-"));
  dirs.push(dir);
  const calls = path.join(dir, "calls");
  const program = path.join(dir, "ping");
  const body = lines.map((l) => `printf '%s\\n' "${l.replace(/"/g, '\\"')}"`).join("\n");
  fs.writeFileSync(
    program,
    `#!/bin/sh
if [ "$1" = "-V" ]; then echo "ping (GNU inetutils) 2.4"; exit 0; fi
echo "$*" >> "${calls}"
for a in "$@"; do ADDR="$a"; done
${body}
${opts.exitAfter ? "exit 1" : "exec sleep 30"}
`,
    { mode: 0o755 },
  );
  return {
    program,
    calls: () =>
      fs.existsSync(calls)
        ? fs
            .readFileSync(calls, "utf8")
            .trim()
            .split("\n")
            .map((l) => l.split(" "))
        : [],
  };
}

async function until(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function prober(opts: Partial<PingProberOptions> & Pick<PingProberOptions, "hosts">) {
  const replies: string[] = [];
  const logs: string[] = [];
  const p = new PingProber({ intervalMs: 200, onReply: (h) => replies.push(h), onLog: (level, text) => logs.push(`${level}: ${text}`), ...opts });
  return { p, replies, logs };
}

describe("PingProber", () => {
  it("counts only echo replies from the node's address, whatever else the program prints", async () => {
    const fake = fakePing([
      "PING $ADDR ($ADDR): 56 data bytes",
      "92 bytes from 192.0.2.5: Destination Host Unreachable",
      "92 bytes from $ADDR: Destination Host Unreachable",
      "64 bytes from $ADDR: icmp_seq=0 ttl=64 time=0.1 ms",
      "64 bytes from $ADDR: icmp_seq=0 ttl=64 time=0.3 ms (DUP!)",
      "64 bytes from 192.0.2.99: icmp_seq=1 ttl=64 time=0.1 ms",
      "64 bytes from $ADDR: icmp_seq=2 ttl=64 time=0.1 ms",
      "--- $ADDR ping statistics ---",
    ]);
    const { p, replies, logs } = prober({ hosts: ["192.0.2.7"], program: fake.program });
    p.start();
    try {
      await until("two replies", () => replies.length >= 2);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(replies, ["192.0.2.7", "192.0.2.7"]);
      assert.deepEqual(fake.calls(), [["-n", "-i", "0.2", "192.0.2.7"]], "inetutils' arguments");
      assert.ok(
        logs.some((l) => /is inetutils ping/.test(l)),
        logs.join("\n"),
      );
    } finally {
      p.close();
    }
  });

  it("resolves a ping node's name, pings the address, and reports replies under the ha.cf name", async () => {
    const fake = fakePing(["64 bytes from $ADDR: icmp_seq=0 ttl=64 time=0.1 ms", "64 bytes from 192.0.2.77: icmp_seq=1 ttl=64 time=0.1 ms"]);
    const asked: string[] = [];
    const { p, replies } = prober({
      hosts: ["witness.lab"],
      program: fake.program,
      implementation: "busybox",
      resolve: async (h) => (asked.push(h), "192.0.2.7"),
    });
    p.start();
    try {
      await until("a reply", () => replies.length >= 1);
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(replies, ["witness.lab"]);
      assert.deepEqual(asked, ["witness.lab"]);
      assert.deepEqual(fake.calls(), [["-i", "0.2", "192.0.2.7"]], "busybox's arguments, the address rather than the name");
    } finally {
      p.close();
    }
  });

  it("an unresolvable name is logged by name, retried, and never alive", async () => {
    const fake = fakePing(["64 bytes from $ADDR: icmp_seq=0 ttl=64 time=0.1 ms"]);
    let attempts = 0;
    const { p, replies, logs } = prober({
      hosts: ["gone.invalid"],
      program: fake.program,
      resolve: async () => {
        attempts++;
        throw Object.assign(new Error("getaddrinfo ENOTFOUND gone.invalid"), { code: "ENOTFOUND" });
      },
    });
    p.start();
    try {
      await until("a retry", () => attempts >= 3);
      assert.deepEqual(replies, []);
      assert.deepEqual(fake.calls(), [], "no ping started");
      assert.ok(
        logs.some((l) => /^error: Cannot resolve ping node gone\.invalid: ENOTFOUND/.test(l)),
        logs.join("\n"),
      );
    } finally {
      p.close();
    }
  });

  it("resolves again when the ping process restarts (the address may have changed)", async () => {
    const fake = fakePing(["64 bytes from $ADDR: icmp_seq=0 ttl=64 time=0.1 ms"], { exitAfter: true });
    const answers = ["192.0.2.7", "192.0.2.8"];
    let n = 0;
    const { p, replies, logs } = prober({ hosts: ["witness.lab"], program: fake.program, resolve: async () => answers[Math.min(n++, 1)]! });
    p.start();
    try {
      await until("a restart", () => fake.calls().length >= 2);
      assert.deepEqual(
        fake
          .calls()
          .slice(0, 2)
          .map((c) => c.at(-1)),
        ["192.0.2.7", "192.0.2.8"],
      );
      assert.ok(replies.length >= 2 && replies.every((h) => h === "witness.lab"));
      assert.ok(
        logs.some((l) => /ping witness\.lab \(192\.0\.2\.7\) exited \(1\); restarting it/.test(l)),
        logs.join("\n"),
      );
    } finally {
      p.close();
    }
  });
});
