// `twinbeat status` (nodes, groups and per-resource monitoring of the local daemon) and `twinbeat resource-reset` (forget monitor failures).

import { controlRequest } from "../daemon/control-server";
import type { DaemonStatus } from "../status/daemon-status";
import { renderResourceStatusText } from "../status/resource-status";
import { defaultOptions, takeCommonOptions } from "./cli-options";

export const STATUS_USAGE = "usage: twinbeat status [--json] [--run-dir DIR]";
export const RESOURCE_RESET_USAGE = "usage: twinbeat resource-reset [GROUP] [--run-dir DIR]";

/** Prints the daemon's status: one line per node, one per group, then each monitored group's checks. Exit 1 when no daemon answers. */
export async function statusCommand(args: readonly string[]): Promise<number> {
  const opts = defaultOptions();
  const rest = takeCommonOptions(args, opts);
  const json = rest.includes("--json");
  if (rest.some((a) => a !== "--json")) {
    process.stderr.write(`status: unexpected argument "${rest.find((a) => a !== "--json")}"\n${STATUS_USAGE}\n`);
    return 2;
  }
  let status: DaemonStatus;
  try {
    const answer = (await controlRequest(opts.runDir, { cmd: "status" })) as { status?: DaemonStatus };
    if (!answer.status) throw new Error("no status in the answer");
    status = answer.status;
  } catch (err) {
    process.stderr.write(`status: cannot reach Heartbeat on this node (${opts.runDir}): ${(err as Error).message}\n`);
    return 1;
  }
  if (json) {
    process.stdout.write(JSON.stringify(status, null, 2) + "\n");
    return 0;
  }
  process.stdout.write(renderStatusText(status));
  return 0;
}

/** The text of `twinbeat status` (pure, for tests). */
export function renderStatusText(s: DaemonStatus): string {
  let t = `${s.localNode}: ${s.localStatus}, resources ${s.rscStatus}\n`;
  for (const n of s.nodes.filter((x) => !x.local))
    t += `node ${n.name} (${n.type}): ${n.status}${n.links.length ? `, links ${n.links.map((l) => `${l.name} ${l.status}`).join(", ")}` : ""}\n`;
  for (const g of s.groups) t += `group ${g.key}: ${g.state} here, held by ${g.holder ?? "nobody known"}\n`;
  return t + renderResourceStatusText(s.resources ?? []);
}

/** Clears monitor failure counts (all groups, or GROUP): a group stopped for failures starts again. */
export async function resourceResetCommand(args: readonly string[]): Promise<number> {
  const opts = defaultOptions();
  const rest = takeCommonOptions(args, opts);
  if (rest.length > 1) {
    process.stderr.write(`resource-reset: too many arguments\n${RESOURCE_RESET_USAGE}\n`);
    return 2;
  }
  try {
    const answer = (await controlRequest(opts.runDir, { cmd: "resource-reset", ...(rest[0] ? { group: rest[0] } : {}) })) as { ok?: boolean; error?: string };
    if (!answer.ok) {
      process.stderr.write(`resource-reset: ${answer.error ?? "refused"}\n`);
      return 1;
    }
  } catch (err) {
    process.stderr.write(`resource-reset: cannot reach Heartbeat on this node (${opts.runDir}): ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`Failure counts reset${rest[0] ? ` for ${rest[0]}` : ""}.\n`);
  return 0;
}
