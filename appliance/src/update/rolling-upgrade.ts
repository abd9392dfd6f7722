// `twinbeat upgrade BUNDLE` on one box of the pair, as a pure state machine: verify, hand the groups to an active peer (hb_standby), apply, reboot.

/*
 * The rolling upgrade of a pair is this command run twice (image/README.md):
 *   1. on the standby (it holds nothing): verify, apply to the other slot, reboot; its trial makes the
 *      new slot good once Twinbeat is active and the peer seen, else it returns to the old slot;
 *   2. then on the other box: wait until the peer is active, give it the groups with the standby
 *      handshake (Heartbeat's hb_standby: the groups stop here before they start there), wait until
 *      the peer reports holding them, apply, reboot.
 * The client sees one handover (step 2). A box that holds groups never goes down while its peer is
 * not active: the command refuses instead. Inputs are timestamped; no clock or I/O here.
 */

/** What the daemon's status says about the pair (cli adapts DaemonStatus to this). */
export interface PairView {
  readonly localNode: string;
  readonly localStatus: string;
  /** The other normal node, or null in a one-node configuration. */
  readonly peer: { readonly name: string; readonly status: string } | null;
  readonly groups: readonly { readonly key: string; readonly heldHere: boolean; readonly holder: string | null }[];
}

export type UpgradeInput =
  | { readonly kind: "start"; readonly atMs: number }
  | { readonly kind: "verified"; readonly atMs: number; readonly problem: string | null }
  /** The daemon's view, or null when it does not answer. */
  | { readonly kind: "status"; readonly atMs: number; readonly view: PairView | null }
  | { readonly kind: "standby-sent"; readonly atMs: number; readonly problem: string | null }
  | { readonly kind: "applied"; readonly atMs: number; readonly problem: string | null; readonly message: string };

export type UpgradeAction =
  | { readonly kind: "verify" }
  /** Ask the daemon for its status, after `delayMs`. */
  | { readonly kind: "ask-status"; readonly delayMs: number }
  | { readonly kind: "send-standby" }
  | { readonly kind: "apply" }
  | { readonly kind: "reboot" }
  | { readonly kind: "say"; readonly line: string }
  | { readonly kind: "finish"; readonly exitCode: number };

export type UpgradePhase = "idle" | "verifying" | "checking" | "waiting-peer" | "handing-over" | "applying" | "done" | "failed";

export interface UpgradeLimits {
  /** How long to wait for the peer to be active before handing over (e.g. while it reboots into its new slot). */
  readonly peerWaitMs: number;
  /** How long the peer may take to report holding the groups after hb_standby. */
  readonly handoverMs: number;
  readonly pollMs: number;
  /** Apply without rebooting (the operator reboots). */
  readonly reboot: boolean;
}

export const DEFAULT_UPGRADE_LIMITS: UpgradeLimits = { peerWaitMs: 600_000, handoverMs: 120_000, pollMs: 2000, reboot: true };

export interface UpgradeState {
  readonly phase: UpgradePhase;
  readonly limits: UpgradeLimits;
  /** When the current wait began. */
  readonly sinceMs: number;
  /** The groups this box held when the handover was asked for. */
  readonly handedOver: readonly string[];
}

export function initialUpgrade(limits: UpgradeLimits = DEFAULT_UPGRADE_LIMITS): UpgradeState {
  return { phase: "idle", limits, sinceMs: 0, handedOver: [] };
}

type Step = { readonly state: UpgradeState; readonly actions: readonly UpgradeAction[] };

const peerActive = (v: PairView) => v.peer !== null && (v.peer.status === "active" || v.peer.status === "up");

function fail(s: UpgradeState, line: string): Step {
  return {
    state: { ...s, phase: "failed" },
    actions: [
      { kind: "say", line: `upgrade: ${line}` },
      { kind: "finish", exitCode: 1 },
    ],
  };
}

function toApply(s: UpgradeState, atMs: number, line: string): Step {
  return { state: { ...s, phase: "applying", sinceMs: atMs }, actions: [{ kind: "say", line: `upgrade: ${line}` }, { kind: "apply" }] };
}

