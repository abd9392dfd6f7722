// A minimal HTTP/1.0 GET over one fresh TCP connection, for the http check: a fraction of node:http's CPU per request.

import * as net from "node:net";

/** What a GET found: the status code and, when asked for, whether the body held some text. */
export type RawHttpResult = { readonly ok: true; readonly status: number; readonly bodyHas?: boolean } | { readonly ok: false; readonly error: string };

export interface RawHttpGetOptions {
  readonly host: string;
  readonly port: number;
  /** Path and query, starting with `/`. */
  readonly path: string;
  readonly source?: string;
  /** Read the body looking for this text (up to maxBodyBytes). */
  readonly bodyContains?: string;
  readonly maxBodyBytes?: number;
}

/** A GET made ready once per check target: the request bytes and the connect options, reused by every run. */
export interface PreparedHttpGet {
  readonly request: Buffer;
  readonly host: string;
  readonly port: number;
  readonly source: string | undefined;
  /** The expected text as UTF-8 bytes, searched for in the body's bytes. */
  readonly want: Buffer | undefined;
  readonly maxBodyBytes: number;
}

/** A status line longer than this is not HTTP. */
const MAX_HEAD_BYTES = 8192;
const HEADER_END = Buffer.from("\r\n\r\n", "latin1");
const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})/;

/**
 * One read buffer for every check socket (net's `onread`): each read is looked at before its
 * callback returns, and JavaScript runs one callback at a time, so no two reads share it at once.
 * It saves a Buffer and the stream machinery per read.
 */
const readBuffer = Buffer.allocUnsafe(16 * 1024);

export function prepareHttpGet(options: RawHttpGetOptions): PreparedHttpGet {
  const hostHeader = net.isIPv6(options.host) ? `[${options.host}]` : options.host;
  const text = `GET ${options.path} HTTP/1.0\r\nHost: ${hostHeader}${options.port === 80 ? "" : `:${options.port}`}\r\nUser-Agent: twinbeat-check\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
  return {
    request: Buffer.from(text, "latin1"),
    host: options.host,
    port: options.port,
    source: options.source,
    want: options.bodyContains !== undefined ? Buffer.from(options.bodyContains, "utf8") : undefined,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
  };
}

/**
 * Sends `GET path HTTP/1.0` with `Connection: close` (so no chunked encoding and no
 * keep-alive) on a new connection, reads the status line, and, if asked, the body until the
 * text is found, the server closes, or maxBodyBytes were read. Malformed answers are errors,
 * never exceptions. Why not node:http: at 100 ms-class intervals its request and parser setup
 * cost several times what the check is worth on a small box; why `onread` and a prepared
 * request: an idle daemon pays for every allocation and stream layer with cold caches.
 */
export function rawHttpGet(get: PreparedHttpGet, signal: AbortSignal): Promise<RawHttpResult> {
  return new Promise((resolve) => {
    let settled = false;
    /** Bytes kept across reads: the head until its status line is complete, then (with `want`) the answer so far. */
    let kept: Buffer | undefined;
    let status: number | undefined;
    const want = get.want;
    const finish = (r: RawHttpResult) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, error: "aborted (timeout)" });
    const onRead = (n: number, buf: Buffer): boolean => {
      if (settled) return false;
      // Fast path: the whole status line in the first read (every real server), nothing copied.
      const fresh = kept === undefined;
      const data = kept === undefined ? buf.subarray(0, n) : Buffer.concat([kept, buf.subarray(0, n)]);
      if (status === undefined) {
        const eol = data.indexOf(10);
        if (eol < 0) {
          if (data.length > MAX_HEAD_BYTES) finish({ ok: false, error: "no HTTP status line in the first 8 KB" });
          else kept = fresh ? Buffer.from(data) : data;
          return true;
        }
        const line = data.toString("latin1", 0, data[eol - 1] === 13 ? eol - 1 : eol);
        const m = STATUS_LINE.exec(line);
        if (!m) {
          finish({ ok: false, error: `not an HTTP answer: ${JSON.stringify(line.slice(0, 60))}` });
          return false;
        }
        status = Number(m[1]);
        if (want === undefined) {
          finish({ ok: true, status });
          return false;
        }
      }
      if (want === undefined) return false;
      const bodyAt = data.indexOf(HEADER_END);
      if (bodyAt >= 0 && data.indexOf(want, bodyAt + 4) >= 0) {
        finish({ ok: true, status, bodyHas: true });
        return false;
      }
      if (data.length > get.maxBodyBytes) {
        finish({ ok: true, status, bodyHas: false });
        return false;
      }
      // A view of the shared read buffer is copied before the next read overwrites it.
      kept = fresh ? Buffer.from(data) : data;
      return true;
    };
    const socket = net.connect({
      host: get.host,
      port: get.port,
      ...(get.source !== undefined ? { localAddress: get.source } : {}),
      onread: { buffer: readBuffer, callback: onRead },
    });
    // Written ahead of the connection: net sends it once the connection is up, in the same turn.
    socket.write(get.request);
    socket.once("end", () => {
      if (status === undefined) finish({ ok: false, error: "the server closed the connection without an answer" });
      else finish({ ok: true, status, bodyHas: false });
    });
    socket.once("error", (err: NodeJS.ErrnoException) => finish({ ok: false, error: err.code ? `connect ${err.code}` : err.message }));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort);
  });
}
