// `twinbeat check`: validates ha.cf, haresources, authkeys and twinbeat.cf without starting anything.

import { loadConfigDir } from "../config/load-config-dir";
import { formatDiagnostic } from "../config/format-diagnostic";
import { explainConfig, explainLines } from "../config/explain-config";
import { DEFAULT_OCF_ROOT } from "../resources/ocf-agent";
import { resourceReport } from "../resources/resource-check";
// check's flags mix with the common options (and --explain takes an optional value), which node:util parseArgs cannot express.
import { defaultOptions, resolveNodeName, takeCommonOptions, UsageError } from "./cli-options";

export const CHECK_USAGE =
  "usage: twinbeat check [--config-dir DIR] [--node-name NAME] [--for-another-machine] [--explain[=json]]\n" +
  "  --for-another-machine  the files are for another machine: missing interfaces, unresolvable hosts,\n" +
  "                         unknown users and missing programs are warnings instead of errors\n" +
  "  --explain              print what Twinbeat will do with the files (auto_failback, media, timings, groups);\n" +
  "                         --explain=json prints the same as one JSON object on stdout";

/** Prints one line per finding, then what runs each resource; exit 0 when there is no error (warnings allowed), else 1. */
export function checkCommand(args: readonly string[]): number {
  const opts = defaultOptions();
  let machine: "this" | "another" = "this";
  let explain: "off" | "text" | "json" = "off";
  for (const arg of takeCommonOptions(args, opts)) {
    if (arg === "--for-another-machine") machine = "another";
    else if (arg === "--explain" || arg === "--explain=text") explain = "text";
    else if (arg === "--explain=json") explain = "json";
    else throw new UsageError(`Unexpected argument "${arg}"`);
  }
  const localNode = resolveNodeName(opts);
  const result = loadConfigDir(opts.configDir, { localNode, machine, missingResources: "error" });
  // With --explain=json stdout is one JSON document; the findings go to stderr then.
  const findings = explain === "json" ? process.stderr : process.stdout;
  for (const d of result.diagnostics) findings.write(formatDiagnostic(d) + "\n");
  // What runs each resource here (those nothing runs are errors above).
  for (const line of resourceReport({ configDir: opts.configDir, initDir: "/etc/init.d", ocfRoot: DEFAULT_OCF_ROOT })) findings.write(line + "\n");
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = result.diagnostics.length - errors;
  if (result.config !== undefined && explain !== "off") {
    const explained = explainConfig(result.config);
    if (explain === "json") process.stdout.write(JSON.stringify(explained) + "\n");
    else
      process.stdout.write(
        `\nWhat Twinbeat will do on ${localNode}:\n${explainLines(explained)
          .map((l) => `  ${l}\n`)
          .join("")}`,
      );
  }
  const forWhom = machine === "another" ? `for node ${localNode} on another machine` : `for node ${localNode}`;
  process.stderr.write(
    `${opts.configDir}: ${errors === 0 ? "valid" : "not valid"} ${forWhom} (${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"})\n`,
  );
  return errors === 0 ? 0 : 1;
}
