// The read-only HTTP status endpoint served by the daemon itself: the page, /status.json, /metrics and /events (SSE), bounded in every direction.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { DaemonStatus } from "./daemon-status";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheusMetrics } from "./prometheus-metrics";
import { renderStatusMain, renderStatusPage, STATUS_PAGE_CSP } from "./status-page";

export interface StatusHttpServerOptions {
  /** Listen address (`status_http ADDRESS:PORT`); port 0 picks a free one. */
  readonly host: string;
  readonly port: number;
  /** Builds the current status; called at most once per cache period, never per request. */
  readonly getStatus: () => DaemonStatus;
  /** Another way to be told of changes, besides notify(): called once with the listener; returns an unsubscribe. */
  readonly subscribe?: (listener: () => void) => () => void;
  /** Where problems go (a failing getStatus, an SSE client dropped). Default: nowhere. */
  readonly log?: (level: "info" | "warn" | "error", text: string) => void;
  /** Open connections at most (SSE included); more are answered 503 and closed. Default 64. */
  readonly maxConnections?: number;
  /** Live (SSE) clients at most; more are told to retry later. Default 16. */
  readonly maxSseClients?: number;
  /** Largest request header block accepted (bytes); more gets 431. Default 8192. */
  readonly maxHeaderSize?: number;
  /** Time allowed to send the request headers (slowloris guard). Default 5000 ms. */
  readonly headersTimeoutMs?: number;
  /** Time allowed to send the whole request. Default 10000 ms. */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept. Default 5000 ms. */
  readonly keepAliveTimeoutMs?: number;
  /** A socket silent this long (no SSE push either) is closed. Default 30000 ms. */
  readonly idleTimeoutMs?: number;
  /** A rendered page, JSON or metrics text is reused this long unless notify() says it changed. Default 200 ms. */
  readonly cacheMs?: number;
  /** SSE clients get a fresh status at least this often (ages, load). Default 5000 ms. */
  readonly ssePushIntervalMs?: number;
  /** SSE pushes after notify() are coalesced to at most one per this interval. Default 100 ms. */
  readonly minPushIntervalMs?: number;
  /** An SSE client with more than this many bytes unsent is dropped (it does not read). Default 1 MiB. */
  readonly maxSseBufferedBytes?: number;
}

export interface StatusHttpServerStats {
  readonly connections: number;
  readonly sseClients: number;
  /** How many times getStatus() ran. */
  readonly statusBuilds: number;
  /** Connections refused because maxConnections were open. */
  readonly rejectedConnections: number;
}

export interface StatusHttpServer {
  /** Stops listening and closes every connection (SSE clients too). */
  close(): Promise<void>;
  /** Something changed: drop the cached renderings and push to live clients (coalesced, never blocking). */
  notify(): void;
  readonly address: AddressInfo;
  stats(): StatusHttpServerStats;
}

const RAW_503 = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\nConnection: close\r\nRetry-After: 5\r\n\r\nToo many connections\n";

const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

/** One rendering of the status, shared by every request within the cache period. */
interface Rendered {
  readonly at: number;
  readonly status: DaemonStatus;
  json?: string;
  page?: string;
  metrics?: string;
  sseFrame?: string;
}

/**
 * Starts the status endpoint. Everything a request gets is rendered from one cached
 * DaemonStatus (refreshed at most every `cacheMs`, or after notify()), so 200 clients
 * cost about one rendering, not 200, and the heartbeat path never waits on them.
 * Read-only: GET and HEAD only; there are no admin actions over HTTP.
 */
