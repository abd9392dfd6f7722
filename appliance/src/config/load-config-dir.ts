// Reads a config directory (/etc/ha.d), runs the four parsers and the cross-file checks, and returns the ClusterConfig.

import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { NodeName } from "../cluster/time";
import { normalizeNodeName } from "../cluster/time";
import { builtinAgentSpelledLike, isBuiltinAgent, isBuiltinIpfail } from "./builtin-agents";
import type { ClusterConfig, ConfigDiagnostic, ConfigLoadResult, HaConfig, ResourceGroup, TwinbeatConfig } from "./cluster-config";
import { parseAuthkeys } from "./authkeys-parser";
import { configError, configWarning, hasErrors } from "./format-diagnostic";
import { parseHaCf } from "./ha-cf-parser";
import { looksLikeBareIpv6, parseHaresources } from "./haresources-parser";
import { defaultTwinbeatConfig, parseTwinbeatCf } from "./twinbeat-cf-parser";
import { checkMonitors } from "./monitor-directives";
import { isExecutableFile } from "../adapters/is-executable-file";

/** The files of a config directory, in the order findings are reported. */
export const CONFIG_FILE_NAMES = ["ha.cf", "haresources", "authkeys", "twinbeat.cf"] as const;

/** Options for {@link loadConfigDir}. */
export interface LoadConfigDirOptions {
  /** This machine's node name (`--node-name`, else `uname -n`); compared lower-cased. */
  readonly localNode: string;
  /** Where LSB init scripts are looked for after `<configDir>/resource.d`. Default `/etc/init.d`. */
  readonly initDir?: string;
}

/**
 * Reads `<configDir>/{ha.cf,haresources,authkeys,twinbeat.cf}` (twinbeat.cf is optional),
 * parses and cross-checks them, and looks on disk for the resource scripts and programs they
 * name. Used at startup and by `twinbeat check`. The result holds `config` only when no
 * finding is an error; findings are sorted by file, then line (whole-file findings last).
 *
 * @example
 * const { config, diagnostics } = loadConfigDir("/etc/ha.d", { localNode: os.hostname() });
 * for (const d of diagnostics) console.error(formatDiagnostic(d));
 */
export function loadConfigDir(configDir: string, options: LoadConfigDirOptions): ConfigLoadResult {
  const initDir = options.initDir ?? "/etc/init.d";
  const localNode = normalizeNodeName(options.localNode);
  const diagnostics: ConfigDiagnostic[] = [];
  const fileOf = (name: string): string => path.join(configDir, name);

  const haCfPath = fileOf("ha.cf");
  const haCfText = readConfigFile(haCfPath, "ha.cf", diagnostics);
  let ha: HaConfig | undefined;
  let declaredNodes: readonly NodeName[] | undefined;
  if (haCfText !== undefined) {
    const parsed = parseHaCf(haCfText, haCfPath);
    diagnostics.push(...parsed.diagnostics);
    ha = parsed.ha;
    declaredNodes = parsed.declaredNodes;
  }

  const haresourcesPath = fileOf("haresources");
  const haresourcesText = readConfigFile(haresourcesPath, "haresources", diagnostics);
  let groups: readonly ResourceGroup[] = [];
  if (haresourcesText !== undefined) {
    const parsed = parseHaresources(haresourcesText, haresourcesPath, declaredNodes);
    diagnostics.push(...parsed.diagnostics);
    groups = parsed.groups;
  }

  const authkeysPath = fileOf("authkeys");
  const authkeysText = readConfigFile(authkeysPath, "authkeys", diagnostics);
  let authKeys: ClusterConfig["authKeys"] | undefined;
  if (authkeysText !== undefined) {
    const parsed = parseAuthkeys(authkeysText, authkeysPath, fileModeOf(authkeysPath));
    diagnostics.push(...parsed.diagnostics);
    authKeys = parsed.authKeys;
  }

  const twinbeatPath = fileOf("twinbeat.cf");
  let twinbeat: TwinbeatConfig = defaultTwinbeatConfig();
  const twinbeatText = readConfigFile(twinbeatPath, "twinbeat.cf", diagnostics, { optional: true });
  if (twinbeatText !== undefined) {
    const parsed = parseTwinbeatCf(twinbeatText, twinbeatPath);
    diagnostics.push(...parsed.diagnostics);
    twinbeat = parsed.twinbeat;
  }

  diagnostics.push(...crossCheckConfig({ haCfPath, declaredNodes }, { localNode }));
  // Resource monitoring: every monitor/check of twinbeat.cf must name a haresources resource.
  diagnostics.push(...checkMonitors(twinbeat.monitors ?? [], groups));
  diagnostics.push(...checkProgramsOnDisk({ configDir, initDir, haresourcesPath, twinbeatPath, ha, groups, twinbeat }));

  const sorted = sortDiagnostics(diagnostics, configDir);
  if (hasErrors(sorted) || ha === undefined || authKeys === undefined) {
    return { diagnostics: sorted };
  }
  return { config: { configDir, localNode, ha, groups, authKeys, twinbeat }, diagnostics: sorted };
}

