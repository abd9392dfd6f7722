// Entry of the single executable: a multi-call binary (twinbeat, heartbeat, cl_status, hb_standby, hb_takeover).

import { basename } from "node:path";
import { checkCommand, CHECK_USAGE } from "./cli/check-command";
import { exportCommand, EXPORT_USAGE } from "./cli/export-command";
import { UsageError } from "./cli/cli-options";
import { heartbeatCommand, HEARTBEAT_USAGE } from "./cli/heartbeat-command";
import { TWINBEAT_VERSION } from "./cli/version";
import { adminCommand } from "./cli/admin-commands";
import { clStatusCommand } from "./cli/cl-status-command";
import { isSingleExecutable, selfCommand } from "./cli/self-command";
import { resourceGuardCommand } from "./cli/resource-guard-command";
import { resourceResetCommand, statusCommand } from "./cli/status-command";
import { updateCommand, UPDATE_USAGE } from "./cli/update-command";
import { upgradeCommand, UPGRADE_USAGE } from "./cli/upgrade-command";

const TWINBEAT_USAGE = `Twinbeat ${TWINBEAT_VERSION}: a Heartbeat-compatible failover stack for a pair of appliances.
usage: twinbeat <command> [args]
  heartbeat [-dfksV] [--config-dir DIR] [--state-dir DIR] [--run-dir DIR] [--node-name NAME]
                 run (or stop, or report) the daemon
  check [--config-dir DIR] [--node-name NAME]
                 validate ha.cf, haresources, authkeys and twinbeat.cf
  export pacemaker [--config-dir DIR] [--out DIR] [--address NODE=ADDR[,ADDR…]]…
                 write corosync.conf, the CIB and a README for moving to Pacemaker
  hb_standby [all|local|foreign|failback] [--run-dir DIR]
                 give this node's resource groups to the peer
  hb_takeover [all|local|foreign|failback] [--run-dir DIR]
                 take resource groups over from the peer
  cl_status <sub-command> [options] [params] [--run-dir DIR] [--config-dir DIR]
                 Heartbeat's status tool (cl_status -h lists its sub-commands)
  status [--json] [--run-dir DIR]
                 nodes, groups and resource monitoring (healthy/failing, failures)
  resource-reset [GROUP] [--run-dir DIR]
                 forget monitor failures; a group stopped for failures starts again
  update verify|make|keygen …
                 check, make or sign a firmware update bundle (twinbeat update -h)
  upgrade BUNDLE [--no-reboot] [--peer-wait-s N]
                 this box's step of the pair's rolling upgrade (hand over, apply, reboot)
The same file called as "heartbeat", "cl_status", "hb_standby" or "hb_takeover" behaves as that tool.`;

type Command = (args: readonly string[]) => number | Promise<number>;

/** The argv that runs this program again as `twinbeat heartbeat <args>` (to detach). */
function selfArgv(args: readonly string[]): string[] {
  return [...selfCommand(), "heartbeat", ...args];
}

/** Which tool we are: the name we were called by, or the first argument of `twinbeat`. */
export async function main(argv: readonly string[]): Promise<number> {
  // A single executable is called by its link name (argv0); from sources, the script's link name is argv[1].
  const called = basename(isSingleExecutable() ? process.argv0 : (argv[1] ?? "twinbeat")).replace(/\.(js|ts)$/, "");
  let tool = called;
  let args = argv.slice(2);
  if (!["heartbeat", "cl_status", "hb_standby", "hb_takeover"].includes(tool)) {
    tool = "twinbeat";
  }
  const commands: Record<string, Command> = {
    heartbeat: (a) => heartbeatCommand(a, { argv: selfArgv(a) }),
    check: checkCommand,
    export: exportCommand,
    cl_status: (a) => clStatusCommand(a),
    hb_standby: (a) => adminCommand("hb_standby", a),
    hb_takeover: (a) => adminCommand("hb_takeover", a),
    "resource-guard": resourceGuardCommand,
    status: statusCommand,
    "resource-reset": resourceResetCommand,
    update: updateCommand,
    upgrade: upgradeCommand,
  };
  let usage = TWINBEAT_USAGE;
  let name = tool;
  if (tool === "twinbeat") {
    name = args[0] ?? "";
    args = args.slice(1);
    if (name === "" || name === "-h" || name === "--help" || name === "help") {
      process.stdout.write(TWINBEAT_USAGE + "\n");
      return name === "" ? 2 : 0;
    }
    if (name === "-V" || name === "--version") {
      process.stdout.write(`twinbeat ${TWINBEAT_VERSION}\n`);
      return 0;
    }
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`twinbeat: unknown command "${name}" (not built yet or misspelt)\n${TWINBEAT_USAGE}\n`);
    return 2;
  }
  if (name === "heartbeat") usage = HEARTBEAT_USAGE;
  else if (name === "check") usage = CHECK_USAGE;
  else if (name === "export") usage = EXPORT_USAGE;
  else if (name === "update") usage = UPDATE_USAGE;
  else if (name === "upgrade") usage = UPGRADE_USAGE;
  try {
    return await command(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message}\n${usage}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`twinbeat: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
