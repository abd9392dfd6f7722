// `twinbeat resource-guard` (internal): started by the daemon; see daemon/resource-guard.ts.

import { loadConfigDir } from "../config/load-config-dir";
import { runResourceGuard } from "../daemon/resource-guard";
import { parseCommonOptions, resolveNodeName } from "./cli-options";

export async function resourceGuardCommand(args: readonly string[]): Promise<number> {
  const opts = parseCommonOptions(args, ["configDir", "stateDir", "runDir", "nodeName"]);
  const load = () => loadConfigDir(opts.configDir, { localNode: resolveNodeName(opts) });
  const loaded = load();
  if (!loaded.config) {
    process.stderr.write(`twinbeat resource-guard: configuration in ${opts.configDir} is not valid\n`);
    return 1;
  }
  return runResourceGuard(loaded.config, undefined, () => load().config);
}