/** One input in, the next state and what to do. Inputs that do not fit the phase change nothing. */
export function stepUpgrade(s: UpgradeState, input: UpgradeInput): Step {
  switch (input.kind) {
    case "start":
      if (s.phase !== "idle") return { state: s, actions: [] };
      return { state: { ...s, phase: "verifying", sinceMs: input.atMs }, actions: [{ kind: "verify" }] };
    case "verified":
      if (s.phase !== "verifying") return { state: s, actions: [] };
      if (input.problem !== null) return fail(s, `the bundle is refused, nothing was done: ${input.problem}`);
      return { state: { ...s, phase: "checking", sinceMs: input.atMs }, actions: [{ kind: "ask-status", delayMs: 0 }] };
    case "status":
      return onStatus(s, input.atMs, input.view);
    case "standby-sent":
      if (s.phase !== "handing-over") return { state: s, actions: [] };
      if (input.problem !== null) return fail(s, `hb_standby failed (${input.problem}): nothing was applied, this box keeps its groups`);
      return { state: s, actions: [{ kind: "ask-status", delayMs: s.limits.pollMs }] };
    case "applied":
      if (s.phase !== "applying") return { state: s, actions: [] };
      if (input.problem !== null)
        return fail(s, `${input.problem}${s.handedOver.length > 0 ? " (the groups stay on the peer; hb_takeover brings them back)" : ""}`);
      if (!s.limits.reboot)
        return {
          state: { ...s, phase: "done" },
          actions: [
            { kind: "say", line: `upgrade: ${input.message}; reboot when ready` },
            { kind: "finish", exitCode: 0 },
          ],
        };
      return {
        state: { ...s, phase: "done" },
        actions: [{ kind: "say", line: `upgrade: ${input.message}; rebooting now` }, { kind: "reboot" }, { kind: "finish", exitCode: 0 }],
      };
  }
}

function onStatus(s: UpgradeState, atMs: number, view: PairView | null): Step {
  const again: Step = { state: s, actions: [{ kind: "ask-status", delayMs: s.limits.pollMs }] };
  switch (s.phase) {
    case "checking":
    case "waiting-peer": {
      if (view === null) return fail(s, "Twinbeat does not answer on this box: use `twinbeat update apply` and reboot (nothing here to hand over)");
      const held = view.groups.filter((g) => g.heldHere).map((g) => g.key);
      if (held.length === 0) return toApply(s, atMs, `${view.localNode} holds no resource group: applying here first`);
      if (view.peer === null)
        return fail(s, `${view.localNode} holds ${held.join(", ")} and has no peer: an upgrade here stops the service (apply by hand in a maintenance window)`);
      if (!peerActive(view)) {
        if (s.phase === "checking") {
          const line = `${view.localNode} holds ${held.join(", ")}; waiting up to ${Math.round(s.limits.peerWaitMs / 1000)} s for ${view.peer.name} (now ${view.peer.status}) to be active before handing them over`;
          return { state: { ...s, phase: "waiting-peer", sinceMs: atMs }, actions: [{ kind: "say", line: `upgrade: ${line}` }, again.actions[0]!] };
        }
        if (atMs - s.sinceMs >= s.limits.peerWaitMs) {
          return fail(
            s,
            `${view.peer.name} was not active within ${Math.round(s.limits.peerWaitMs / 1000)} s (${view.peer.status}): nothing was done, ${view.localNode} keeps ${held.join(", ")}`,
          );
        }
        return again;
      }
      return {
        state: { ...s, phase: "handing-over", sinceMs: atMs, handedOver: held },
        actions: [
          { kind: "say", line: `upgrade: ${view.peer.name} is ${view.peer.status}: handing ${held.join(", ")} over (hb_standby)` },
          { kind: "send-standby" },
        ],
      };
    }
    case "handing-over": {
      if (view !== null && view.peer !== null && !peerActive(view)) {
        return fail(s, `${view.peer.name} went ${view.peer.status} during the handover: not applying (the groups come back here by the usual failover)`);
      }
      const done =
        view !== null &&
        view.peer !== null &&
        s.handedOver.every((key) => view.groups.some((g) => g.key === key && !g.heldHere && g.holder === view.peer!.name));
      if (done) return toApply(s, atMs, `${view!.peer!.name} holds ${s.handedOver.join(", ")}: applying here`);
      if (atMs - s.sinceMs >= s.limits.handoverMs)
        return fail(s, `the peer did not report holding ${s.handedOver.join(", ")} within ${Math.round(s.limits.handoverMs / 1000)} s: not applying`);
      return again;
    }
    default:
      return { state: s, actions: [] };
  }
}
