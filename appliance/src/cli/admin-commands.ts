// hb_standby and hb_takeover: Heartbeat's argument rules, sent to the local daemon over the control socket.

import { controlRequest } from "../daemon/control-server";
import { defaultOptions, takeCommonOptions } from "./cli-options";

const SETS = ["all", "local", "foreign", "failback"];

/**
 * `hb_standby [all|local|foreign|failback]` gives this node's groups to the peer;
 * `hb_takeover [...]` asks the peer to give them here. Default `all`; the set is
 * relative to this node (local = groups whose home is this node). Exit 1 with
 * usage on bad arguments, as Heartbeat's scripts do.
 */
export async function adminCommand(tool: "hb_standby" | "hb_takeover", args: readonly string[]): Promise<number> {
  const opts = defaultOptions();
  const rest = takeCommonOptions(args, opts);
  const usage = `usage: ${tool} [all|foreign|local|failback]`;
  if (rest.length > 1) {
    process.stderr.write(`${tool}: too many arguments\n${usage}\n`);
    return 1;
  }
  const which = rest[0] ?? "all";
  if (!SETS.includes(which)) {
    process.stderr.write(`${tool}: wrong resources(${which})\n${usage}\n`);
    return 1;
  }
  const command = tool === "hb_standby" ? "standby" : "takeover";
  try {
    const answer = (await controlRequest(opts.runDir, { cmd: "admin", command, which })) as { ok?: boolean; error?: string };
    if (!answer.ok) {
      process.stderr.write(`${tool}: ${answer.error ?? "refused"}\n`);
      return 1;
    }
  } catch (err) {
    process.stderr.write(`${tool}: cannot reach Heartbeat on this node (${opts.runDir}): ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(tool === "hb_standby" ? `Going standby [${which}].\n` : `Takeover requested [${which}].\n`);
  return 0;
}
