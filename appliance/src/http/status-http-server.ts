// The read-only HTTP status endpoint of the daemon: the page, /status.json, /metrics and /events (SSE), served from a worker thread and bounded in every direction.

import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Worker, type WorkerOptions } from "node:worker_threads";
import type { DaemonStatus } from "../status/daemon-status";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheusMetrics } from "../status/prometheus-metrics";
import { renderStatusMain, renderStatusPage, STATUS_PAGE_CSP } from "../status/status-page";
import type { FromWorker, RenderedContent, StatusHttpWorkerOptions, ToWorker, WorkerStats } from "./status-http-protocol";

/**
 * The worker's code bundled by esbuild, defined only in the single executable's bundle
 * (build/build-sea.ts): there is no file to start a worker from, so it is evaluated.
 * Everywhere else (node + .out/) the worker starts from its compiled file next to this one.
 */
declare const TWINBEAT_STATUS_HTTP_WORKER_BUNDLE: string | undefined;

export interface StatusHttpServerOptions {
  /** Listen address (`status_http ADDRESS:PORT`); port 0 picks a free one. */
  readonly host: string;
  readonly port: number;
  /** Builds the current status; called on the main thread at most once per cache period, never per request. */
  readonly getStatus: () => DaemonStatus;
  /** Another way to be told of changes, besides notify(): called once with the listener; returns an unsubscribe. */
  readonly subscribe?: (listener: () => void) => () => void;
  /** Where problems go (a failing getStatus, a client dropped, the worker failing). Default: nowhere. */
  readonly log?: (level: "info" | "warn" | "error", text: string) => void;
  /** Open connections at most (SSE included); more are answered 503 and closed. Default 64. */
  readonly maxConnections?: number;
  /** Live (SSE) clients at most; more are told to retry later. Default 16. */
  readonly maxSseClients?: number;
  /** Largest request header block accepted (bytes); more gets 431. Default 8192. */
  readonly maxHeaderSize?: number;
  /** Time allowed to send the request headers (slowloris guard): 408, then closed. Default 5000 ms. */
  readonly headersTimeoutMs?: number;
  /** Time allowed to send the whole request. Default 10000 ms. */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept. Default 5000 ms. */
  readonly keepAliveTimeoutMs?: number;
  /** A socket silent this long (SSE pushes count) is closed. Default 30000 ms. */
  readonly idleTimeoutMs?: number;
  /** Rendered content is reused this long unless notify() says it changed. Default 200 ms. */
  readonly cacheMs?: number;
  /** SSE clients get a fresh status at least this often (ages, load). Default 5000 ms. */
  readonly ssePushIntervalMs?: number;
  /** SSE pushes after notify() are coalesced to at most one per this interval. Default 100 ms. */
  readonly minPushIntervalMs?: number;
  /** An SSE client with more than this many bytes unsent is dropped (it does not read). Default 1 MiB. */
  readonly maxSseBufferedBytes?: number;
  /** How long requests wait for the main thread's rendering before stale content (or 503) is served. Default 1000 ms. */
  readonly contentWaitMs?: number;
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
  /** Stops listening, closes every connection (SSE clients too) and ends the worker. */
  close(): Promise<void>;
  /** Something changed: the next request gets a fresh rendering, live clients get a push (coalesced; returns at once). */
  notify(): void;
  readonly address: AddressInfo;
  stats(): Promise<StatusHttpServerStats>;
}

/**
 * Starts the status endpoint. HTTP runs in a worker thread, so 200 clients, slow readers
 * or a slowloris never hold the daemon's event loop; the main thread only renders the
 * status (about half a millisecond) when the worker asks and the cached rendering is older
 * than `cacheMs` or was invalidated by notify(). Read-only: GET and HEAD; there are no
 * admin actions over HTTP. Rejects when the address cannot be bound.
 */
