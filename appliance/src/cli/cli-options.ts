// Shared command-line options of every Twinbeat tool: where config, state and run files live, and the node name.

import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

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
  constructor(message: string, readonly exitCode = 2) {
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
