// Shared command-line options of every Twinbeat tool: where config, state and run files live, and the node name.

import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

export interface CommonOptions {
  configDir: string;
  stateDir: string;
  runDir: string;
  /** Undefined = from `<config-dir>/nodeinfo`, else `uname -n`, lower-cased. */
  nodeName: string | undefined;
}

export function defaultOptions(): CommonOptions {
  return { configDir: "/etc/ha.d", stateDir: "/var/lib/heartbeat", runDir: "/var/run/heartbeat", nodeName: undefined };
}

/** An error in how a command was called: printed with usage, exit code given. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/**
 * Takes the common long options (`--config-dir DIR` or `--config-dir=DIR`, …) out of
 * `args`; returns what is left, in order.
 */
export function takeCommonOptions(args: readonly string[], opts: CommonOptions): string[] {
  const rest: string[] = [];
  const keys: Record<string, keyof CommonOptions> = {
    "--config-dir": "configDir",
    "--state-dir": "stateDir",
    "--run-dir": "runDir",
    "--node-name": "nodeName",
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    const key = keys[name];
    if (!key) {
      rest.push(a);
      continue;
    }
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined || value === "") throw new UsageError(`Option ${name} needs a value`);
    opts[key] = value;
  }
  return rest;
}

/**
 * The common long options for Twinbeat's own commands (`twinbeat check`, the internal
 * `resource-guard`), which have no Heartbeat wording to keep: node:util's parseArgs, strict,
 * no operands. Heartbeat's tools mix these options with their own arguments and keep
 * Heartbeat's messages, so they use takeCommonOptions (and cl_status GNU getopt).
 */
export function parseCommonOptions(args: readonly string[], allowed: readonly (keyof CommonOptions)[]): CommonOptions {
  const names: Record<keyof CommonOptions, string> = { configDir: "config-dir", stateDir: "state-dir", runDir: "run-dir", nodeName: "node-name" };
  const options: Record<string, { type: "string" }> = {};
  for (const key of allowed) options[names[key]] = { type: "string" };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    // parseArgs' messages name the option and say what is wrong; its advice about "--" does not apply here.
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ""));
  }
  const opts = defaultOptions();
  for (const key of allowed) {
    const value = values[names[key]];
    if (typeof value !== "string") continue;
    if (value === "") throw new UsageError(`Option --${names[key]} needs a value`);
    opts[key] = value;
  }
  return opts;
}

/** The local node name as Heartbeat finds it: first line of nodeinfo, else uname -n; always lower-case. */
export function resolveNodeName(opts: CommonOptions): string {
  if (opts.nodeName) return opts.nodeName.toLowerCase();
  try {
    const first = readFileSync(join(opts.configDir, "nodeinfo"), "utf8").split("\n")[0]!.trim();
    if (first) return first.toLowerCase();
  } catch {
    // no nodeinfo: the usual case
  }
  return hostname().toLowerCase();
}
