// Reload (SIGHUP) and the other signals, on fake ports: nothing held is dropped, no heartbeat is missed, bad files are refused.

import { strict as assert } from "node:assert";
import { constants } from "node:os";
import { afterEach, describe, it } from "node:test";
import type { AuthKeys } from "../../src/config/cluster-config";
import { IGNORED_SIGNALS, profiling } from "../../src/daemon/heartbeat-daemon";
import { getField } from "../../src/protocol/ha-message";
import { decodeDatagram } from "../../src/protocol/wire-codec";
import { FakePair, NODE_A, NODE_B, type FakeNode } from "../support/fake-pair";

const GROUP = "IPaddr::198.51.100.100/24";

/** Everything that would show a failover or a dropped heartbeat on either node. */
function disturbances(pair: FakePair): string[] {
  const out: string[] = [];
  for (const n of pair.nodes.values()) {
    out.push(...n.logger.find(/is dead|Late heartbeat|returning after partition/).map((l) => `${n.name}: ${l}`));
    out.push(
      ...n.operations
        .filter((o) => !o.startsWith("announce"))
        .slice(n.name === NODE_A ? 1 : 0)
        .map((o) => `${n.name}: ${o}`),
    );
  }
  return out;
}

/** Largest gap between two consecutive send times (fake ms). */
function maxGap(sendTimes: readonly number[]): number {
  let gap = 0;
  for (let i = 1; i < sendTimes.length; i++) gap = Math.max(gap, sendTimes[i]! - sendTimes[i - 1]!);
  return gap;
}

/** Records when `node` sends a status, by wrapping its media's sendAll. */
function recordStatusTimes(pair: FakePair, node: FakeNode): number[] {
  const media = pair.net.media(node.name);
  const times: number[] = [];
  const send = media.sendAll.bind(media);
  media.sendAll = (bytes: Buffer) => {
    const d = decodeDatagram(bytes, node.daemon.config.authKeys);
    if (d.ok && getField(d.message, "t") === "status") times.push(pair.clock.now());
    send(bytes);
  };
  return times;
}

function keys(index: number, secret: string): AuthKeys {
  return { activeIndex: index, keys: new Map([[index, { method: "sha1" as const, key: secret }]]) };
}

