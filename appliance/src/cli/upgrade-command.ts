// `twinbeat upgrade BUNDLE`: this box's step of the rolling upgrade (update/rolling-upgrade.ts), with the daemon, the boot partition and reboot as its I/O.

import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { controlRequest } from "../daemon/control-server";
import { applyUpdate } from "../update/apply-update";
import { BOOT_MOUNT } from "../update/boot-partition";
import { verifyBundle } from "../update/bundle-reader";
import { DEFAULT_UPGRADE_LIMITS, initialUpgrade, stepUpgrade, type PairView, type UpgradeAction, type UpgradeInput } from "../update/rolling-upgrade";
import { loadTrustedKeys } from "../update/update-keys";
import { askDaemon } from "./cl-status-command";
import { defaultOptions, UsageError } from "./cli-options";
import { readFileSync } from "node:fs";

export const UPGRADE_USAGE = `usage: twinbeat upgrade BUNDLE [--no-reboot] [--peer-wait-s N] [--key PUB]... [--boot-dir DIR] [--slot a|b]
  This box's step of the rolling upgrade: run it on the standby first, then (once the standby is back
  and its slot good) on the other box. A box holding groups waits for its peer to be active, hands
  them over (hb_standby), waits until the peer holds them, then applies and reboots.`;

export async function upgradeCommand(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        "no-reboot": { type: "boolean" },
        "peer-wait-s": { type: "string" },
        key: { type: "string", multiple: true },
        "boot-dir": { type: "string" },
        slot: { type: "string" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError("expected one bundle");
  const bundle = positionals[0]!;
  const peerWaitMs = values["peer-wait-s"] !== undefined ? Number(values["peer-wait-s"]) * 1000 : DEFAULT_UPGRADE_LIMITS.peerWaitMs;
  if (!Number.isFinite(peerWaitMs) || peerWaitMs < 0) throw new UsageError("--peer-wait-s needs a number of seconds");
  const bootDir = values["boot-dir"] ?? BOOT_MOUNT;
  const slot = values.slot ?? readRunningSlot();
  if (slot !== "a" && slot !== "b") throw new UsageError("which slot runs is unknown (no /run/twinbeat/slot): give --slot a|b");
  const trusted = loadTrustedKeys(values.key ?? []);
  const opts = defaultOptions();
  const t0 = Date.now();
  const now = () => Date.now() - t0;

  let state = initialUpgrade({ ...DEFAULT_UPGRADE_LIMITS, peerWaitMs, reboot: values["no-reboot"] !== true });
  const queue: UpgradeInput[] = [{ kind: "start", atMs: 0 }];
  for (;;) {
    const input = queue.shift();
    if (!input) return 1; // cannot happen: every action but finish yields an input
    const step = stepUpgrade(state, input);
    state = step.state;
    for (const action of step.actions) {
      const result = await perform(action);
      if (typeof result === "number") return result;
      if (result) queue.push(result);
    }
  }

  async function perform(action: UpgradeAction): Promise<UpgradeInput | number | undefined> {
    switch (action.kind) {
      case "say":
        process.stdout.write(action.line + "\n");
        return undefined;
      case "verify": {
        const r = verifyBundle(bundle, trusted);
        return { kind: "verified", atMs: now(), problem: r.ok ? null : r.problem };
      }
      case "ask-status": {
        if (action.delayMs > 0) await new Promise((r) => setTimeout(r, action.delayMs));
        const answer = await askDaemon(opts, 5000);
        let view: PairView | null = null;
        if (answer !== "timeout" && answer.kind === "up") {
          const s = answer.status;
          const peer = s.nodes.find((n) => n.type === "normal" && !n.local);
          view = {
            localNode: s.localNode,
            localStatus: s.localStatus,
            peer: peer ? { name: peer.name, status: peer.status } : null,
            groups: s.groups.map((g) => ({ key: g.key, heldHere: g.heldHere, holder: g.holder })),
          };
        }
        return { kind: "status", atMs: now(), view };
      }
      case "send-standby": {
        try {
          const answer = (await controlRequest(opts.runDir, { cmd: "admin", command: "standby", which: "all" })) as { ok?: boolean; error?: string };
          return { kind: "standby-sent", atMs: now(), problem: answer.ok ? null : (answer.error ?? "refused") };
        } catch (err) {
          return { kind: "standby-sent", atMs: now(), problem: (err as Error).message };
        }
      }
      case "apply": {
        const r = applyUpdate(bundle, bootDir, slot as "a" | "b", trusted);
        return r.ok ? { kind: "applied", atMs: now(), problem: null, message: r.message } : { kind: "applied", atMs: now(), problem: r.problem, message: "" };
      }
      case "reboot":
        execFileSync("reboot");
        return undefined;
      case "finish":
        return action.exitCode;
    }
  }
}

function readRunningSlot(): string | undefined {
  try {
    return readFileSync("/run/twinbeat/slot", "utf8").trim();
  } catch {
    return undefined;
  }
}
