// The built-in http check: GET a URL without forking, bound to a source address; healthy on an expected status (and body text).

import type { CheckTarget } from "../config/monitor-directives";
import { elapsedSince, type CheckOutcome, type CheckRunOptions } from "./check-outcome";
import { prepareHttpGet, rawHttpGet, type PreparedHttpGet } from "./raw-http-get";

type HttpTarget = Extract<CheckTarget, { kind: "http" }>;

/** At most this much of the answer is read when looking for the expected text. */
const MAX_BODY_BYTES = 64 * 1024;

/** Each target's request, made once: a check's run allocates only its socket. */
const prepared = new WeakMap<HttpTarget, PreparedHttpGet>();

/**
 * One GET on a fresh connection (HTTP/1.0, `Connection: close`: a kept-alive socket the
 * server is closing would read as a failure). The run ends at the first of: the status line
 * (or, with `bodyContains`, the text found or the answer read), an error, or the abort signal.
 */
export async function runHttpCheck(target: HttpTarget, options: CheckRunOptions): Promise<CheckOutcome> {
  const startedAt = performance.now();
  let get = prepared.get(target);
  if (get === undefined) {
    get = prepareHttpGet({
      host: target.host,
      port: target.port,
      path: target.path,
      maxBodyBytes: MAX_BODY_BYTES,
      ...(target.source !== undefined ? { source: target.source } : {}),
      ...(target.bodyContains !== undefined ? { bodyContains: target.bodyContains } : {}),
    });
    prepared.set(target, get);
  }
  const r = await rawHttpGet(get, options.signal);
  const latencyMs = elapsedSince(startedAt);
  if (!r.ok) return { healthy: false, words: r.error, latencyMs };
  if (!target.expect.some((e) => r.status >= e.from && r.status <= e.to)) {
    const expected = target.expect.map((e) => (e.from === e.to ? String(e.from) : `${String(e.from)[0]}xx`)).join(",");
    return { healthy: false, words: `HTTP ${r.status} (expected ${expected})`, latencyMs };
  }
  const want = target.bodyContains;
  if (want === undefined) return { healthy: true, words: `HTTP ${r.status}`, latencyMs };
  return r.bodyHas
    ? { healthy: true, words: `HTTP ${r.status}, body has "${want}"`, latencyMs }
    : { healthy: false, words: `HTTP ${r.status}, body lacks "${want}"`, latencyMs };
}
