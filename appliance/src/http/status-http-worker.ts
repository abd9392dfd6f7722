// The status HTTP server's worker thread: parses HTTP, holds slow clients and writes responses, so none of it takes turns with the heartbeat timers.

/*
 * Entry point of a worker thread (see status-http-server.ts for how it is started: from
 * .out/ by file name, inside the single executable as a separate esbuild bundle run with
 * `eval: true`). It must import nothing but Node's built-in modules and type-only modules:
 * the single executable's require() reaches nothing else.
 *
 * It owns no status: it asks the main thread for rendered content (`need`) when a request
 * finds none fresh, and serves that to everybody until it is `invalidate`d or older than
 * `cacheMs`.
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import type { FromWorker, RenderedContent, StatusHttpWorkerOptions, ToWorker } from "./status-http-protocol";

const RAW_503 =
  "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\nConnection: close\r\nRetry-After: 5\r\n\r\nToo many connections\n";
const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};
const ROUTES = new Set(["/", "/index.html", "/status.json", "/metrics", "/events"]);
const TEXT = "text/plain; charset=utf-8";

interface Waiting {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/** Serves HTTP on `o.host:o.port` and talks to the main thread through `port` until told to close. */
export function runStatusHttpWorker(port: MessagePort, o: StatusHttpWorkerOptions): void {
  let content: RenderedContent | null = null;
  let contentAt = 0;
  let fresh = false;
  let needPending = false;
  let needTimer: NodeJS.Timeout | null = null;
  let waiting: Waiting[] = [];
  let pushWanted = false;
  let pushTimer: NodeJS.Timeout | null = null;
  let lastPushAt = -Infinity;
  let closing = false;
  let rejectedConnections = 0;
  const sockets = new Set<Socket>();
  const rejected = new WeakSet<Socket>();
  const sse = new Set<ServerResponse>();

  const post = (m: FromWorker): void => port.postMessage(m);
  const log = (level: "info" | "warn" | "error", text: string): void => post({ type: "log", level, text });
  const isFresh = (): boolean => content !== null && fresh && Date.now() - contentAt < o.cacheMs;

  const need = (): void => {
    if (needPending || closing) return;
    needPending = true;
    post({ type: "need" });
    // If the main thread does not answer in time, serve what there is rather than hold clients.
    needTimer = setTimeout(() => {
      needTimer = null;
      needPending = false;
      flushWaiting();
    }, o.contentWaitMs);
  };

  const flushWaiting = (): void => {
    const w = waiting;
    waiting = [];
    for (const x of w) if (!x.res.destroyed) serve(x.req, x.res);
  };

  const send = (req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: string): void => {
    const buf = Buffer.from(body, "utf8");
    res.writeHead(status, { ...COMMON_HEADERS, ...headers, "Content-Length": String(buf.length) });
    if (req.method === "HEAD") res.end();
    else res.end(buf);
  };

  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "/").split("?")[0];
    if (content === null) {
      send(req, res, 503, { "Content-Type": TEXT, "Retry-After": "1" }, "Status not available yet\n");
      return;
    }
    if (path === "/" || path === "/index.html")
      send(req, res, 200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": o.csp }, content.page);
    else if (path === "/status.json") send(req, res, 200, { "Content-Type": "application/json; charset=utf-8" }, content.json);
    else if (path === "/metrics") send(req, res, 200, { "Content-Type": o.metricsContentType }, content.metrics);
    else if (path === "/events") openEvents(res, content);
  };

  const openEvents = (res: ServerResponse, current: RenderedContent): void => {
    const headers: Record<string, string> = { ...COMMON_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", "X-Accel-Buffering": "no" };
    if (sse.size >= o.maxSseClients || closing) {
      // A 503 would make EventSource give up for good; this asks it to come back later.
      res.writeHead(200, { ...headers, Connection: "close" });
      res.end(": too many live clients, retry later\nretry: 15000\n\n");
      return;
    }
    res.writeHead(200, headers);
    res.write("retry: 2000\n\n" + current.sse);
    sse.add(res);
    res.on("close", () => sse.delete(res));
  };

  const push = (): void => {
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
  };

  const schedulePush = (): void => {
    if (pushTimer !== null || closing || sse.size === 0) return;
    const wait = Math.max(0, lastPushAt + o.minPushIntervalMs - Date.now());
    pushTimer = setTimeout(() => {
      pushTimer = null;
      if (isFresh()) push();
      else {
        pushWanted = true;
        need();
      }
    }, wait);
  };

  const server = createServer({
    maxHeaderSize: o.maxHeaderSize,
    headersTimeout: o.headersTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    connectionsCheckingInterval: o.connectionsCheckingIntervalMs,
  });
  server.keepAliveTimeout = o.keepAliveTimeoutMs;
  server.timeout = o.idleTimeoutMs;

  server.on("connection", (sock: Socket) => {
    sock.on("error", () => undefined);
    if (sockets.size >= o.maxConnections || closing) {
      rejectedConnections++;
      rejected.add(sock);
      sock.end(RAW_503);
      setTimeout(() => sock.destroy(), 2000).unref();
      return;
    }
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
  });

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (rejected.has(req.socket)) {
      res.destroy();
      return;
    }
    res.on("error", () => undefined);
    if (req.method !== "GET" && req.method !== "HEAD") {
      // Nothing here changes state, and nothing reads a request body.
      send(
        req,
        res,
        405,
        { Allow: "GET, HEAD", "Content-Type": TEXT, Connection: "close" },
        "Method Not Allowed: the status endpoint is read-only (GET, HEAD)\n",
      );
      return;
    }
    const path = (req.url ?? "/").split("?")[0]!;
    if (!ROUTES.has(path)) {
      send(req, res, 404, { "Content-Type": TEXT }, "Not Found\n");
      return;
    }
    if (path === "/events" && req.method === "HEAD") {
      res.writeHead(200, { ...COMMON_HEADERS, "Content-Type": "text/event-stream; charset=utf-8" });
      res.end();
      return;
    }
    if (isFresh()) {
      serve(req, res);
      return;
    }
    waiting.push({ req, res });
    need();
  });

  const periodic = setInterval(() => {
    if (sse.size === 0) return;
    fresh = false; // ages and appliance facts moved on
    schedulePush();
  }, o.ssePushIntervalMs);

  const close = (): void => {
    if (closing) return;
    closing = true;
    clearInterval(periodic);
    if (pushTimer !== null) clearTimeout(pushTimer);
    if (needTimer !== null) clearTimeout(needTimer);
    for (const res of sse) res.end();
    sse.clear();
    for (const x of waiting) x.res.destroy();
    waiting = [];
    server.close(() => post({ type: "closed" }));
    server.closeAllConnections();
    for (const s of sockets) s.destroy();
  };

  port.on("message", (m: ToWorker) => {
    switch (m.type) {
      case "content":
        content = m.content;
        contentAt = Date.now();
        fresh = true;
        needPending = false;
        if (needTimer !== null) {
          clearTimeout(needTimer);
          needTimer = null;
        }
        flushWaiting();
        if (pushWanted) push();
        break;
      case "invalidate":
        fresh = false;
        schedulePush();
        break;
      case "stats":
        post({ type: "stats", id: m.id, stats: { connections: sockets.size, sseClients: sse.size, rejectedConnections } });
        break;
      case "close":
        close();
        break;
    }
  });

  server.once("error", (err: NodeJS.ErrnoException) => {
    post(err.code === undefined ? { type: "listen-error", message: err.message } : { type: "listen-error", message: err.message, code: err.code });
  });
  server.listen(o.port, o.host, () => {
    server.removeAllListeners("error");
    server.on("error", (err: Error) => log("error", `status page: ${err.message}`));
    post({ type: "listening", address: server.address() as AddressInfo });
  });
}

// Started as a worker (by file name or as an evaluated bundle): serve. Imported anywhere else: nothing runs.
if (parentPort !== null && (workerData as { readonly statusHttpWorker?: unknown } | null)?.statusHttpWorker === true) {
  runStatusHttpWorker(parentPort, (workerData as { readonly options: StatusHttpWorkerOptions }).options);
}
