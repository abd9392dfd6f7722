// The status HTTP server on 127.0.0.1: routes and status codes, read-only, caching, SSE, connection and header limits, slowloris, and 200 clients against a heartbeat timer.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { request, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import { Worker } from "node:worker_threads";
import { buildDaemonStatus, type DaemonStatus } from "../status/daemon-status";
import { RecentEvents } from "../status/recent-events";
import { startStatusHttpServer, type StatusHttpServer, type StatusHttpServerOptions } from "./status-http-server";
import { seedConfig, seedSnapshot, sourceFile, SRV5, SRV6, VIP_KEY } from "../../test/support/status-fixtures";
import { validateJsonSchema, type Schema } from "../../test/support/json-schema-subset";
import { parsePrometheusText } from "../../test/support/prometheus-text-parser";
import { millis } from "../cluster/time";

const SCHEMA = JSON.parse(readFileSync(sourceFile("appliance/src/status/status-schema.json"), "utf8")) as Schema;

function standbyStatus(revision: number, peer: "active" | "dead" = "active"): DaemonStatus {
  const events = new RecentEvents(5);
  events.push("info", "Status update for node srv5.localdomain: status active");
  events.push("warn", "<script>alert(1)</script> & friends");
  return buildDaemonStatus({
    snapshot: seedSnapshot({
      localNode: SRV6,
      peerStatus: peer,
      groupState: peer === "dead" ? "running" : "stopped",
      rscStatus: peer === "dead" ? "all" : "none",
    }),
    config: seedConfig({ localNode: SRV6 }),
    nowMs: millis(100_000),
    pid: 4242,
    startedAtMs: millis(1000),
    revision,
    events,
  });
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function http(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Opens a raw TCP connection and resolves once connected. */
function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.on("error", reject);
  });
}

async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Reads SSE events from /events until `count` arrived or the stream ends. */
function sse(port: number): { events: { event: string; data: string }[]; raw: () => string; ended: Promise<void>; close: () => void } {
  const events: { event: string; data: string }[] = [];
  let raw = "";
  let buf = "";
  let close = () => undefined as void;
  const ended = new Promise<void>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/events", agent: false }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        raw += c;
        buf += c;
        let i: number;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data !== undefined) events.push({ event: ev, data });
        }
      });
      res.on("end", () => resolve());
      res.on("error", () => resolve());
    });
    req.on("error", (err) => ((err as NodeJS.ErrnoException).code === "ECONNRESET" ? resolve() : reject(err)));
    req.end();
    close = () => req.destroy();
  });
  return { events, raw: () => raw, ended, close };
}

async function withServer<T>(
  opts: Partial<StatusHttpServerOptions>,
  fn: (srv: StatusHttpServer, state: { status: DaemonStatus; builds: number }) => Promise<T>,
): Promise<T> {
  const state = { status: standbyStatus(1), builds: 0 };
  const srv = await startStatusHttpServer({
    host: "127.0.0.1",
    port: 0,
    getStatus: () => {
      state.builds++;
      return state.status;
    },
    ...opts,
  });
  try {
    return await fn(srv, state);
  } finally {
    await srv.close();
  }
}

describe("status HTTP server: routes", () => {
  let srv: StatusHttpServer;
  let port: number;
  before(async () => {
    srv = await startStatusHttpServer({ host: "127.0.0.1", port: 0, getStatus: () => standbyStatus(1) });
    port = srv.address.port;
  });
  after(() => srv.close());

  it("GET / is a self-contained page that needs nothing from elsewhere", async () => {
    const r = await http(port, "/");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(r.headers["cache-control"], "no-store");
    assert.match(r.body, /^<!doctype html>/);
    assert.match(r.body, new RegExp(`data-node="${SRV6}" data-status="active" data-local="true"`));
    assert.match(r.body, new RegExp(`data-node="${SRV5}" data-status="active" data-local="false"`));
    assert.match(r.body, new RegExp(`data-group="${VIP_KEY.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" data-holder="${SRV5}"`));
    assert.match(r.body, /198\.51\.100\.100/);
    assert.doesNotMatch(r.body, /<script>alert/, "log text is escaped");
    assert.match(r.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; friends/);
    assert.doesNotMatch(r.body, /(src|href)="(https?:)?\/\//, "no external assets");
    assert.match(r.body, /<noscript><meta http-equiv="refresh" content="5"><\/noscript>/, "without JavaScript it reloads itself");
    // The CSP allows exactly the inline style and script the page carries.
    const csp = String(r.headers["content-security-policy"]);
    const script = /<script>([\s\S]*?)<\/script>/.exec(r.body)![1]!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(r.body)![1]!;
    assert.ok(csp.includes(`'sha256-${createHash("sha256").update(script).digest("base64")}'`), csp);
    assert.ok(csp.includes(`'sha256-${createHash("sha256").update(style).digest("base64")}'`), csp);
    assert.match(csp, /default-src 'none'/);
    assert.equal((await http(port, "/?refresh=1")).status, 200);
  });

  it("GET /status.json validates against status-schema.json", async () => {
    const r = await http(port, "/status.json");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/json; charset=utf-8");
    const body = JSON.parse(r.body) as DaemonStatus;
    assert.deepEqual(validateJsonSchema(SCHEMA, body), []);
    assert.equal(body.localNode, SRV6);
  });

  it("GET /metrics parses as Prometheus text", async () => {
    const r = await http(port, "/metrics");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    const fams = parsePrometheusText(r.body);
    assert.ok(fams.has("twinbeat_node_up"));
    assert.ok(fams.has("twinbeat_takeover_duration_seconds"));
  });

  it("HEAD: the same headers, no body", async () => {
    const get = await http(port, "/status.json");
    const head = await http(port, "/status.json", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    assert.equal(head.headers["content-length"], String(Buffer.byteLength(get.body)));
    assert.equal((await http(port, "/events", { method: "HEAD" })).status, 200);
  });

  it("read-only: every other method is 405 with Allow", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const r = await http(port, "/", { method, body: method === "POST" ? "cmd=standby" : undefined });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, "GET, HEAD");
    }
  });

  it("unknown paths are 404", async () => {
    assert.equal((await http(port, "/admin")).status, 404);
    assert.equal((await http(port, "/status.json/x")).status, 404);
  });
});