/** What {@link crossCheckConfig} needs from the parsed files. */
export interface ParsedConfigFiles {
  readonly haCfPath: string;
  /** Names from ha.cf `node` lines; undefined when ha.cf could not be read. */
  readonly declaredNodes: readonly NodeName[] | undefined;
}

/**
 * Checks that need more than one file or the machine's identity (pure): this machine must
 * be declared by a `node` line of ha.cf (Heartbeat: "Current node not in configuration").
 * haresources' home nodes are checked by parseHaresources against `declaredNodes`.
 */
export function crossCheckConfig(files: ParsedConfigFiles, options: { readonly localNode: string }): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  const localNode = normalizeNodeName(options.localNode);
  if (files.declaredNodes !== undefined && files.declaredNodes.length > 0 && !files.declaredNodes.includes(localNode)) {
    diagnostics.push(
      configError(
        { file: files.haCfPath, line: 0 },
        `node "${localNode}" (this machine, from --node-name/uname -n) is not declared by a node line in ha.cf`,
      ),
    );
  }
  return diagnostics;
}

/** Looks for resource scripts, respawn programs and the notify program; missing ones are warnings. */
function checkProgramsOnDisk(input: {
  readonly configDir: string;
  readonly initDir: string;
  readonly haresourcesPath: string;
  readonly twinbeatPath: string;
  readonly ha: HaConfig | undefined;
  readonly groups: readonly ResourceGroup[];
  readonly twinbeat: TwinbeatConfig;
}): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  const resourceDir = path.join(input.configDir, "resource.d");
  for (const group of input.groups) {
    const checked = new Set<string>();
    for (const resource of group.resources) {
      if (isBuiltinAgent(resource.name) || checked.has(resource.name)) {
        continue;
      }
      checked.add(resource.name);
      const problem = locateResourceScript(resource.name, [resourceDir, input.initDir]);
      if (problem === undefined) {
        continue;
      }
      let hint = problem;
      const builtin = builtinAgentSpelledLike(resource.name);
      if (builtin !== undefined) {
        hint += `: did you mean "${builtin}"? (names are case-sensitive)`;
      } else if (looksLikeBareIpv6(resource.raw) || net.isIPv6(resource.raw.split("/")[0] ?? "")) {
        hint += ` (for an IPv6 address write IPv6addr::${resource.raw})`;
      }
      diagnostics.push(
        configWarning(group.at, `cannot locate resource script "${resource.name}" in ${resourceDir} or ${input.initDir}${hint}`),
      );
    }
  }
  for (const child of input.ha?.respawn ?? []) {
    if (!isBuiltinIpfail(child.command) && !isExecutableFile(child.command)) {
      diagnostics.push(configWarning(child.at, `respawn program "${child.command}" does not exist or is not executable`));
    }
  }
  const notify = input.twinbeat.notify;
  if (notify !== undefined && !isExecutableFile(notify)) {
    diagnostics.push(configWarning({ file: input.twinbeatPath, line: 0 }, `notify program "${notify}" does not exist or is not executable`));
  }
  return diagnostics;
}

/** Undefined when `<dir>/<name>` is an executable regular file in one of `dirs`, else a detail ("" or why). */
function locateResourceScript(name: string, dirs: readonly string[]): string | undefined {
  let detail = "";
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) {
      return undefined;
    }
    if (detail === "" && fs.existsSync(candidate)) {
      detail = `: ${candidate} is not an executable file`;
    }
  }
  return detail;
}


function readConfigFile(
  file: string,
  name: string,
  diagnostics: ConfigDiagnostic[],
  options: { readonly optional?: boolean } = {},
): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && options.optional === true) {
      return undefined;
    }
    const reason = code === "ENOENT" ? "the file does not exist" : code === "EACCES" ? "permission denied" : (err as Error).message;
    diagnostics.push(configError({ file, line: 0 }, `cannot read ${name}: ${reason}`));
    return undefined;
  }
}

function fileModeOf(file: string): number {
  try {
    return fs.statSync(file).mode & 0o777;
  } catch {
    return 0o600;
  }
}

/** Orders findings by config file, then line; whole-file findings (line 0) come last in their file. */
function sortDiagnostics(diagnostics: readonly ConfigDiagnostic[], configDir: string): ConfigDiagnostic[] {
  const rank = (file: string): number => {
    const i = CONFIG_FILE_NAMES.findIndex((name) => path.join(configDir, name) === file);
    return i < 0 ? CONFIG_FILE_NAMES.length : i;
  };
  const lineKey = (line: number): number => (line > 0 ? line : Number.MAX_SAFE_INTEGER);
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => rank(a.d.file) - rank(b.d.file) || lineKey(a.d.line) - lineKey(b.d.line) || a.i - b.i)
    .map(({ d }) => d);
}
