// Starts real Twinbeat daemons inside lab namespaces and reads their state over the control socket.

import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { controlRequest } from "../../appliance/src/daemon/control-server";
import type { MembershipSnapshot } from "../../appliance/src/cluster/cluster-node";
import type { NetnsLab } from "./netns-lab";
import { defaultLabPing } from "./ping-implementations";

/** The compiled CLI entry (tests run from .out/). */
export const MAIN_JS = resolve(__dirname, "../../appliance/src/main.js");

/** How to run Twinbeat: `node main.js` by default, or a built single executable (TWINBEAT_BIN). */
export function twinbeatArgv(): string[] {
  const bin = process.env.TWINBEAT_BIN;
  return bin ? [bin] : [process.execPath, MAIN_JS];
}

export interface RunningNode {
  readonly name: string;
  readonly host: string;
  readonly runDir: string;
  readonly stateDir: string;
  readonly proc: ChildProcess;
}

export interface StartNodeOptions {
  /** The ping program the daemon runs for ping nodes (TWINBEAT_PING); default: the caller's TWINBEAT_PING, else the lab's (ping-implementations.ts). */
  readonly pingProgram?: string;
}

/** Runs `twinbeat heartbeat -f` for `name` in lab host `host` with per-node dirs under `workDir`. */
export function startNode(lab: NetnsLab, host: string, name: string, configDir: string, workDir: string, opts: StartNodeOptions = {}): RunningNode {
  const runDir = join(workDir, "run", name);
  const stateDir = join(workDir, "state", name);
  mkdirSync(runDir, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  const proc = lab.spawn(
    host,
    [...twinbeatArgv(), "heartbeat", "-f", "--config-dir", configDir, "--state-dir", stateDir, "--run-dir", runDir, "--node-name", name],
    {
      stdio: "pipe",
      env: { ...process.env, TWINBEAT_PING: opts.pingProgram ?? (process.env.TWINBEAT_PING || defaultLabPing()?.path || "ping") },
    },
  );
  return { name, host, runDir, stateDir, proc };
}

/** The node's membership as its daemon reports it, or undefined while it does not answer. */
export async function membership(node: RunningNode): Promise<MembershipSnapshot | undefined> {
  try {
    const answer = (await controlRequest(node.runDir, { cmd: "status" }, 1000)) as { membership?: MembershipSnapshot };
    return answer.membership;
  } catch {
    return undefined;
  }
}

/** How `viewer` sees `node` (status), or undefined. */
export async function statusSeen(viewer: RunningNode, node: string): Promise<string | undefined> {
  const m = await membership(viewer);
  if (!m) return undefined;
  if (node === m.localNode) return m.localStatus;
  return m.nodes.find((n) => n.name === node)?.status;
}

/** Polls `pred` every `everyMs` until it holds or `timeoutMs` passes; returns the elapsed ms or throws. */
export async function waitFor(what: string, pred: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 20): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await pred()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