export async function startStatusHttpServer(opts: StatusHttpServerOptions): Promise<StatusHttpServer> {
  const maxConnections = opts.maxConnections ?? 64;
  const maxSse = opts.maxSseClients ?? 16;
  const cacheMs = opts.cacheMs ?? 200;
  const minPushMs = opts.minPushIntervalMs ?? 100;
  const maxSseBuffered = opts.maxSseBufferedBytes ?? 1024 * 1024;
  const headersTimeout = opts.headersTimeoutMs ?? 5000;
  const requestTimeout = Math.max(opts.requestTimeoutMs ?? 10_000, headersTimeout);
  const log = opts.log ?? (() => undefined);

  let rendered: Rendered | undefined;
  let statusBuilds = 0;
  let rejectedConnections = 0;
  let lastErrorLogAt = -Infinity;
  const sockets = new Set<Socket>();
  const rejected = new WeakSet<Socket>();
  const sseClients = new Set<ServerResponse>();
  let pushTimer: NodeJS.Timeout | undefined;
  let lastPushAt = -Infinity;
  let closed = false;

  const current = (): Rendered => {
    const now = Date.now();
    if (rendered && now - rendered.at < cacheMs) return rendered;
    statusBuilds++;
    rendered = { at: now, status: opts.getStatus() };
    return rendered;
  };
  const jsonOf = (r: Rendered) => (r.json ??= JSON.stringify(r.status));
  const pageOf = (r: Rendered) => (r.page ??= renderStatusPage(r.status));
  const metricsOf = (r: Rendered) => (r.metrics ??= renderPrometheusMetrics(r.status));
  const sseFrameOf = (r: Rendered) => (r.sseFrame ??= `event: status\nid: ${r.status.revision}\ndata: ${JSON.stringify({ revision: r.status.revision, html: renderStatusMain(r.status), status: r.status })}\n\n`);

  const server = createServer({
    maxHeaderSize: opts.maxHeaderSize ?? 8192,
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5000,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 2))),
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5000;
  server.timeout = opts.idleTimeoutMs ?? 30_000;

  server.on("connection", (sock: Socket) => {
    sock.on("error", () => undefined);
    if (sockets.size >= maxConnections || closed) {
      rejectedConnections++;
      rejected.add(sock);
      sock.end(RAW_503);
      setTimeout(() => sock.destroy(), 2000).unref();
      return;
    }
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
  });

  const send = (req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: string): void => {
    const buf = Buffer.from(body, "utf8");
    res.writeHead(status, { ...COMMON_HEADERS, ...headers, "Content-Length": String(buf.length) });
    if (req.method === "HEAD") res.end();
    else res.end(buf);
  };

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (rejected.has(req.socket)) {
      res.destroy();
      return;
    }
    res.on("error", () => undefined);
    if (req.method !== "GET" && req.method !== "HEAD") {
      // Nothing here changes state, and nothing reads a request body.
      send(req, res, 405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8", Connection: "close" }, "Method Not Allowed: the status endpoint is read-only (GET, HEAD)\n");
      return;
    }
    const path = (req.url ?? "/").split("?")[0]!;
    let r: Rendered;
    try {
      r = current();
    } catch (err) {
      const now = Date.now();
      if (now - lastErrorLogAt > 60_000) {
        lastErrorLogAt = now;
        log("error", `status page: cannot build the status: ${(err as Error).message}`);
      }
      send(req, res, 500, { "Content-Type": "text/plain; charset=utf-8" }, "Internal Server Error\n");
      return;
    }
    switch (path) {
      case "/":
      case "/index.html":
        send(req, res, 200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": STATUS_PAGE_CSP }, pageOf(r));
        return;
      case "/status.json":
        send(req, res, 200, { "Content-Type": "application/json; charset=utf-8" }, jsonOf(r));
        return;
      case "/metrics":
        send(req, res, 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE }, metricsOf(r));
        return;
      case "/events":
        openEvents(req, res, r);
        return;
      default:
        send(req, res, 404, { "Content-Type": "text/plain; charset=utf-8" }, "Not Found\n");
    }
  });

  const openEvents = (req: IncomingMessage, res: ServerResponse, r: Rendered): void => {
    const headers = { ...COMMON_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", "X-Accel-Buffering": "no" };
    if (req.method === "HEAD") {
      res.writeHead(200, headers);
      res.end();
      return;
    }
    if (sseClients.size >= maxSse) {
      // A 503 would make EventSource give up for good; this asks it to come back later.
      res.writeHead(200, { ...headers, Connection: "close" });
      res.end(": too many live clients, retry later\nretry: 15000\n\n");
      return;
    }
    res.writeHead(200, headers);
    res.write(`retry: 2000\n\n${sseFrameOf(r)}`);
    sseClients.add(res);
    res.on("close", () => sseClients.delete(res));
  };

  const push = (): void => {
    pushTimer = undefined;
    if (closed || sseClients.size === 0) return;
    lastPushAt = Date.now();
    let frame: string;
    try {
      frame = sseFrameOf(current());
    } catch {
      return; // the next request logs it
    }
    for (const res of sseClients) {
      if (res.writableLength > maxSseBuffered) {
        log("warn", "status page: dropping a live client that does not read");
        res.destroy();
        sseClients.delete(res);
        continue;
      }
      res.write(frame);
    }
  };

  const schedulePush = (): void => {
    if (pushTimer || closed || sseClients.size === 0) return;
    const wait = Math.max(0, lastPushAt + minPushMs - Date.now());
    pushTimer = setTimeout(push, wait);
    pushTimer.unref();
  };

  const notify = (): void => {
    rendered = undefined;
    schedulePush();
  };

  const periodic = setInterval(() => {
    if (sseClients.size === 0) return;
    rendered = undefined; // ages and appliance facts moved on
    schedulePush();
  }, opts.ssePushIntervalMs ?? 5000);
  periodic.unref();

  const unsubscribe = opts.subscribe?.(notify);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => log("error", `status page: ${err.message}`));

  return {
    address: server.address() as AddressInfo,
    notify,
    stats: () => ({ connections: sockets.size, sseClients: sseClients.size, statusBuilds, rejectedConnections }),
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(periodic);
      if (pushTimer) clearTimeout(pushTimer);
      unsubscribe?.();
      for (const res of sseClients) res.end();
      sseClients.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await done;
    },
  };
}
