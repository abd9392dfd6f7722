// Loopback tests of the built-in checks (http, tcp, script, agent status) and of MonitorLink's no-overlap rule.

import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import type { AddressInfo } from "node:net";
import type { CheckFinished, ResourceRestarted } from "../cluster/cluster-events";
import { parseTarget } from "../config/monitor-directives";
import { parseTwinbeatCf } from "../config/twinbeat-cf-parser";
import { parseHaresources } from "../config/haresources-parser";
import type { ClusterConfig } from "../config/cluster-config";
import type { ResourceAgent } from "../resources/resource-agent";
import { runAgentStatusCheck } from "./agent-status-check";
import { runHttpCheck } from "./http-check";
import { runScriptCheck } from "./script-check";
import { runTcpCheck } from "./tcp-check";
import { runProcess } from "../adapters/process-runner";
import { MonitorLink } from "./monitor-link";
import type { ResourceGroupRunner } from "../resources/resource-group-runner";
import type { AgentRegistry } from "../resources/agent-registry";
import { millis, normalizeNodeName } from "../cluster/time";

let server: http.Server;
let port = 0;
const hung: http.ServerResponse[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === "/ok") res.end("<h1>It works</h1>");
    else if (req.url === "/down") {
      res.statusCode = 503;
      res.end("maintenance");
    } else if (req.url === "/hang") hung.push(res);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  for (const r of hung) r.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

function httpTarget(path: string, extra: Record<string, unknown> = {}) {
  const t = parseTarget(`http://127.0.0.1:${port}${path}`);
  assert.ok(typeof t !== "string" && t.kind === "http");
  return { ...t, ...extra };
}

const signal = () => new AbortController().signal;

describe("http check", () => {
  it("is healthy on the expected status and body, from a bound source address", async () => {
    const o = await runHttpCheck(httpTarget("/ok", { bodyContains: "It works", source: "127.0.0.1" }), { signal: signal() });
    assert.equal(o.healthy, true, o.words);
    assert.match(o.words, /HTTP 200, body has "It works"/);
    assert.ok(o.latencyMs >= 0 && o.latencyMs < 5000);
  });

  it("is unhealthy on another status, a missing body text, or a refused connection", async () => {
    assert.match((await runHttpCheck(httpTarget("/down"), { signal: signal() })).words, /HTTP 503 \(expected 200\)/);
    const lacking = await runHttpCheck(httpTarget("/ok", { bodyContains: "nginx" }), { signal: signal() });
    assert.equal(lacking.healthy, false);
    assert.match(lacking.words, /lacks "nginx"/);
    const closed = await freePort();
    const refused = await runHttpCheck({ ...httpTarget("/ok"), port: closed }, { signal: signal() });
    assert.equal(refused.healthy, false);
    assert.match(refused.words, /connect ECONNREFUSED/);
    assert.equal((await runHttpCheck(httpTarget("/down", { expect: [{ from: 500, to: 599 }] }), { signal: signal() })).healthy, true);
  });

  it("ends at once when aborted while the server hangs", async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const o = await runHttpCheck(httpTarget("/hang"), { signal: abort.signal });
    assert.equal(o.healthy, false);
    assert.match(o.words, /aborted/);
    assert.ok(o.latencyMs < 2000);
  });
});

describe("raw HTTP/1.0 GET", () => {
  it("reads the status from a server that is not HTTP, or that closes at once, as an error", async () => {
    const junk = net.createServer((c) => c.end("SSH-2.0-OpenSSH\r\n"));
    const silent = net.createServer((c) => c.end());
    await new Promise<void>((r) => junk.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const a = await runHttpCheck({ ...httpTarget("/"), port: (junk.address() as AddressInfo).port }, { signal: signal() });
      assert.match(a.words, /not an HTTP answer/);
      const b = await runHttpCheck({ ...httpTarget("/"), port: (silent.address() as AddressInfo).port }, { signal: signal() });
      assert.match(b.words, /closed the connection without an answer/);
    } finally {
      junk.close();
      silent.close();
    }
  });
});

