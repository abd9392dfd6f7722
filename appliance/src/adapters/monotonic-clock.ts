// The daemon's only clock for timers: monotonic milliseconds, immune to wall-clock jumps (NTP, no RTC).

import { performance } from "node:perf_hooks";
import { millis, type Millis } from "../cluster/time";

/** Milliseconds since an arbitrary origin, never going backwards. Rounded to whole ms like Heartbeat's timers. */
export function monotonicNow(): Millis {
  return millis(Math.floor(performance.now()));
}
