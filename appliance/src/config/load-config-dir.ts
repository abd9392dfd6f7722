// Reads a config directory (/etc/ha.d), runs the four parsers and the cross-file checks, and returns the ClusterConfig.

import * as fs from "node:fs";
import * as path from "node:path";
import type { NodeName } from "../cluster/time";
import { normalizeNodeName } from "../cluster/time";
import { isBuiltinIpfail } from "./builtin-agents";
import type { ClusterConfig, ConfigDiagnostic, ConfigLoadResult, HaConfig, ResourceGroup, TwinbeatConfig } from "./cluster-config";
import { parseAuthkeys } from "./authkeys-parser";
import { configError, configWarning, hasErrors } from "./format-diagnostic";
import { parseHaCf } from "./ha-cf-parser";
import { parseHaresources } from "./haresources-parser";
import { defaultTwinbeatConfig, parseTwinbeatCf } from "./twinbeat-cf-parser";
import { checkMonitors } from "./monitor-directives";
import { isExecutableFile } from "../adapters/is-executable-file";
import { DEFAULT_OCF_ROOT } from "../resources/ocf-agent";
import { missingResourceFindings, type MissingResourceSeverity } from "../resources/resource-check";
import type { MachineMode, MachineProbe } from "./machine-checks";
import { checkMachine } from "./machine-checks";

/** The files of a config directory, in the order findings are reported. */
export const CONFIG_FILE_NAMES = ["ha.cf", "haresources", "authkeys", "twinbeat.cf"] as const;

/** Options for {@link loadConfigDir}. */
export interface LoadConfigDirOptions {
  /** This machine's node name (`--node-name`, else `uname -n`); compared lower-cased. */
  readonly localNode: string;
  /** Where LSB init scripts are looked for after `<configDir>/resource.d`. Default `/etc/init.d`. */
  readonly initDir?: string;
  /**
   * A resource that nothing on this machine can run: "warning" for the daemon (it starts, as
   * Heartbeat does, and that group fails when it must start), "error" for `twinbeat check`.
   */
  readonly missingResources?: MissingResourceSeverity;
  /**
   * Heartbeat's machine-dependent start-up checks (interfaces, host names, users, programs):
   * errors for `this` machine (daemon start, `twinbeat check`), warnings for `another`
   * (`--for-another-machine`), none for `skip` (the default: tools that only read the files).
   */
  readonly machine?: MachineMode;
  /** What the machine checks ask; the real system by default. */
  readonly probe?: MachineProbe;
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
  const machine = options.machine ?? "skip";
  if (haCfText !== undefined) {
    const parsed = parseHaCf(haCfText, haCfPath);
    diagnostics.push(...parsed.diagnostics);
    diagnostics.push(...checkMachine(parsed.machineFacts, machine, options.probe));
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
  diagnostics.push(
    ...checkProgramsOnDisk({
      configDir,
      initDir,
      haresourcesPath,
      twinbeatPath,
      ha,
      groups,
      twinbeat,
      missingResources: options.missingResources ?? "warning",
      machine,
    }),
  );

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
      configError({ file: files.haCfPath, line: 0 }, `node "${localNode}" (this machine, from --node-name/uname -n) is not declared by a node line in ha.cf`),
    );
  }
  return diagnostics;
}

/** Looks for what runs each resource (resources/resource-check.ts), the notify program, and respawn programs when the machine checks are off. */
function checkProgramsOnDisk(input: {
  readonly configDir: string;
  readonly initDir: string;
  readonly haresourcesPath: string;
  readonly twinbeatPath: string;
  readonly ha: HaConfig | undefined;
  readonly groups: readonly ResourceGroup[];
  readonly twinbeat: TwinbeatConfig;
  readonly missingResources: MissingResourceSeverity;
  readonly machine: MachineMode;
}): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  const dirs = { configDir: input.configDir, initDir: input.initDir, ocfRoot: DEFAULT_OCF_ROOT };
  diagnostics.push(...missingResourceFindings(input.groups, dirs, input.missingResources));
  // With the machine checks on, checkMachine reports respawn programs (as errors, like Heartbeat).
  for (const child of input.machine === "skip" ? (input.ha?.respawn ?? []) : []) {
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

function readConfigFile(file: string, name: string, diagnostics: ConfigDiagnostic[], options: { readonly optional?: boolean } = {}): string | undefined {
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
