// The built-in http check: GET a URL without forking, bound to a source address; healthy on an expected status (and body text).

import * as http from "node:http";
import type { CheckTarget } from "../config/monitor-directives";
import { elapsedSince, type CheckOutcome, type CheckRunOptions } from "./check-outcome";

type HttpTarget = Extract<CheckTarget, { kind: "http" }>;

/** At most this much of the body is read when looking for the expected text. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * One GET on a fresh connection (no keep-alive: a reused socket the server is closing
 * would read as a failure). The run ends at the first of: the whole body (or enough of it)
 * read, an error, or the abort signal.
 */
export function runHttpCheck(target: HttpTarget, options: CheckRunOptions): Promise<CheckOutcome> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (healthy: boolean, words: string) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener("abort", onAbort);
      req.destroy();
      resolve({ healthy, words, latencyMs: elapsedSince(startedAt) });
    };
    const onAbort = () => finish(false, "aborted (timeout)");
    const req = http.request(
      {
        host: target.host,
        port: target.port,
        path: target.path,
        method: "GET",
        agent: false,
        headers: { "user-agent": "twinbeat-check", connection: "close" },
        ...(target.source !== undefined ? { localAddress: target.source } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const expected = target.expect.some((e) => status >= e.from && status <= e.to);
        if (!expected) {
          finish(false, `HTTP ${status} (expected ${target.expect.map((e) => (e.from === e.to ? String(e.from) : `${String(e.from)[0]}xx`)).join(",")})`);
          return;
        }
        if (target.bodyContains === undefined) {
          finish(true, `HTTP ${status}`);
          return;
        }
        const want = target.bodyContains;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
          if (body.includes(want)) finish(true, `HTTP ${status}, body has "${want}"`);
          else if (body.length > MAX_BODY_BYTES) finish(false, `HTTP ${status}, "${want}" not in the first ${MAX_BODY_BYTES} bytes`);
        });
        res.on("end", () => finish(body.includes(want), body.includes(want) ? `HTTP ${status}, body has "${want}"` : `HTTP ${status}, body lacks "${want}"`));
        res.on("error", (err) => finish(false, `reading the body: ${errWords(err)}`));
      },
    );
    req.on("error", (err) => finish(false, errWords(err)));
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort);
    req.end();
  });
}

function errWords(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
