// The messages between the status HTTP server (daemon's main thread) and its worker thread, and the worker's options.

import type { AddressInfo } from "node:net";

/** What the worker serves: every representation of one status, rendered once on the main thread. */
export interface RenderedContent {
  readonly revision: number;
  readonly json: string;
  readonly page: string;
  readonly metrics: string;
  /** One complete Server-Sent Events message (`event: status`). */
  readonly sse: string;
}

/** The worker's `workerData`: limits and headers, all resolved by the main thread. */
export interface StatusHttpWorkerOptions {
  readonly host: string;
  readonly port: number;
  readonly csp: string;
  readonly metricsContentType: string;
  readonly maxConnections: number;
  readonly maxSseClients: number;
  readonly maxHeaderSize: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly connectionsCheckingIntervalMs: number;
  readonly cacheMs: number;
  readonly ssePushIntervalMs: number;
  readonly minPushIntervalMs: number;
  readonly maxSseBufferedBytes: number;
  readonly contentWaitMs: number;
}

/** Connection counts the worker reports on request. */
export interface WorkerStats {
  readonly connections: number;
  readonly sseClients: number;
  /** Connections refused because maxConnections were open. */
  readonly rejectedConnections: number;
}

export type ToWorker =
  | { readonly type: "content"; readonly content: RenderedContent }
  | { readonly type: "invalidate" }
  | { readonly type: "stats"; readonly id: number }
  | { readonly type: "close" };

export type FromWorker =
  | { readonly type: "listening"; readonly address: AddressInfo }
  | { readonly type: "listen-error"; readonly message: string; readonly code?: string }
  | { readonly type: "need" }
  | { readonly type: "stats"; readonly id: number; readonly stats: WorkerStats }
  | { readonly type: "log"; readonly level: "info" | "warn" | "error"; readonly text: string }
  | { readonly type: "closed" };
