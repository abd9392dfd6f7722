// The built-in tcp check: open a connection without forking (bound to a source address), healthy when it opens.

import * as net from "node:net";
import type { CheckTarget } from "../config/monitor-directives";
import { elapsedSince, type CheckOutcome, type CheckRunOptions } from "./check-outcome";

type TcpTarget = Extract<CheckTarget, { kind: "tcp" }>;

/** Connects, then closes at once; refused, reset or aborted connections are unhealthy. */
export function runTcpCheck(target: TcpTarget, options: CheckRunOptions): Promise<CheckOutcome> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const socket = net.connect({ host: target.host, port: target.port, ...(target.source !== undefined ? { localAddress: target.source } : {}) });
    const finish = (healthy: boolean, words: string) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve({ healthy, words, latencyMs: elapsedSince(startedAt) });
    };
    const onAbort = () => finish(false, "aborted (timeout)");
    socket.once("connect", () => finish(true, `connected to ${target.host}:${target.port}`));
    socket.once("error", (err: NodeJS.ErrnoException) => finish(false, `connect ${err.code ?? err.message}`));
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort);
  });
}
