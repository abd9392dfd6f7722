// A minimal HTTP/1.0 GET over one TCP connection, for the http check: a fraction of node:http's CPU per request.

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
  readonly signal: AbortSignal;
}

/**
 * Sends `GET path HTTP/1.0` with `Connection: close` (so no chunked encoding and no
 * keep-alive), reads the status line, and, if asked, the body until the text is found, the
 * server closes, or maxBodyBytes were read. Malformed answers are errors, never exceptions.
 * Why not node:http: at 100 ms-class intervals its request and parser setup cost several
 * times what the check is worth on a small box.
 */
export function rawHttpGet(options: RawHttpGetOptions): Promise<RawHttpResult> {
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const hostHeader = net.isIPv6(options.host) ? `[${options.host}]` : options.host;
  const request = `GET ${options.path} HTTP/1.0\r\nHost: ${hostHeader}${options.port === 80 ? "" : `:${options.port}`}\r\nUser-Agent: twinbeat-check\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
  return new Promise((resolve) => {
    let settled = false;
    let head = "";
    let status: number | undefined;
    let body = "";
    const socket = net.connect({ host: options.host, port: options.port, ...(options.source !== undefined ? { localAddress: options.source } : {}) });
    const finish = (r: RawHttpResult) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, error: "aborted (timeout)" });
    const want = options.bodyContains;
    socket.setEncoding("latin1");
    socket.once("connect", () => socket.write(request));
    socket.on("data", (chunk: string) => {
      if (status === undefined) {
        head += chunk;
        const eol = head.indexOf("\r\n");
        if (eol < 0) {
          if (head.length > 8192) finish({ ok: false, error: "no HTTP status line in the first 8 KB" });
          return;
        }
        const m = /^HTTP\/\d\.\d (\d{3})/.exec(head.slice(0, eol));
        if (!m) {
          finish({ ok: false, error: `not an HTTP answer: ${JSON.stringify(head.slice(0, Math.min(eol, 60)))}` });
          return;
        }
        status = Number(m[1]);
        if (want === undefined) {
          finish({ ok: true, status });
          return;
        }
        chunk = head;
      }
      if (want === undefined) return;
      body += chunk;
      const start = body.indexOf("\r\n\r\n");
      if (start >= 0 && body.indexOf(want, start + 4) >= 0) finish({ ok: true, status, bodyHas: true });
      else if (body.length > maxBody) finish({ ok: true, status, bodyHas: false });
    });
    socket.once("end", () => {
      if (status === undefined) finish({ ok: false, error: "the server closed the connection without an answer" });
      else finish({ ok: true, status, bodyHas: false });
    });
    socket.once("error", (err: NodeJS.ErrnoException) => finish({ ok: false, error: err.code ? `connect ${err.code}` : err.message }));
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort);
  });
}
