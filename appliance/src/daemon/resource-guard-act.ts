// One action of the shell resource guard (resource-guard-sh.ts), run as `twinbeat resource-guard` with TWINBEAT_GUARD_ACT.

import type { ClusterConfig } from "../config/cluster-config";
import { HeartbeatLogger } from "../adapters/heartbeat-logger";
import { isIpAgent } from "../config/builtin-agents";
import { findTool } from "../resources/address-announcer";
import { parseVirtualAddress } from "../resources/ip-address-agent";
import { createGroupRunner } from "./group-runner-factory";
import { addressesOf, GuardState, releaseHeld, stallLimitMs } from "./resource-guard";

export type GuardAct = "limit" | "drop" | "woke" | "release";

export function isGuardAct(s: string | undefined): s is GuardAct {
  return s === "limit" || s === "drop" || s === "woke" || s === "release";
}

export interface GuardActIo {
  /** The guard's memory: `held [..]` and `dropped [..]` lines since the last drop, oldest first. */
  readonly input: string;
  /** How long the daemon has been silent (drop) or was silent (woke), ms. */
  readonly silentMs: number;
  /**
   * A prestarted drop waits here, ready, for the shell's "go": resolves with the silence
   * (ms), or undefined when the shell cancelled (the daemon ticked again).
   */
  readonly go?: () => Promise<number | undefined>;
  readonly write: (text: string) => void;
}

/** Replays the guard's memory into a GuardState (held lines through its own rule; `dropped` lines as drops). */
export function replayGuardMemory(input: string, limitMs: number): GuardState {
  const state = new GuardState(limitMs);
  for (const line of input.split("\n")) {
    if (line.startsWith("dropped ")) {
      try {
        state.markDropped((JSON.parse(line.slice(8)) as unknown[]).filter((k): k is string => typeof k === "string"));
      } catch {
        // a line the guard itself wrote; a torn one is ignored like the Node guard ignores torn pipe lines
      }
    } else state.onLine(line, 0);
  }
  return state;
}

/**
 * `ip KEY ADDRESS` for every address of the IP resources (IPaddr, IPaddr2, IPv6addr) of every
 * group, printed after the limit: when the daemon dies, the shell removes a held group's
 * addresses itself (`ip addr show to` / `ip addr del`, milliseconds) before it starts Twinbeat
 * to stop the groups (a Node start takes 0.1-0.4 s on a small busy box, more under load, and
 * the peer takes over after its deadtime without waiting). Keys and addresses the shell could
 * not match safely (whitespace, quotes) are left to that act.
 */
export function guardAddressLines(config: ClusterConfig, ipTool: string | undefined = findTool("ip")): string[] {
  // Where `ip` is, found as the address agents find it (a daemon started by init may have a short PATH).
  if (ipTool === undefined || /\s/.test(ipTool)) return [];
  const lines: string[] = [`iptool ${ipTool}\n`];
  for (const g of config.groups) {
    if (!/^[^\s"\\]+$/.test(g.key)) continue;
    for (const spec of g.resources.filter((r) => isIpAgent(r.name))) {
      const parsed = parseVirtualAddress(spec);
      if (parsed.ok) lines.push(`ip ${g.key} ${parsed.value.address}\n`);
    }
  }
  return lines;
}

/**
 * Carries out one act; returns the exit code the shell reads: for `drop`, 0 when addresses
 * were removed (stdout: the new memory, last line `dropped [..]`), 3 when nothing was due.
 */
export async function runGuardAct(act: GuardAct, config: ClusterConfig, io: GuardActIo): Promise<number> {
  const limitMs = stallLimitMs(config);
  if (act === "limit") {
    io.write(`${limitMs}\n${guardAddressLines(config).join("")}`);
    return 0;
  }
  const ha = config.ha;
  const logger = new HeartbeatLogger({
    program: "twinbeat-guard",
    ...(ha.logfile ? { logfile: ha.logfile } : {}),
    ...(ha.debugfile ? { debugfile: ha.debugfile } : {}),
    stderr: true,
  });
  try {
    if (act === "woke") {
      logger.log("warn", `The Twinbeat daemon on ${config.localNode} runs again after ${io.silentMs} ms of silence`);
      return 0;
    }
    const state = replayGuardMemory(io.input, limitMs);
    const runner = createGroupRunner(config, (level, text) => logger.log(level, text, "ResourceManager"));
    if (act === "drop") {
      const keys = state.undropped();
      if (keys.length === 0) return 3;
      const silentMs = io.go ? await io.go() : io.silentMs;
      if (silentMs === undefined) return 3;
      logger.log(
        "crit",
        `The Twinbeat daemon on ${config.localNode} has been silent for ${silentMs} ms (frozen or starved; limit ${limitMs} ms): removing the addresses of ${keys.join(", ")} before the peer takes them over`,
      );
      for (const g of config.groups.filter((g) => keys.includes(g.key)).reverse()) {
        const outcome = await runner.stopGroup(addressesOf(g));
        if (outcome.kind === "failed") logger.log("crit", `Could not remove the addresses of ${g.key}: ${outcome.resource}: ${outcome.words}`);
      }
      const all = state.markDropped(keys);
      io.write(`held ${JSON.stringify(state.held)}\ndropped ${JSON.stringify(all)}\n`);
      logger.log("info", `Removed the addresses of ${keys.join(", ")}; the daemon is told when it runs again`);
      return 0;
    }
    const held = state.held;
    if (held.length === 0) return 0;
    const failed = await releaseHeld(config, held, runner, logger);
    return failed ? 1 : 0;
  } finally {
    await logger.close();
  }
}