describe("status HTTP server: caching and live updates", () => {
  it("builds the status once per cache period, and again after notify()", async () => {
    await withServer({ cacheMs: 10_000 }, async (srv, state) => {
      const port = srv.address.port;
      await Promise.all(Array.from({ length: 20 }, (_, i) => http(port, ["/", "/status.json", "/metrics"][i % 3]!)));
      assert.equal(state.builds, 1);
      state.status = standbyStatus(2, "dead");
      assert.equal(JSON.parse((await http(port, "/status.json")).body).revision, 1, "still cached");
      srv.notify();
      assert.equal(JSON.parse((await http(port, "/status.json")).body).revision, 2);
      assert.equal(state.builds, 2);
    });
  });

  it("SSE: the current status at once, then a push after notify()", async () => {
    await withServer({ cacheMs: 10_000, minPushIntervalMs: 50 }, async (srv, state) => {
      const port = srv.address.port;
      const client = sse(port);
      await until("the first event", () => client.events.length >= 1);
      assert.match(client.raw(), /^retry: 2000\n\n/);
      const first = JSON.parse(client.events[0]!.data) as { revision: number; html: string; status: DaemonStatus };
      assert.equal(client.events[0]!.event, "status");
      assert.equal(first.revision, 1);
      assert.match(first.html, new RegExp(`data-node="${SRV5}" data-status="active"`));
      assert.equal((await srv.stats()).sseClients, 1);
      state.status = standbyStatus(2, "dead");
      const t0 = Date.now();
      srv.notify();
      srv.notify(); // coalesced
      await until("the pushed event", () => client.events.length >= 2);
      const pushed = JSON.parse(client.events[1]!.data) as { revision: number; html: string; status: DaemonStatus };
      assert.ok(Date.now() - t0 < 500);
      assert.equal(pushed.revision, 2);
      assert.match(pushed.html, new RegExp(`data-node="${SRV5}" data-status="dead"`));
      assert.equal(pushed.status.groups[0]!.holder, SRV6);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(client.events.length, 2, "two notify() calls made one push");
      client.close();
      await until("the client to be forgotten", async () => (await srv.stats()).sseClients === 0);
    });
  });

  it("SSE clients are capped: the next one is asked to retry later", async () => {
    await withServer({ maxSseClients: 1 }, async (srv) => {
      const port = srv.address.port;
      const a = sse(port);
      await until("the first client", () => a.events.length === 1);
      const b = sse(port);
      await b.ended;
      assert.equal(b.events.length, 0);
      assert.match(b.raw(), /retry: 15000/);
      a.close();
    });
  });
});