describe("reload and signals (driver on fakes)", () => {
  let pair: FakePair;
  afterEach(async () => {
    for (const n of pair.nodes.values()) if (n.exit) n.daemon.stop();
    await pair.clock.advance(2000);
    pair.cleanup();
  });

  async function steadyPair(): Promise<FakePair> {
    pair = new FakePair();
    await pair.start();
    await pair.clock.advance(6000);
    assert.deepEqual([...pair.node(NODE_A).running], [GROUP]);
    return pair;
  }

  it("a reload during steady state keeps the group, every heartbeat and the peer's view", async () => {
    await steadyPair();
    const times = recordStatusTimes(pair, pair.node(NODE_A));
    for (const n of pair.nodes.values()) {
      n.rewrite((f) => ({ haCf: f.haCf + "# touched\n" }));
      n.signals.raise("SIGHUP");
      await pair.clock.advance(300);
    }
    await pair.clock.advance(3000);
    assert.deepEqual(disturbances(pair), []);
    assert.deepEqual([...pair.node(NODE_A).running], [GROUP]);
    assert.ok(times.length >= 18, `statuses kept flowing (${times.length})`);
    assert.ok(maxGap(times) <= 200, `a status every keepalive through the reloads (largest gap ${maxGap(times)} ms)`);
    assert.deepEqual(pair.node(NODE_A).logger.find(/Configuration unchanged/), ["info: Configuration unchanged"]);
  });

  it("an invalid configuration on SIGHUP is logged with path:line findings and the running one is kept", async () => {
    await steadyPair();
    const a = pair.node(NODE_A);
    a.rewrite((f) => ({ haCf: f.haCf.replace("deadtime 1", "deadtime 1\nkeepalive banana") }));
    a.signals.raise("SIGHUP");
    await pair.clock.advance(2000);
    const findings = a.logger.find(/ha\.cf:\d+/);
    assert.ok(findings.length >= 1 && findings.every((l) => l.startsWith("error:") || l.startsWith("warn:")), findings.join("\n"));
    assert.equal(a.logger.find(/not valid: keeping the running one/).length, 1);
    assert.equal(a.daemon.config.ha.keepaliveMs, 200);
    assert.deepEqual(disturbances(pair), []);
  });

  it("a key rotation done on both nodes one after the other never breaks the pair (accept every key, sign with auth)", async () => {
    await steadyPair();
    const both = "auth 1\n1 sha1 first-secret\n2 sha1 second-secret\n";
    const onlyNew = "auth 2\n2 sha1 second-secret\n";
    // Step 1: both keys, still signing with 1; node by node, a few keepalives apart.
    for (const n of pair.nodes.values()) {
      n.rewrite(() => ({ authkeys: both }));
      n.signals.raise("SIGHUP");
      await pair.clock.advance(700);
    }
    // Step 2: sign with 2 (key 1 still accepted), node by node.
    for (const n of pair.nodes.values()) {
      n.rewrite(() => ({ authkeys: both.replace("auth 1", "auth 2") }));
      n.signals.raise("SIGHUP");
      await pair.clock.advance(700);
    }
    const lastA = pair.net.media(NODE_A).sent.at(-1)!;
    assert.ok(decodeDatagram(lastA, keys(2, "second-secret")).ok, "alpha signs with key 2");
    assert.ok(!decodeDatagram(lastA, keys(1, "first-secret")).ok);
    // Step 3: drop key 1.
    for (const n of pair.nodes.values()) {
      n.rewrite(() => ({ authkeys: onlyNew }));
      n.signals.raise("SIGHUP");
      await pair.clock.advance(700);
    }
    await pair.clock.advance(3000);
    assert.deepEqual(disturbances(pair), []);
    assert.deepEqual([...pair.node(NODE_A).running], [GROUP]);
  });

  it("(the same test can fail) a new key on one node alone makes the peer stop hearing it", async () => {
    await steadyPair();
    const a = pair.node(NODE_A);
    a.rewrite(() => ({ authkeys: "auth 3\n3 sha1 other-secret\n" }));
    a.signals.raise("SIGHUP");
    await pair.clock.advance(2000);
    assert.ok(
      disturbances(pair).some((d) => d.startsWith("beta: warn: node alpha: is dead")),
      disturbances(pair).join("\n"),
    );
  });

  it("media: a medium added and one changed are handed to the media adapter; the core gets the new options", async () => {
    await steadyPair();
    const a = pair.node(NODE_A);
    a.rewrite((f) => ({ haCf: f.haCf + "bcast eth2\n" }));
    a.signals.raise("SIGHUP");
    await pair.clock.advance(100);
    const media = pair.net.media(NODE_A);
    assert.equal(media.reconfigured.length, 1);
    assert.deepEqual(
      media.reconfigured[0]!.map((m) => `${m.kind} ${m.dev}`),
      ["ucast eth1", "bcast eth2"],
    );
    assert.deepEqual(a.logger.find(/Configuration reloaded/), ["info: Configuration reloaded: media changed"]);
  });

  it("ping hosts: a new pinger starts before the old one closes; removing every ping node closes it", async () => {
    await steadyPair();
    const a = pair.node(NODE_A);
    a.rewrite((f) => ({ haCf: f.haCf + "ping 203.0.113.1\n" }));
    a.signals.raise("SIGHUP");
    await pair.clock.advance(100);
    assert.equal(a.pingers.length, 1);
    assert.ok(a.pingers[0]!.started);
    a.rewrite((f) => ({ haCf: f.haCf.replace("ping 203.0.113.1", "ping 203.0.113.2 203.0.113.3") }));
    a.signals.raise("SIGHUP");
    await pair.clock.advance(100);
    assert.equal(a.pingers.length, 2);
    assert.ok(a.pingers[0]!.closed && a.pingers[1]!.started && !a.pingers[1]!.closed);
    assert.deepEqual(a.pingers[1]!.spec.hosts, ["203.0.113.2", "203.0.113.3"]);
    a.rewrite((f) => ({ haCf: f.haCf.replace("ping 203.0.113.2 203.0.113.3\n", "") }));
    a.signals.raise("SIGHUP");
    await pair.clock.advance(100);
    assert.ok(a.pingers[1]!.closed);
    assert.equal(a.pingers.length, 2);
  });

  it("log files, debug level and the status page are reconfigured; the logs are reopened on every SIGHUP", async () => {
    await steadyPair();
    const a = pair.node(NODE_A);
    a.rewrite((f) => ({ haCf: f.haCf + "logfile /var/log/twinbeat-test.log\ndebug 2\n", twinbeatCf: "status_http 127.0.0.1:8080\n" }));
    a.signals.raise("SIGHUP");
    await pair.clock.advance(100);
    assert.equal(a.logger.reopens, 1);
    assert.equal(a.logger.reconfigured.at(-1)!.logfile, "/var/log/twinbeat-test.log");
    assert.equal(a.logger.debugLevel, 2);
    assert.equal(a.statuses.length, 2);
    assert.ok(a.statuses[0]!.closed && a.statuses[1]!.started);
    assert.deepEqual(a.statuses[1]!.config.twinbeat.statusHttp, { address: "127.0.0.1", port: 8080 });
  });

  it("what cannot change live is logged and kept as it was", async () => {
    await steadyPair();
    const a = pair.node(NODE_A);
    a.rewrite((f) => ({ haCf: f.haCf + "hbgenmethod time\n" }));
    a.signals.raise("SIGHUP");
    await pair.clock.advance(100);
    assert.deepEqual(a.logger.find(/cannot change while running/), ["warn: hbgenmethod: cannot change while running; kept as it was (restart to apply)"]);
    assert.equal(a.daemon.config.ha.hbgenmethod, "file");
  });

  it("a group added to haresources is taken by its home node through the core, nothing else moves", async () => {
    await steadyPair();
    for (const n of pair.nodes.values()) {
      n.rewrite((f) => ({ haresources: f.haresources + `${NODE_B} IPaddr::198.51.100.101/24\n` }));
      n.signals.raise("SIGHUP");
      await pair.clock.advance(300);
    }
    await pair.clock.advance(500);
    assert.equal(pair.node(NODE_A).daemon.config.groups.length, 2);
    assert.ok(pair.node(NODE_A).runners.length >= 2, "a new runner for the new group definitions");
    assert.deepEqual([...pair.node(NODE_A).running], [GROUP], "the held group stays held");
    assert.equal(pair.node(NODE_A).guards[0]!.reloads, 1, "the guard re-reads the groups it may have to release");
  });

  it("SIGUSR1 / SIGUSR2 raise and lower the debug level, never below 0", async () => {
    await steadyPair();
    const a = pair.node(NODE_A);
    a.signals.raise("SIGUSR1");
    a.signals.raise("SIGUSR1");
    assert.equal(a.logger.debugLevel, 2);
    a.signals.raise("SIGUSR2");
    a.signals.raise("SIGUSR2");
    a.signals.raise("SIGUSR2");
    assert.equal(a.logger.debugLevel, 0);
    // A level raised by SIGUSR1 survives a reload that does not touch logging.
    a.signals.raise("SIGUSR1");
    a.rewrite((f) => ({ haCf: f.haCf.replace("warntime 500ms", "warntime 600ms") }));
    a.signals.raise("SIGHUP");
    await pair.clock.advance(100);
    assert.equal(a.logger.debugLevel, 1);
  });

  it("every signal that would end or stop a Node process by default is handled (or cannot be caught)", async () => {
    await steadyPair();
    const a = pair.node(NODE_A);
    // Default action terminate/core/stop on Linux; Node itself ignores SIGPIPE; KILL and STOP cannot be caught;
    // BUS/FPE/ILL/SEGV/SYS are faults of the process itself (Node forbids handlers for the first four).
    const notCatchable = new Set([
      "SIGKILL",
      "SIGSTOP",
      "SIGPIPE",
      "SIGBUS",
      "SIGFPE",
      "SIGILL",
      "SIGSEGV",
      "SIGSYS",
      "SIGIOT",
      "SIGABRT",
      "SIGCHLD",
      "SIGCONT",
      "SIGURG",
      "SIGWINCH",
      "SIGUNUSED",
      "SIGINFO",
      "SIGLOST",
      "SIGCLD",
      "SIGBREAK",
      "SIGIO",
    ]);
    const missing = Object.keys(constants.signals).filter((s) => !notCatchable.has(s) && !a.signals.handlers.has(s));
    assert.deepEqual(missing, []);
    assert.ok(IGNORED_SIGNALS.includes("SIGALRM"));
    a.signals.raise("SIGALRM");
    assert.equal(a.logger.find(/SIGALRM received and ignored/).length, 1);
    for (let i = 0; i < 50; i++) a.signals.raise("SIGALRM"); // a storm is logged once a minute
    await pair.clock.advance(1000);
    assert.equal(a.logger.find(/SIGALRM received and ignored/).length, 1);
    await pair.clock.advance(60_000);
    a.signals.raise("SIGALRM");
    assert.equal(a.logger.find(/SIGALRM received and ignored/).length, 2);
    assert.deepEqual(disturbances(pair), []);
  });

  it("leaves SIGPROF to V8's profiler when it runs (node --cpu-prof)", () => {
    assert.equal(profiling(["--cpu-prof", "--cpu-prof-dir=/tmp/p"]), true);
    assert.equal(profiling(["--prof"]), true);
    assert.equal(profiling(["--max-old-space-size=64"]), false);
  });
});
