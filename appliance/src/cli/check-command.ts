// `twinbeat check`: validates ha.cf, haresources, authkeys and twinbeat.cf without starting anything.

import { loadConfigDir } from "../config/load-config-dir";
import { formatDiagnostic } from "../config/format-diagnostic";
import { DEFAULT_OCF_ROOT } from "../resources/ocf-agent";
import { resourceReport } from "../resources/resource-check";
import { parseCommonOptions, resolveNodeName } from "./cli-options";

export const CHECK_USAGE = "usage: twinbeat check [--config-dir DIR] [--node-name NAME]";

/** Prints one line per finding, then what runs each resource; exit 0 when there is no error (warnings allowed), else 1. */
export function checkCommand(args: readonly string[]): number {
  const opts = parseCommonOptions(args, ["configDir", "nodeName"]);
  const localNode = resolveNodeName(opts);
  const result = loadConfigDir(opts.configDir, { localNode, missingResources: "error" });
  for (const d of result.diagnostics) process.stdout.write(formatDiagnostic(d) + "\n");
  // What runs each resource here (those nothing runs are errors above).
  for (const line of resourceReport({ configDir: opts.configDir, initDir: "/etc/init.d", ocfRoot: DEFAULT_OCF_ROOT })) process.stdout.write(line + "\n");
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = result.diagnostics.length - errors;
  process.stderr.write(`${opts.configDir}: ${errors === 0 ? "valid" : "not valid"} for node ${localNode} (${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"})\n`);
  return errors === 0 ? 0 : 1;
}