describe("status HTTP server: limits", () => {
  it("answers 503 (or closes) above maxConnections, and serves again once they go", async () => {
    await withServer({ maxConnections: 4 }, async (srv) => {
      const port = srv.address.port;
      const idle = await Promise.all(Array.from({ length: 4 }, () => rawSocket(port)));
      await until("4 connections", async () => (await srv.stats()).connections === 4);
      const over = await http(port, "/").then(
        (r) => r.status,
        (err: NodeJS.ErrnoException) => err.code ?? "error",
      );
      assert.ok(over === 503 || over === "ECONNRESET" || over === "EPIPE", String(over));
      assert.equal((await srv.stats()).rejectedConnections, 1);
      for (const s of idle) s.destroy();
      await until("the idle connections to go", async () => (await srv.stats()).connections === 0);
      assert.equal((await http(port, "/")).status, 200);
    });
  });

  it("refuses oversized headers with 431", async () => {
    await withServer({ maxHeaderSize: 2048 }, async (srv) => {
      const r = await http(srv.address.port, "/", { headers: { "X-Big": "x".repeat(4096) } });
      assert.equal(r.status, 431);
    });
  });

  it("drops a slowloris client that never finishes its headers", async () => {
    await withServer({ headersTimeoutMs: 500, requestTimeoutMs: 500 }, async (srv) => {
      const s = await rawSocket(srv.address.port);
      let received = "";
      s.setEncoding("utf8");
      s.on("data", (d: string) => (received += d));
      const closed = new Promise<number>((resolve) => s.on("close", () => resolve(Date.now())));
      const t0 = Date.now();
      s.write("GET / HTTP/1.1\r\nHost: x\r\n");
      const drip = setInterval(() => s.writable && s.write(`X-Drip-${Date.now()}: 1\r\n`), 100);
      const at = await closed;
      clearInterval(drip);
      assert.ok(at - t0 < 3000, `closed after ${at - t0} ms`);
      assert.match(received, /^HTTP\/1\.1 408/);
    });
  });

  it("200 concurrent clients for 2 s keep the main event loop nearly idle and a 20 ms heartbeat timer on time", async () => {
    await withServer({}, async (srv, state) => {
      const port = srv.address.port;
      // The load runs in a worker thread: only the server's work lands on this event loop.
      const worker = new Worker(LOAD_WORKER, { eval: true, workerData: { port, clients: 200, durationMs: 2000 } });
      const result = new Promise<{ ok: number; busy: number; failed: number }>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      const lateness: number[] = [];
      const elu0 = performance.eventLoopUtilization();
      let expected = Date.now() + 20;
      const beat = setInterval(() => {
        const now = Date.now();
        lateness.push(now - expected);
        expected = now + 20;
      }, 20);
      // The daemon's own notifications keep coming meanwhile.
      let notifies = 0;
      const churn = setInterval(() => {
        notifies++;
        srv.notify();
      }, 100);
      const counts = await result;
      const elu = performance.eventLoopUtilization(elu0).utilization;
      clearInterval(beat);
      clearInterval(churn);
      await worker.terminate();
      lateness.sort((a, b) => a - b);
      const max = lateness.at(-1)!;
      const p50 = lateness[Math.floor(lateness.length * 0.5)]!;
      const p90 = lateness[Math.floor(lateness.length * 0.9)]!;
      process.stdout.write(
        `# load: ${counts.ok} answered, ${counts.busy} told 503, ${counts.failed} failed; ${state.builds} status builds; main loop busy ${(elu * 100).toFixed(1)} %; heartbeat lateness p50 ${p50} ms, p90 ${p90} ms, max ${max} ms over ${lateness.length} beats\n`,
      );
      assert.ok(counts.ok > 200, `only ${counts.ok} requests answered`);
      // HTTP runs in the worker: the daemon's loop only renders now and then. (Lateness also carries
      // the OS scheduler's delays on a busy 2-core machine, hence the looser bounds on it.)
      assert.ok(elu < 0.15, `the main event loop was busy ${(elu * 100).toFixed(1)} % of the time`);
      assert.ok(p90 < 25, `p90 lateness ${p90} ms`);
      assert.ok(max < 250, `the heartbeat timer was ${max} ms late`);
      // One build per notify() at most, plus one per cache period: never one per request.
      assert.ok(state.builds <= notifies + 2000 / 200 + 3, `${state.builds} status builds for ${notifies} notifications: the cache is not working`);
    });
  });
});

/** Load generator: `clients` loops of GET (/, /status.json, /metrics in turn), new connection each. */
const LOAD_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { port, clients, durationMs } = workerData;
const end = Date.now() + durationMs;
const counts = { ok: 0, busy: 0, failed: 0 };
const paths = ["/", "/status.json", "/metrics"];
function once(i) {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: paths[i % 3], agent: false }, (res) => {
      res.resume();
      res.on("end", () => { if (res.statusCode === 200) counts.ok++; else if (res.statusCode === 503) counts.busy++; else counts.failed++; resolve(); });
      res.on("error", () => { counts.failed++; resolve(); });
    });
    req.setTimeout(5000, () => req.destroy());
    req.on("error", () => { counts.busy++; resolve(); });
  });
}
async function loop(i) { while (Date.now() < end) await once(i++); }
Promise.all(Array.from({ length: clients }, (_, i) => loop(i))).then(() => parentPort.postMessage(counts));
`;
