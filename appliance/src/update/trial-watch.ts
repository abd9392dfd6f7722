// Whether a slot on trial has proved itself: observations of the appliance in, a verdict out (pure; the clock comes in).

/** What the watch sees at one moment. */
export interface TrialObservation {
  readonly atMs: number;
  /** The appliance's boot state (/run/twinbeat/state): ok, unconfigured, invalid, no-config, no-executable. */
  readonly applianceState: string;
  /** The daemon's answer: null when it does not answer (not started yet, dead, restarting). */
  readonly daemon: { readonly localStatus: string; readonly peers: readonly { readonly name: string; readonly status: string }[] } | null;
}

export interface TrialWatchState {
  readonly startedAtMs: number;
  readonly limitMs: number;
  /** Since when every observation was healthy (null: the last one was not). */
  readonly healthySinceMs: number | null;
  readonly lastReason: string;
}

export type TrialVerdict =
  { readonly kind: "wait" } | { readonly kind: "good"; readonly reason: string } | { readonly kind: "failed"; readonly reason: string };

/** Healthy must hold this long (a daemon that dies right after it started is not healthy). */
export const TRIAL_STABLE_MS = 10_000;
export const DEFAULT_TRIAL_LIMIT_MS = 300_000;

export function startTrialWatch(nowMs: number, limitMs = DEFAULT_TRIAL_LIMIT_MS): TrialWatchState {
  return { startedAtMs: nowMs, limitMs, healthySinceMs: null, lastReason: "nothing observed yet" };
}

/**
 * One observation. Healthy: Twinbeat active and every peer seen (up or active), held for
 * TRIAL_STABLE_MS; or a factory box (unconfigured, no config partition: nothing to run, the safe
 * state says what to fill in). An `invalid` configuration or a missing executable is not healthy:
 * the old slot ran this box, so the new one must too, or it is rolled back.
 */
export function observeTrial(s: TrialWatchState, o: TrialObservation): { state: TrialWatchState; verdict: TrialVerdict } {
  if (o.applianceState === "unconfigured" || o.applianceState === "no-config") {
    return { state: s, verdict: { kind: "good", reason: `safe state (${o.applianceState}): nothing configured to run` } };
  }
  const reason = unhealthyReason(o);
  if (reason === null) {
    const since = s.healthySinceMs ?? o.atMs;
    const next = { ...s, healthySinceMs: since, lastReason: "healthy" };
    if (o.atMs - since >= TRIAL_STABLE_MS) {
      const peers = o.daemon!.peers.map((p) => `${p.name} ${p.status}`).join(", ");
      return {
        state: next,
        verdict: { kind: "good", reason: `Twinbeat active${peers ? `, peer ${peers}` : ""}, for ${Math.round((o.atMs - since) / 1000)} s` },
      };
    }
    return { state: next, verdict: { kind: "wait" } };
  }
  const next = { ...s, healthySinceMs: null, lastReason: reason };
  if (o.atMs - s.startedAtMs >= s.limitMs) {
    return { state: next, verdict: { kind: "failed", reason: `not healthy within ${Math.round(s.limitMs / 1000)} s: ${reason}` } };
  }
  return { state: next, verdict: { kind: "wait" } };
}

function unhealthyReason(o: TrialObservation): string | null {
  if (o.applianceState !== "ok") return `the appliance is in state ${o.applianceState}`;
  if (!o.daemon) return "Twinbeat does not answer";
  if (o.daemon.localStatus !== "active") return `Twinbeat's local status is ${o.daemon.localStatus}`;
  const unseen = o.daemon.peers.filter((p) => p.status !== "active" && p.status !== "up");
  if (unseen.length > 0) return `peer ${unseen.map((p) => `${p.name} is ${p.status}`).join(", ")}`;
  return null;
}
