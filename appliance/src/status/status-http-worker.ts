// The status HTTP server's worker-thread code, as plain CommonJS source: it survives bundling into the single executable untouched.

/**
 * Runs in a worker thread (`new Worker(source, { eval: true })`), so parsing HTTP, holding
 * slow clients and writing responses never take turns with the heartbeat timers on the
 * daemon's event loop. It owns no status: it asks the main thread for rendered content
 * (`need`) when a request finds none fresh, and serves that to everybody until it is
 * `invalidate`d or older than `cacheMs`. It needs only Node's built-in modules.
 *
 * Messages in: {type:"content", content}, {type:"invalidate"}, {type:"stats", id}, {type:"close"}.
 * Messages out: {type:"listening", address}, {type:"listen-error", message, code}, {type:"need"},
 * {type:"stats", id, stats}, {type:"log", level, text}, {type:"closed"}.
 */
export const STATUS_HTTP_WORKER_SOURCE = String.raw`"use strict";
const { parentPort, workerData: o } = require("node:worker_threads");
const http = require("node:http");

const RAW_503 = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\nConnection: close\r\nRetry-After: 5\r\n\r\nToo many connections\n";
const COMMON = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY" };
const ROUTES = new Set(["/", "/index.html", "/status.json", "/metrics", "/events"]);

let content = null;
let contentAt = 0;
let fresh = false;
let needPending = false;
let needTimer = null;
let waiting = [];
let pushWanted = false;
let pushTimer = null;
let lastPushAt = -Infinity;
let closing = false;
let rejectedConnections = 0;
const sockets = new Set();
const rejected = new WeakSet();
const sse = new Set();

function log(level, text) { parentPort.postMessage({ type: "log", level: level, text: text }); }
function isFresh() { return content !== null && fresh && Date.now() - contentAt < o.cacheMs; }

function need() {
  if (needPending || closing) return;
  needPending = true;
  parentPort.postMessage({ type: "need" });
  // If the main thread does not answer in time, serve what there is rather than hold clients.
  needTimer = setTimeout(function () { needTimer = null; needPending = false; flushWaiting(); }, o.contentWaitMs);
}

function flushWaiting() {
  const w = waiting;
  waiting = [];
  for (const x of w) if (!x.res.destroyed) serve(x.req, x.res);
}

function send(req, res, status, headers, body) {
  const buf = Buffer.from(body, "utf8");
  res.writeHead(status, Object.assign({}, COMMON, headers, { "Content-Length": String(buf.length) }));
  if (req.method === "HEAD") res.end(); else res.end(buf);
}

function serve(req, res) {
  const path = (req.url || "/").split("?")[0];
  if (content === null) { send(req, res, 503, { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "1" }, "Status not available yet\n"); return; }
  if (path === "/" || path === "/index.html") send(req, res, 200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": o.csp }, content.page);
  else if (path === "/status.json") send(req, res, 200, { "Content-Type": "application/json; charset=utf-8" }, content.json);
  else if (path === "/metrics") send(req, res, 200, { "Content-Type": o.metricsContentType }, content.metrics);
  else if (path === "/events") openEvents(res);
}

function openEvents(res) {
  const headers = Object.assign({}, COMMON, { "Content-Type": "text/event-stream; charset=utf-8", "X-Accel-Buffering": "no" });
  if (sse.size >= o.maxSseClients || closing) {
    // A 503 would make EventSource give up for good; this asks it to come back later.
    res.writeHead(200, Object.assign(headers, { Connection: "close" }));
    res.end(": too many live clients, retry later\nretry: 15000\n\n");
    return;
  }
  res.writeHead(200, headers);
  res.write("retry: 2000\n\n" + content.sse);
  sse.add(res);
  res.on("close", function () { sse.delete(res); });
}

function push() {
  pushWanted = false;
  if (content === null || closing) return;
  lastPushAt = Date.now();
  for (const res of sse) {
    if (res.writableLength > o.maxSseBufferedBytes) {
      log("warn", "status page: dropping a live client that does not read");
      sse.delete(res);
      res.destroy();
      continue;
    }
    res.write(content.sse);
  }
}

function schedulePush() {
  if (pushTimer !== null || closing || sse.size === 0) return;
  const wait = Math.max(0, lastPushAt + o.minPushIntervalMs - Date.now());
  pushTimer = setTimeout(function () {
    pushTimer = null;
    if (isFresh()) push();
    else { pushWanted = true; need(); }
  }, wait);
}

const server = http.createServer({
  maxHeaderSize: o.maxHeaderSize,
  headersTimeout: o.headersTimeoutMs,
  requestTimeout: o.requestTimeoutMs,
  keepAliveTimeout: o.keepAliveTimeoutMs,
  connectionsCheckingInterval: o.connectionsCheckingIntervalMs,
});
server.keepAliveTimeout = o.keepAliveTimeoutMs;
server.timeout = o.idleTimeoutMs;

server.on("connection", function (sock) {
  sock.on("error", function () {});
  if (sockets.size >= o.maxConnections || closing) {
    rejectedConnections++;
    rejected.add(sock);
    sock.end(RAW_503);
    setTimeout(function () { sock.destroy(); }, 2000).unref();
    return;
  }
  sockets.add(sock);
  sock.once("close", function () { sockets.delete(sock); });
});

server.on("request", function (req, res) {
  if (rejected.has(req.socket)) { res.destroy(); return; }
  res.on("error", function () {});
  if (req.method !== "GET" && req.method !== "HEAD") {
    // Nothing here changes state, and nothing reads a request body.
    send(req, res, 405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8", Connection: "close" }, "Method Not Allowed: the status endpoint is read-only (GET, HEAD)\n");
    return;
  }
  const path = (req.url || "/").split("?")[0];
  if (!ROUTES.has(path)) { send(req, res, 404, { "Content-Type": "text/plain; charset=utf-8" }, "Not Found\n"); return; }
  if (path === "/events" && req.method === "HEAD") {
    res.writeHead(200, Object.assign({}, COMMON, { "Content-Type": "text/event-stream; charset=utf-8" }));
    res.end();
    return;
  }
  if (isFresh()) { serve(req, res); return; }
  waiting.push({ req: req, res: res });
  need();
});

const periodic = setInterval(function () {
  if (sse.size === 0) return;
  fresh = false; // ages and appliance facts moved on
  schedulePush();
}, o.ssePushIntervalMs);

function close() {
  if (closing) return;
  closing = true;
  clearInterval(periodic);
  if (pushTimer !== null) clearTimeout(pushTimer);
  if (needTimer !== null) clearTimeout(needTimer);
  for (const res of sse) res.end();
  sse.clear();
  for (const x of waiting) x.res.destroy();
  waiting = [];
  server.close(function () { parentPort.postMessage({ type: "closed" }); });
  server.closeAllConnections();
  for (const s of sockets) s.destroy();
}

parentPort.on("message", function (m) {
  if (m.type === "content") {
    content = m.content;
    contentAt = Date.now();
    fresh = true;
    needPending = false;
    if (needTimer !== null) { clearTimeout(needTimer); needTimer = null; }
    flushWaiting();
    if (pushWanted) push();
  } else if (m.type === "invalidate") {
    fresh = false;
    schedulePush();
  } else if (m.type === "stats") {
    parentPort.postMessage({ type: "stats", id: m.id, stats: { connections: sockets.size, sseClients: sse.size, rejectedConnections: rejectedConnections } });
  } else if (m.type === "close") {
    close();
  }
});

server.once("error", function (err) { parentPort.postMessage({ type: "listen-error", message: err.message, code: err.code }); });
server.listen(o.port, o.host, function () {
  server.removeAllListeners("error");
  server.on("error", function (err) { log("error", "status page: " + err.message); });
  parentPort.postMessage({ type: "listening", address: server.address() });
});
`;