export async function startStatusHttpServer(opts: StatusHttpServerOptions): Promise<StatusHttpServer> {
  const cacheMs = opts.cacheMs ?? 200;
  const headersTimeoutMs = opts.headersTimeoutMs ?? 5000;
  const log = opts.log ?? (() => undefined);
  const workerOptions: StatusHttpWorkerOptions = {
    host: opts.host,
    port: opts.port,
    csp: STATUS_PAGE_CSP,
    metricsContentType: PROMETHEUS_CONTENT_TYPE,
    maxConnections: opts.maxConnections ?? 64,
    maxSseClients: opts.maxSseClients ?? 16,
    maxHeaderSize: opts.maxHeaderSize ?? 8192,
    headersTimeoutMs,
    requestTimeoutMs: Math.max(opts.requestTimeoutMs ?? 10_000, headersTimeoutMs),
    keepAliveTimeoutMs: opts.keepAliveTimeoutMs ?? 5000,
    idleTimeoutMs: opts.idleTimeoutMs ?? 30_000,
    connectionsCheckingIntervalMs: Math.max(100, Math.min(1000, Math.floor(headersTimeoutMs / 2))),
    cacheMs,
    ssePushIntervalMs: opts.ssePushIntervalMs ?? 5000,
    minPushIntervalMs: opts.minPushIntervalMs ?? 100,
    maxSseBufferedBytes: opts.maxSseBufferedBytes ?? 1024 * 1024,
    contentWaitMs: opts.contentWaitMs ?? 1000,
  };
  const worker = startWorker(workerOptions);

  let cached: { at: number; content: RenderedContent } | undefined;
  let dirty = true;
  let statusBuilds = 0;
  let lastErrorLogAt = -Infinity;
  let closed = false;
  let nextStatsId = 1;
  const statsWaiters = new Map<number, (s: WorkerStats) => void>();
  const post = (m: ToWorker): void => worker.postMessage(m);
  let closedResolve: (() => void) | undefined;
  const workerGone = new Promise<void>((resolve) => worker.once("exit", () => resolve()));

  const render = (): RenderedContent | undefined => {
    const now = Date.now();
    if (cached && !dirty && now - cached.at < cacheMs) return cached.content;
    try {
      statusBuilds++;
      const s = opts.getStatus();
      const content: RenderedContent = {
        revision: s.revision,
        json: JSON.stringify(s),
        page: renderStatusPage(s),
        metrics: renderPrometheusMetrics(s),
        sse: `event: status\nid: ${s.revision}\ndata: ${JSON.stringify({ revision: s.revision, html: renderStatusMain(s), status: s })}\n\n`,
      };
      cached = { at: now, content };
      dirty = false;
      return content;
    } catch (err) {
      if (now - lastErrorLogAt > 60_000) {
        lastErrorLogAt = now;
        log("error", `status page: cannot build the status: ${(err as Error).message}`);
      }
      return cached?.content;
    }
  };

  const listening = new Promise<AddressInfo>((resolve, reject) => {
    worker.on("message", (m: FromWorker) => {
      switch (m.type) {
        case "listening":
          resolve(m.address);
          break;
        case "listen-error":
          reject(Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }));
          break;
        case "need": {
          if (closed) break;
          const content = render();
          if (content) post({ type: "content", content });
          break;
        }
        case "stats":
          statsWaiters.get(m.id)?.(m.stats);
          statsWaiters.delete(m.id);
          break;
        case "log":
          log(m.level, m.text);
          break;
        case "closed":
          closedResolve?.();
          break;
      }
    });
    worker.on("error", (err) => {
      reject(err);
      if (!closed) log("error", `status page: its worker failed: ${err.message}; the page is off until the daemon restarts`);
    });
    worker.once("exit", (code) => reject(new Error(`status page worker exited (${code}) before listening`)));
  });

  let address: AddressInfo;
  try {
    address = await listening;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  worker.unref(); // serving the page never keeps the daemon from exiting

  const notify = (): void => {
    if (closed) return;
    dirty = true;
    post({ type: "invalidate" });
  };
  const unsubscribe = opts.subscribe?.(notify);

  return {
    address,
    notify,
    stats: () =>
      new Promise<StatusHttpServerStats>((resolve) => {
        if (closed) {
          resolve({ connections: 0, sseClients: 0, rejectedConnections: 0, statusBuilds });
          return;
        }
        const id = nextStatsId++;
        const timer = setTimeout(() => {
          statsWaiters.delete(id);
          resolve({ connections: -1, sseClients: -1, rejectedConnections: -1, statusBuilds });
        }, 2000);
        statsWaiters.set(id, (s) => {
          clearTimeout(timer);
          resolve({ ...s, statusBuilds });
        });
        post({ type: "stats", id });
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      const done = new Promise<void>((resolve) => (closedResolve = resolve));
      post({ type: "close" });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, workerGone, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
      if (timer) clearTimeout(timer);
      await worker.terminate();
    },
  };
}

/** Starts the worker thread: from the embedded bundle in the single executable, else from its compiled file. */
function startWorker(options: StatusHttpWorkerOptions): Worker {
  const common: WorkerOptions = {
    workerData: { statusHttpWorker: true, options },
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    stdout: false,
    stderr: false,
  };
  const bundled = typeof TWINBEAT_STATUS_HTTP_WORKER_BUNDLE === "string" ? TWINBEAT_STATUS_HTTP_WORKER_BUNDLE : undefined;
  if (bundled !== undefined) return new Worker(bundled, { ...common, eval: true });
  return new Worker(join(__dirname, "status-http-worker.js"), common);
}