describe("raw HTTP/1.0 GET in pieces", () => {
  it("reads a status line and a body text that arrive split over several reads", async () => {
    const pieces = ["HTT", "P/1.0 200 OK\r\nServer: x\r\n\r\n<h1>It wo", "rks</h1>"];
    const slow = net.createServer((c) => {
      c.once("data", () => {
        let i = 0;
        const next = () => (i < pieces.length ? c.write(pieces[i++]!, () => setTimeout(next, 20)) : c.end());
        next();
      });
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    try {
      const target = { ...httpTarget("/"), port: (slow.address() as AddressInfo).port };
      const found = await runHttpCheck({ ...target, bodyContains: "It works" }, { signal: signal() });
      assert.equal(found.healthy, true, found.words);
      assert.equal(found.words, 'HTTP 200, body has "It works"');
      const lacking = await runHttpCheck({ ...target, bodyContains: "Server: x" }, { signal: signal() });
      assert.equal(lacking.words, 'HTTP 200, body lacks "Server: x"', "headers are not the body");
      assert.equal((await runHttpCheck(target, { signal: signal() })).words, "HTTP 200");
    } finally {
      slow.close();
    }
  });
});

describe("tcp check", () => {
  it("is healthy when the port accepts and unhealthy when it refuses", async () => {
    assert.equal((await runTcpCheck({ kind: "tcp", host: "127.0.0.1", port }, { signal: signal() })).healthy, true);
    const o = await runTcpCheck({ kind: "tcp", host: "127.0.0.1", port: await freePort() }, { signal: signal() });
    assert.equal(o.healthy, false);
    assert.match(o.words, /ECONNREFUSED/);
  });
});

describe("script check", () => {
  it("exit 0 is healthy, anything else is not", async () => {
    const opts = { signal: signal(), run: runProcess, timeoutMs: 5000, env: process.env };
    assert.equal((await runScriptCheck({ kind: "script", command: "/bin/true" }, opts)).healthy, true);
    const f = await runScriptCheck({ kind: "script", command: "/bin/false" }, opts);
    assert.equal(f.healthy, false);
    assert.match(f.words, /exit 1/);
    assert.match((await runScriptCheck({ kind: "script", command: "/nonexistent/check" }, opts)).words, /cannot run/);
  });
});

describe("agent status check", () => {
  const agent = (kind: "running" | "stopped", words: string): ResourceAgent => ({
    spec: { raw: "x", name: "x", args: [] },
    commandLine: "x",
    start: async () => ({ kind: "succeeded" }),
    stop: async () => ({ kind: "succeeded" }),
    status: async () => ({ kind, words }),
  });

  it("follows the agent's status, and for an address also the interface's carrier", async () => {
    assert.equal((await runAgentStatusCheck(agent("running", "httpd is running"), false)).healthy, true);
    assert.equal((await runAgentStatusCheck(agent("stopped", "httpd is stopped"), false)).words, "httpd is stopped");
    const vip = agent("running", "198.51.100.100 is running on eth0");
    assert.equal((await runAgentStatusCheck(vip, true, async () => true)).healthy, true);
    const noCarrier = await runAgentStatusCheck(vip, true, async (nic) => (nic === "eth0" ? false : true));
    assert.equal(noCarrier.healthy, false);
    assert.match(noCarrier.words, /eth0 has no carrier/);
  });
});

describe("MonitorLink", () => {
  it("never overlaps a check with itself, and aborts a run at its timeout", async () => {
    const groups = parseHaresources("srv5 IPaddr::198.51.100.100/32 httpd\n", "/h", [normalizeNodeName("srv5")]).groups;
    const twinbeat = parseTwinbeatCf(`check httpd http://127.0.0.1:${port}/hang interval=1s timeout=200ms\n`, "/t").twinbeat;
    const config = { groups, twinbeat } as unknown as ClusterConfig;
    const events: (CheckFinished | ResourceRestarted)[] = [];
    const link = new MonitorLink({
      config,
      runner: {} as ResourceGroupRunner,
      registryFor: () => ({}) as AgentRegistry,
      onEvent: (e) => events.push(e),
      now: () => millis(performance.now()),
      log: () => undefined,
    });
    const id = `httpd http://127.0.0.1:${port}/hang`;
    link.carryOut({ type: "run-check", key: groups[0]!.key, check: id, runId: 1, timeoutMs: 200 });
    link.carryOut({ type: "run-check", key: groups[0]!.key, check: id, runId: 2, timeoutMs: 200 });
    assert.equal(events.length, 1);
    assert.deepEqual([(events[0] as CheckFinished).runId, (events[0] as CheckFinished).words], [2, "the previous run has not ended yet"]);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(events.length, 2);
    const first = events[1] as CheckFinished;
    assert.equal(first.runId, 1);
    assert.equal(first.healthy, false);
    assert.match(first.words, /aborted/);
    link.close();
  });
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}
