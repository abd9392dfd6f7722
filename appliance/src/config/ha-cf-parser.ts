// Parses and checks ha.cf (spec §1): Heartbeat's lexical rules, every 3.0.6 directive, defaults and startup checks.

import * as net from "node:net";
import type { NodeName } from "../cluster/time";
import { normalizeNodeName } from "../cluster/time";
import type { AutoFailback, ConfigDiagnostic, HaConfig, MediumConfig, PingNodeConfig, RespawnConfig, SourceLocation } from "./cluster-config";
import { isBuiltinIpfail } from "./builtin-agents";
import { HA_CF_DEFAULTS, HA_CF_PARAMETER_DEFAULTS } from "./ha-cf-defaults";
import type { MachineFacts } from "./machine-checks";
import { configError, configWarning, didYouMean, hasErrors } from "./format-diagnostic";
import { BOOLEAN_WORDS, formatMs, hasSecondsUnit, isDetachedUnit, parseBoolean, parseInteger, parseTimeMs } from "./time-syntax";

// ---------------------------------------------------------------------------------------
// Lexical layer, shared with twinbeat.cf (spec §1.1)
// ---------------------------------------------------------------------------------------

/** One non-blank ha.cf line: its directive and what follows. */
export interface ConfigLine {
  /** 1-based physical line number. */
  readonly line: number;
  /** The first word, case-sensitive. */
  readonly directive: string;
  /** The rest of the line after the directive and the delimiters that follow it; comment removed. */
  readonly rest: string;
}

/** Heartbeat's WHITESPACE set. */
const WHITESPACE = " \t\n\r\f";
/** Heartbeat's DELIMS set: option-list values are split on these (note the comma). */
const DELIMS = ", \t\n\r\f";

/**
 * Splits config text the way Heartbeat's `parse_config` reads ha.cf: leading whitespace is
 * skipped, a `#` anywhere starts a comment, the line ends at the first CR or LF, blank lines
 * are dropped, and the first word is the directive.
 */
export function splitConfigLines(text: string): ConfigLine[] {
  const lines: ConfigLine[] = [];
  const physical = text.split("\n");
  for (let i = 0; i < physical.length; i++) {
    let body = skipChars(physical[i] ?? "", WHITESPACE);
    const hash = body.indexOf("#");
    if (hash >= 0) {
      body = body.slice(0, hash);
    }
    const cr = body.search(/[\r\n]/);
    if (cr >= 0) {
      body = body.slice(0, cr);
    }
    if (body === "") {
      continue;
    }
    const end = spanUntil(body, WHITESPACE);
    lines.push({ line: i + 1, directive: body.slice(0, end), rest: skipChars(body.slice(end), DELIMS) });
  }
  return lines;
}

/** Splits an option-list remainder into values: on space, tab, comma, CR, LF and FF. */
export function splitOptionValues(rest: string): string[] {
  return rest.split(/[, \t\n\r\f]+/).filter((token) => token !== "");
}

/** Splits a whole-line remainder into words: on whitespace only (commas stay in words). */
export function splitWords(rest: string): string[] {
  return rest.split(/[ \t\n\r\f]+/).filter((token) => token !== "");
}

function skipChars(text: string, set: string): string {
  let i = 0;
  while (i < text.length && set.includes(text[i]!)) {
    i++;
  }
  return text.slice(i);
}

function spanUntil(text: string, set: string): number {
  let i = 0;
  while (i < text.length && !set.includes(text[i]!)) {
    i++;
  }
  return i;
}

// ---------------------------------------------------------------------------------------
// Directive table
// ---------------------------------------------------------------------------------------

/** Heartbeat's MAXNODE: normal nodes and ping nodes together. */
export const MAX_NODES = 100;
/** Heartbeat's compiled-in UDP port when /etc/services has no `ha-cluster` entry. */
export const DEFAULT_UDP_PORT = HA_CF_DEFAULTS.udpPort;
/** Below this, initdead draws Heartbeat's "may be too small" warning. */
const INITDEAD_WARN_BELOW_MS = 10_000;

/** What `apiauth` grants when ha.cf does not say otherwise (Heartbeat's built-in table). */
const DEFAULT_APIAUTH: ReadonlyArray<readonly [string, string]> = [
  ["ipfail", "uid=hacluster"],
  ["ccm", "uid=hacluster"],
  ["ping", "gid=haclient"],
  ["lha-snmpagent", "uid=root"],
  ["anon", "uid=root gid=haclient"],
];

const SYSLOG_FACILITIES: ReadonlySet<string> = new Set([
  "auth",
  "authpriv",
  "cron",
  "daemon",
  "ftp",
  "kern",
  "lpr",
  "mail",
  "news",
  "syslog",
  "user",
  "uucp",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
]);

const BAUD_RATES: ReadonlySet<number> = new Set([9600, 19200, 38400, 57600, 115200, 230400, 460800]);

/** The mutable state built while reading ha.cf, turned into a HaConfig at the end. */
interface HaCfReader {
  readonly file: string;
  readonly diagnostics: ConfigDiagnostic[];
  readonly parameters: Map<string, string>;
  /** Where each directive was last given, for messages about computed checks. */
  readonly lastSeen: Map<string, SourceLocation>;
  readonly nodes: Array<{ readonly name: NodeName; readonly at: SourceLocation }>;
  readonly pingNodes: PingNodeConfig[];
  readonly media: MediumConfig[];
  readonly respawn: RespawnConfig[];
  readonly apiauth: Map<string, { readonly spec: string; readonly at: SourceLocation }>;
  nodeLimitReported: boolean;
  keepaliveMs: number;
  deadtimeMs: number;
  warntimeMs?: number;
  initdeadMs?: number;
  deadpingMs?: number;
  udpPort: number;
  /** The port the bcast plugin latched when it met its first line (spec §1.2 udpport). */
  bcastPort?: number;
  /** The port the ucast plugin latched when it met its first line. */
  ucastPort?: number;
  firstPortMediumAt?: SourceLocation;
  autoFailback: AutoFailback;
  /** True once auto_failback or nice_failback was given. */
  autoFailbackGiven: boolean;
  /** The line that last set the mode, and how it was spelled there (for messages and --explain). */
  autoFailbackAt?: SourceLocation;
  autoFailbackText?: string;
  stonithAt?: SourceLocation[];
  logfile?: string;
  debugfile?: string;
  logfacility?: string;
  useLogd?: boolean;
  debugLevel: number;
  hopfudge: number;
  msgfmt: "classic" | "netstring";
  hbgenmethod: "file" | "time";
  uuidfrom: "file" | "nodename";
  maxRexmitDelayMs: number;
  logBadpack: boolean;
  watchdog?: string;
  baudGiven: boolean;
  autojoin: string;
  pacemakerAt?: SourceLocation;
}

/** A directive whose values are handled one at a time (split on space, tab and comma). */
interface OptionDirective {
  readonly kind: "option";
  /** Heartbeat records the raw value for `cl_status hbparameter` when the handler succeeds. */
  readonly recorded: boolean;
  /** Heartbeat's default string for `cl_status hbparameter`, filled in when not given. */
  /** Set when Twinbeat accepts the directive but ignores it: why, for the warning. */
  readonly noEffect?: string;
  /** Returns false (after adding an error) when the value is refused. */
  readonly apply: (r: HaCfReader, value: string, at: SourceLocation) => boolean;
}

/** A directive that gets the rest of the line as one string. */
interface LineDirective {
  readonly kind: "line";
  readonly noEffect?: string;
  readonly apply?: (r: HaCfReader, rest: string, at: SourceLocation) => void;
}

type Directive = OptionDirective | LineDirective;

const NO_FENCING =
  "Twinbeat does not fence nodes (STONITH), so this pair has no fencing at all: when the nodes lose each other, both may run the resources at once, which with DRBD or a shared disk can corrupt data (rely on DRBD's own fencing, redundant heartbeat links and ping nodes)";

const PACEMAKER_ONLY = "it is a Pacemaker (CRM) setting and Twinbeat only runs haresources";

/** Every ha.cf directive of Heartbeat 3.0.6 as built by Debian (spec §1.2), and what Twinbeat does with it. */
const DIRECTIVES: Readonly<Record<string, Directive>> = {
  // --- cluster membership and timing (used) ---
  node: option({ recorded: false, apply: addNormalNode }),
  keepalive: option({ apply: (r, v, at) => setTime(r, "keepalive", v, at, 1, (ms) => (r.keepaliveMs = ms)) }),
  deadtime: option({ apply: (r, v, at) => setTime(r, "deadtime", v, at, 0, (ms) => (r.deadtimeMs = ms)) }),
  warntime: option({ apply: (r, v, at) => setTime(r, "warntime", v, at, 1, (ms) => (r.warntimeMs = ms)) }),
  initdead: option({ apply: (r, v, at) => setTime(r, "initdead", v, at, 0, (ms) => (r.initdeadMs = ms)) }),
  deadping: option({ apply: (r, v, at) => setTime(r, "deadping", v, at, 0, (ms) => (r.deadpingMs = ms)) }),
  udpport: option({ apply: setUdpPort }),
  auto_failback: option({ apply: setAutoFailback }),
  nice_failback: option({ recorded: false, apply: setNiceFailback }),
  hopfudge: option({ apply: (r, v, at) => setIntInRange(r, "hopfudge", v, at, 0, 255, (n) => (r.hopfudge = n)) }),
  autojoin: option({ apply: setAutojoin }),
  cluster: option({ apply: () => true }),

  // --- media and ping nodes (used, except IPv6 and serial) ---
  bcast: option({ recorded: false, apply: addBcast }),
  mcast: { kind: "line", apply: addMcast },
  ucast: { kind: "line", apply: addUcast },
  ping: option({ recorded: false, apply: addPingNode }),
  ping_group: { kind: "line", apply: addPingGroup },
  mcast6: { kind: "line", noEffect: "Twinbeat has no IPv6 heartbeat media yet, so this link is not used" },
  ucast6: { kind: "line", noEffect: "Twinbeat has no IPv6 heartbeat media yet, so this link is not used" },
  ping6: option({ recorded: false, noEffect: "Twinbeat has no IPv6 ping nodes yet, so this ping node is not used", apply: () => true }),
  serial: option({ recorded: false, noEffect: "Twinbeat has no serial heartbeat medium, so this link is not used", apply: () => true }),
  baud: option({ noEffect: "Twinbeat has no serial heartbeat medium", apply: setBaud }),

  // --- logging (used) ---
  logfacility: option({ apply: setLogFacility }),
  logfile: option({
    apply: (r, v) => {
      r.logfile = v;
      return true;
    },
  }),
  debugfile: option({
    apply: (r, v) => {
      r.debugfile = v;
      return true;
    },
  }),
  use_logd: option({ apply: (r, v, at) => setBoolean(r, "use_logd", v, at, (b) => (r.useLogd = b)) }),
  debug: option({ apply: (r, v, at) => setIntInRange(r, "debug", v, at, 0, 255, (n) => (r.debugLevel = n)) }),
  log_badpack: option({ apply: (r, v, at) => setBoolean(r, "log_badpack", v, at, (b) => (r.logBadpack = b)) }),
  conn_logd_time: option({
    noEffect: "Twinbeat does not keep a reconnecting ha_logd client",
    apply: (r, v, at) => setTime(r, "conn_logd_time", v, at, 1, () => undefined),
  }),
  syslogmsgfmt: option({
    noEffect: "Twinbeat writes its log files in its own format",
    apply: (r, v, at) => setBoolean(r, "syslogmsgfmt", v, at, () => undefined),
  }),

  // --- protocol details (used) ---
  msgfmt: option({ apply: (r, v, at) => setChoice(r, "msgfmt", v, at, ["classic", "netstring"], (c) => (r.msgfmt = c)) }),
  hbgenmethod: option({ apply: (r, v, at) => setChoice(r, "hbgenmethod", v, at, ["file", "time"], (c) => (r.hbgenmethod = c)) }),
  uuidfrom: option({ apply: (r, v, at) => setChoice(r, "uuidfrom", v, at, ["file", "nodename"], (c) => (r.uuidfrom = c)) }),
  max_rexmit_delay: option({
    apply: (r, v, at) => setIntInRange(r, "max_rexmit_delay", v, at, 1, Number.MAX_SAFE_INTEGER, (n) => (r.maxRexmitDelayMs = n)),
  }),
  watchdog: option({ apply: setWatchdog }),

  // --- whole-line directives ---
  respawn: { kind: "line", apply: addRespawn },
  apiauth: { kind: "line", apply: addApiauth },
  failfast: { kind: "line", noEffect: "Twinbeat does not start failfast programs (use respawn)" },
  stonith: { kind: "line", noEffect: NO_FENCING, apply: noteStonith },
  stonith_host: { kind: "line", noEffect: NO_FENCING, apply: noteStonith },

  // --- accepted, validated, without effect in Twinbeat ---
  realtime: option({ noEffect: "Twinbeat does not use realtime scheduling", apply: (r, v, at) => setBoolean(r, "realtime", v, at, () => undefined) }),
  rtprio: option({ noEffect: "Twinbeat does not use realtime scheduling", apply: (r, v, at) => setIntInRange(r, "rtprio", v, at, 1, 99, () => undefined) }),
  memreserve: option({
    noEffect: "Twinbeat does not pre-allocate memory",
    apply: (r, v, at) => setIntInRange(r, "memreserve", v, at, 1, Number.MAX_SAFE_INTEGER, () => undefined),
  }),
  coredumps: option({ noEffect: "Twinbeat leaves core dumps to the system settings", apply: (r, v, at) => setBoolean(r, "coredumps", v, at, () => undefined) }),
  coreroot: option({ noEffect: "Twinbeat leaves core dumps to the system settings", apply: () => true }),
  use_apphbd: option({
    recorded: false,
    noEffect: "Twinbeat does not register with apphbd",
    apply: (r, v, at) => setBoolean(r, "use_apphbd", v, at, () => undefined),
  }),
  env: option({ recorded: false, noEffect: "Twinbeat does not pass HA_ variables to respawned programs", apply: checkEnv }),
  compression: option({
    noEffect: "Twinbeat never compresses messages (a Pacemaker-era feature)",
    apply: (r, v, at) => setChoice(r, "compression", v, at, ["zlib", "bz2"], () => undefined),
  }),
  compression_threshold: option({
    noEffect: "Twinbeat never compresses messages (a Pacemaker-era feature)",
    apply: (r, v, at) => setIntInRange(r, "compression_threshold", v, at, 1, Number.MAX_SAFE_INTEGER, () => undefined),
  }),
  traditional_compression: option({
    noEffect: "Twinbeat never compresses messages (a Pacemaker-era feature)",
    apply: (r, v, at) => setBoolean(r, "traditional_compression", v, at, () => undefined),
  }),
  quorum_server: option({ noEffect: PACEMAKER_ONLY, apply: () => true }),
  crm_daemon_dir: option({ noEffect: PACEMAKER_ONLY, apply: (r, _v, at) => checkBeforePacemaker(r, "crm_daemon_dir", at) }),
  crmd_spawns_pengine: option({
    noEffect: PACEMAKER_ONLY,
    apply: (r, v, at) => checkBeforePacemaker(r, "crmd_spawns_pengine", at) && setBoolean(r, "crmd_spawns_pengine", v, at, () => undefined),
  }),
  record_config_changes: option({ noEffect: PACEMAKER_ONLY, apply: (r, v, at) => setBoolean(r, "record_config_changes", v, at, () => undefined) }),
  record_pengine_inputs: option({ noEffect: PACEMAKER_ONLY, apply: (r, v, at) => setBoolean(r, "record_pengine_inputs", v, at, () => undefined) }),
  enable_config_writes: option({ noEffect: PACEMAKER_ONLY, apply: (r, v, at) => setBoolean(r, "enable_config_writes", v, at, () => undefined) }),
  pacemaker: option({ apply: (r, v, at) => setPacemaker(r, "pacemaker", v, at) }),
  // `crm` is recorded under `pacemaker` by its handler, as in Heartbeat.
  crm: option({ recorded: false, apply: (r, v, at) => setPacemaker(r, "crm", v, at) }),
};

/** Directives Heartbeat's source knows but Debian's 3.0.6 does not build: "Illegal directive" there too. */
const NOT_BUILT: Readonly<Record<string, string>> = {
  normalpoll: "Debian's Heartbeat 3.0.6 is built without it and Twinbeat does not have it either",
  hbaping: "Debian's Heartbeat 3.0.6 does not build the hbaping medium and Twinbeat does not have it (use bcast, mcast or ucast)",
  rds: "Debian's Heartbeat 3.0.6 does not build the rds medium and Twinbeat does not have it (use bcast, mcast or ucast)",
  tipc: "Debian's Heartbeat 3.0.6 does not build the tipc medium and Twinbeat does not have it (use bcast, mcast or ucast)",
};

/** Every directive name ha.cf accepts, for other parsers' hints. */
export const HA_CF_DIRECTIVE_NAMES: readonly string[] = Object.keys(DIRECTIVES);

function option(spec: { recorded?: boolean; noEffect?: string; apply: OptionDirective["apply"] }): OptionDirective {
  return { ...spec, kind: "option", recorded: spec.recorded ?? true };
}

// ---------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------

/** What {@link parseHaCf} found. */
export interface HaCfParseResult {
  /** The configuration, present only when ha.cf has no errors. */
  readonly ha?: HaConfig;
  /** Names declared by `node` lines (lower-cased), even when ha.cf has errors, to check haresources against. */
  readonly declaredNodes: readonly NodeName[];
  /** Media, ping nodes and respawn lines read, even when ha.cf has errors, for the machine checks. */
  readonly machineFacts: MachineFacts;
  readonly diagnostics: readonly ConfigDiagnostic[];
}

/**
 * Parses ha.cf text (no file access). `path` is only used to label findings.
 * Applies Heartbeat's defaults and startup checks (spec §1.2, §1.3), except the check that
 * this machine is a declared node, which needs the local node name (see load-config-dir).
 *
 * @example
 * const { ha, diagnostics } = parseHaCf("keepalive 2\ndeadtime 30\nbcast eth1\nnode a b\nauto_failback on\n", "/etc/ha.d/ha.cf");
 * // ha.deadtimeMs === 30000, ha.warntimeMs === 15000, diagnostics is empty
 */
export function parseHaCf(text: string, path: string): HaCfParseResult {
  const r = newReader(path);
  for (const line of splitConfigLines(text)) {
    readLine(r, line);
  }
  const ha = finish(r);
  return {
    ha: hasErrors(r.diagnostics) ? undefined : ha,
    declaredNodes: r.nodes.map((n) => n.name),
    machineFacts: { media: r.media, pingNodes: r.pingNodes, respawn: r.respawn },
    diagnostics: r.diagnostics,
  };
}

function newReader(file: string): HaCfReader {
  return {
    file,
    diagnostics: [],
    parameters: new Map(),
    lastSeen: new Map(),
    nodes: [],
    pingNodes: [],
    media: [],
    respawn: [],
    apiauth: new Map(),
    nodeLimitReported: false,
    keepaliveMs: HA_CF_DEFAULTS.keepaliveMs,
    deadtimeMs: HA_CF_DEFAULTS.deadtimeMs,
    udpPort: HA_CF_DEFAULTS.udpPort,
    autoFailback: HA_CF_DEFAULTS.autoFailback,
    autoFailbackGiven: false,
    debugLevel: HA_CF_DEFAULTS.debugLevel,
    hopfudge: HA_CF_DEFAULTS.hopfudge,
    msgfmt: HA_CF_DEFAULTS.msgfmt,
    hbgenmethod: HA_CF_DEFAULTS.hbgenmethod,
    uuidfrom: HA_CF_DEFAULTS.uuidfrom,
    maxRexmitDelayMs: HA_CF_DEFAULTS.maxRexmitDelayMs,
    logBadpack: HA_CF_DEFAULTS.logBadpack,
    baudGiven: false,
    autojoin: HA_CF_DEFAULTS.autojoin,
  };
}

function readLine(r: HaCfReader, line: ConfigLine): void {
  const at: SourceLocation = { file: r.file, line: line.line };
  let name = line.directive;
  if (name === "udp") {
    r.diagnostics.push(configWarning(at, 'udp is the old name of bcast and is read as bcast: write "bcast" instead'));
    name = "bcast";
  }
  const notBuilt = NOT_BUILT[name];
  if (notBuilt !== undefined) {
    r.diagnostics.push(configError(at, `Illegal directive "${name}": ${notBuilt}`));
    return;
  }
  const directive = Object.prototype.hasOwnProperty.call(DIRECTIVES, name) ? DIRECTIVES[name] : undefined;
  if (directive === undefined) {
    r.diagnostics.push(configError(at, `Illegal directive "${name}"${didYouMean(name, HA_CF_DIRECTIVE_NAMES)}`));
    return;
  }
  r.lastSeen.set(name, at);
  if (directive.noEffect !== undefined) {
    r.diagnostics.push(configWarning(at, `${name} has no effect in Twinbeat: ${directive.noEffect}`));
  }
  if (directive.kind === "line") {
    directive.apply?.(r, line.rest, at);
    return;
  }
  const values = splitOptionValues(line.rest);
  if (values.length === 0) {
    r.diagnostics.push(configError(at, `${name} has no value`));
    return;
  }
  for (const value of values) {
    if (directive.apply(r, value, at) && directive.recorded) {
      r.parameters.set(name, value);
    }
  }
}

/** Applies defaults and Heartbeat's startup checks, then builds the HaConfig (used only if error-free). */
function finish(r: HaCfReader): HaConfig {
  const fileAt: SourceLocation = { file: r.file, line: 0 };
  const where = (name: string): SourceLocation => r.lastSeen.get(name) ?? fileAt;
  const given = (name: string): boolean => r.lastSeen.has(name);
  // A time as the file spells it ("4", "4000ms"), with its meaning when the spelling has no unit.
  const spelled = (name: string, ms: number): string => {
    const raw = given(name) ? r.parameters.get(name) : undefined;
    return raw === undefined ? formatMs(ms) : raw === formatMs(ms) ? raw : `${raw} (${describeMs(ms)})`;
  };

  for (const [name, value] of Object.entries(HA_CF_PARAMETER_DEFAULTS)) {
    if (!r.parameters.has(name)) {
      r.parameters.set(name, value);
    }
  }
  if (!r.parameters.has("debug")) {
    r.parameters.set("debug", String(r.debugLevel));
  }

  if (r.media.length === 0) {
    r.diagnostics.push(configError(fileAt, "no heartbeat media: add a bcast, mcast or ucast line"));
  }
  if (r.nodes.length === 0) {
    r.diagnostics.push(configError(fileAt, "no nodes: add a node line naming every cluster member as uname -n prints it"));
  }

  const keepaliveMs = r.keepaliveMs;
  const deadtimeMs = r.deadtimeMs;
  if (deadtimeMs <= 2 * keepaliveMs) {
    const at = given("deadtime") ? where("deadtime") : where("keepalive");
    const deadtime = given("deadtime") ? spelled("deadtime", deadtimeMs) : `${formatMs(deadtimeMs)} (the default)`;
    r.diagnostics.push(
      configError(at, `deadtime ${deadtime} is too small compared to keepalive ${spelled("keepalive", keepaliveMs)}: it must be more than twice keepalive`),
    );
  }

  const warntimeMs = r.warntimeMs ?? Math.floor(deadtimeMs / 2);
  if (r.warntimeMs === undefined) {
    r.parameters.set("warntime", formatMs(warntimeMs));
  } else if (warntimeMs >= deadtimeMs) {
    r.diagnostics.push(
      configWarning(
        where("warntime"),
        `warntime ${spelled("warntime", warntimeMs)} is not smaller than deadtime ${spelled("deadtime", deadtimeMs)}: no late-heartbeat warning will ever be logged`,
      ),
    );
  }

  let initdeadMs = r.initdeadMs;
  if (initdeadMs === undefined) {
    initdeadMs = deadtimeMs > 10_000 ? deadtimeMs : deadtimeMs < 6000 ? 12_000 : 2 * deadtimeMs;
    r.parameters.set("initdead", formatMs(initdeadMs));
  }
  if (initdeadMs < deadtimeMs) {
    r.diagnostics.push(
      configError(
        where("initdead"),
        `initdead ${spelled("initdead", initdeadMs)} is smaller than deadtime ${spelled("deadtime", deadtimeMs)}: it must be at least deadtime`,
      ),
    );
  } else if (initdeadMs < INITDEAD_WARN_BELOW_MS) {
    r.diagnostics.push(
      configWarning(
        where("initdead"),
        `initdead ${spelled("initdead", initdeadMs)} may be too small: it gives the network time to come up at boot and should be at least 10 seconds`,
      ),
    );
  }

  let deadpingMs = r.deadpingMs;
  if (deadpingMs === undefined) {
    deadpingMs = deadtimeMs;
    r.parameters.set("deadping", formatMs(deadpingMs));
  } else if (deadpingMs <= 2 * keepaliveMs) {
    r.diagnostics.push(
      configError(
        where("deadping"),
        `deadping ${spelled("deadping", deadpingMs)} is too small compared to keepalive ${spelled("keepalive", keepaliveMs)}: it must be more than twice keepalive`,
      ),
    );
  }

  if (!r.parameters.has("udpport")) {
    r.parameters.set("udpport", String(DEFAULT_UDP_PORT));
  }

  if (r.autojoin !== "none") {
    r.diagnostics.push(
      configError(where("autojoin"), `autojoin ${r.autojoin} conflicts with haresources: nodes must be declared by node lines (write autojoin none)`),
    );
  }

  if (!r.autoFailbackGiven) {
    r.diagnostics.push(
      configWarning(
        fileAt,
        "auto_failback not set: Heartbeat's default 'legacy' is deprecated and disables hb_standby and ipfail (write auto_failback on or off)",
      ),
    );
  }

  // ipfail (spec §5) asks the peer to take resources over when it sees more ping nodes.
  const ipfail = r.respawn.find((child) => isBuiltinIpfail(child.command));
  if (ipfail !== undefined) {
    if (r.autoFailback === "legacy") {
      r.diagnostics.push(
        configWarning(ipfail.at, "ipfail does nothing with auto_failback legacy: it exits at once in legacy mode (write auto_failback on or off)"),
      );
    }
    if (r.pingNodes.length === 0) {
      r.diagnostics.push(configWarning(ipfail.at, "ipfail does nothing without ping nodes: add a ping or ping_group line"));
    }
  }

  // Logging (Heartbeat's check_logd_usage): logd is implied when nothing else is set.
  const syslogOn = r.logfacility !== undefined && r.logfacility !== "none" && r.logfacility !== "kern";
  let useLogd = r.useLogd;
  if (r.logfile === undefined && r.debugfile === undefined && !syslogOn) {
    if (useLogd === undefined) {
      useLogd = true;
      r.parameters.set("use_logd", "yes");
    } else if (!useLogd) {
      r.diagnostics.push(configError(where("use_logd"), "no log target: logfile, debugfile and logfacility are unset and use_logd is off (set one of them)"));
    }
  }
  if (syslogOn) {
    if (r.logfile === undefined) {
      r.parameters.set("logfile", "/dev/null");
    }
    if (r.debugfile === undefined) {
      r.parameters.set("debugfile", "/dev/null");
    }
  }

  const apiauth = new Map<string, string>();
  for (const [client, entry] of r.apiauth) {
    apiauth.set(client, entry.spec);
  }
  for (const [client, spec] of DEFAULT_APIAUTH) {
    if (!apiauth.has(client)) {
      apiauth.set(client, spec);
    }
  }

  return {
    nodes: r.nodes.map((n) => n.name),
    keepaliveMs,
    deadtimeMs,
    warntimeMs,
    initdeadMs,
    deadpingMs,
    udpPort: r.udpPort,
    media: r.media,
    pingNodes: r.pingNodes,
    autoFailback: r.autoFailback,
    ...(r.autoFailbackAt !== undefined ? { autoFailbackSource: { at: r.autoFailbackAt, text: r.autoFailbackText ?? r.autoFailback } } : {}),
    stonithLines: [...(r.stonithAt ?? [])],
    logfile: r.logfile,
    debugfile: r.debugfile,
    logfacility: r.logfacility,
    useLogd: useLogd ?? false,
    debugLevel: r.debugLevel,
    respawn: r.respawn,
    apiauth,
    hopfudge: r.hopfudge,
    msgfmt: r.msgfmt,
    hbgenmethod: r.hbgenmethod,
    uuidfrom: r.uuidfrom,
    maxRexmitDelayMs: r.maxRexmitDelayMs,
    logBadpack: r.logBadpack,
    watchdog: r.watchdog,
    parameters: r.parameters,
  };
}

// ---------------------------------------------------------------------------------------
// Value handlers
// ---------------------------------------------------------------------------------------

/** "4 seconds", "1.5 seconds", "500 milliseconds": a time in words for messages. */
export function describeMs(ms: number): string {
  if (ms % 1000 === 0) {
    return `${ms / 1000} second${ms === 1000 ? "" : "s"}`;
  }
  return ms >= 1000 ? `${ms / 1000} seconds` : `${ms} milliseconds`;
}

function fail(r: HaCfReader, at: SourceLocation, message: string): false {
  r.diagnostics.push(configError(at, message));
  return false;
}

function setTime(r: HaCfReader, name: string, value: string, at: SourceLocation, minimumMs: number, store: (ms: number) => void): boolean {
  const ms = parseTimeMs(value);
  if (ms === undefined) {
    return fail(r, at, `${name} value "${value}" is not a valid time: ${timeHint(value)}`);
  }
  if (ms < minimumMs) {
    return fail(r, at, `${name} value "${value}" is too small: it must be more than 0`);
  }
  store(ms);
  return true;
}

/** Explains Heartbeat's time syntax, tailored to the usual mistakes. */
export function timeHint(value: string): string {
  if (hasSecondsUnit(value)) {
    return 'Heartbeat has no "s" unit, a number without unit is already seconds (write 30, 0.5 or 500ms)';
  }
  if (isDetachedUnit(value)) {
    return "a unit must be glued to its number (500ms, not 500 ms) and a number without unit is seconds";
  }
  return "expected seconds (2, 0.5) or a number with ms or us glued to it (500ms)";
}

function setBoolean(r: HaCfReader, name: string, value: string, at: SourceLocation, store: (b: boolean) => void): boolean {
  const b = parseBoolean(value);
  if (b === undefined) {
    return fail(r, at, `${name} value "${value}" is not a boolean: expected ${BOOLEAN_WORDS}`);
  }
  store(b);
  return true;
}

function setIntInRange(r: HaCfReader, name: string, value: string, at: SourceLocation, min: number, max: number, store: (n: number) => void): boolean {
  const n = parseInteger(value);
  if (n === undefined || n < min || n > max) {
    const expected = max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
    return fail(r, at, `${name} value "${value}" is not valid: expected ${expected}`);
  }
  store(n);
  return true;
}

function setChoice<T extends string>(
  r: HaCfReader,
  name: string,
  value: string,
  at: SourceLocation,
  choices: readonly T[],
  store: (choice: T) => void,
): boolean {
  const choice = choices.find((c) => c === value);
  if (choice === undefined) {
    return fail(r, at, `${name} value "${value}" is not valid: expected ${orList(choices)}`);
  }
  store(choice);
  return true;
}

function orList(words: readonly string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

function addNormalNode(r: HaCfReader, value: string, at: SourceLocation): boolean {
  const name = normalizeNodeName(value);
  if (!claimNodeName(r, name, "node", at)) {
    return false;
  }
  r.nodes.push({ name, at });
  return true;
}

/** Checks a new node or ping node name against the others and the node limit. */
function claimNodeName(r: HaCfReader, name: NodeName, kind: "node" | "ping node", at: SourceLocation): boolean {
  const node = r.nodes.find((n) => n.name === name);
  const ping = r.pingNodes.find((p) => p.name === name);
  if (node !== undefined) {
    return fail(
      r,
      at,
      kind === "node"
        ? `node "${name}" is declared twice (first at line ${node.at.line})`
        : `"${name}" is declared both as a node (line ${node.at.line}) and as a ping node`,
    );
  }
  if (ping !== undefined) {
    return fail(
      r,
      at,
      kind === "node"
        ? `"${name}" is declared both as a ping node (line ${ping.at.line}) and as a node`
        : `ping node "${name}" is declared twice (first at line ${ping.at.line})`,
    );
  }
  if (r.nodes.length + r.pingNodes.length >= MAX_NODES) {
    if (!r.nodeLimitReported) {
      r.nodeLimitReported = true;
      return fail(r, at, `too many nodes: Heartbeat allows at most ${MAX_NODES}, ping nodes included`);
    }
    return false;
  }
  return true;
}

function setUdpPort(r: HaCfReader, value: string, at: SourceLocation): boolean {
  const port = parseInteger(value);
  if (port === undefined || port < 1 || port > 65535) {
    return fail(r, at, `udpport value "${value}" is not a port number: expected 1 to 65535`);
  }
  r.udpPort = port;
  const latched = [r.bcastPort, r.ucastPort].find((p) => p !== undefined && p !== port);
  if (latched !== undefined && r.firstPortMediumAt !== undefined) {
    r.diagnostics.push(
      configWarning(
        at,
        `udpport ${port} comes after the bcast/ucast line at line ${r.firstPortMediumAt.line}, which keeps port ${latched}: put udpport before the media lines`,
      ),
    );
  }
  return true;
}

function setAutoFailback(r: HaCfReader, value: string, at: SourceLocation): boolean {
  const b = parseBoolean(value);
  if (b !== undefined) {
    r.autoFailback = b ? "on" : "off";
  } else if (value.toLowerCase() === "legacy") {
    r.autoFailback = "legacy";
    r.diagnostics.push(configWarning(at, "auto_failback legacy is deprecated: it disables hb_standby and ipfail (write auto_failback on or off)"));
  } else {
    return fail(r, at, `auto_failback value "${value}" is not valid: expected on, off or legacy`);
  }
  r.autoFailbackGiven = true;
  r.autoFailbackAt = at;
  r.autoFailbackText = value;
  return true;
}

/**
 * Heartbeat's set_nice_failback (spec §1.2): what a valid `nice_failback` value means depends on
 * the lines before it, not on the value. If an earlier auto_failback (or nice_failback) line left
 * a boolean mode (on/off), Heartbeat logs "'nice_failback X' has been changed to 'auto_failback
 * off'" and runs with failback off, ipfail and hb_standby working; otherwise it reads the line
 * as auto_failback legacy.
 */
function setNiceFailback(r: HaCfReader, value: string, at: SourceLocation): boolean {
  if (parseBoolean(value) === undefined) {
    return fail(r, at, `nice_failback value "${value}" is not a boolean: expected ${BOOLEAN_WORDS}`);
  }
  const earlier = r.autoFailbackAt;
  if (r.autoFailback !== "legacy" && earlier !== undefined) {
    r.autoFailback = "off";
    r.diagnostics.push(
      configWarning(
        at,
        `nice_failback is obsolete: after the auto_failback ${r.autoFailbackText} at line ${earlier.line}, Heartbeat reads "nice_failback ${value}" as auto_failback off (whatever its value), so failback is off (write auto_failback off instead)`,
      ),
    );
  } else {
    r.autoFailback = "legacy";
    r.diagnostics.push(
      configWarning(
        at,
        `nice_failback is obsolete: with no auto_failback on/off before it, Heartbeat reads "nice_failback ${value}" as auto_failback legacy whatever its value, which disables hb_standby and ipfail (write auto_failback on or off instead)`,
      ),
    );
  }
  r.autoFailbackGiven = true;
  r.autoFailbackAt = at;
  r.autoFailbackText = `${r.autoFailback} (from nice_failback ${value})`;
  return true;
}

function noteStonith(r: HaCfReader, _rest: string, at: SourceLocation): void {
  (r.stonithAt ??= []).push(at);
}

function setAutojoin(r: HaCfReader, value: string, at: SourceLocation): boolean {
  const lower = value.toLowerCase();
  if (lower !== "none" && lower !== "other" && lower !== "any") {
    return fail(r, at, `autojoin value "${value}" is not valid: expected none, other or any`);
  }
  r.autojoin = lower;
  return true;
}

function setBaud(r: HaCfReader, value: string, at: SourceLocation): boolean {
  if (r.baudGiven) {
    return fail(r, at, "baud is given more than once: Heartbeat accepts a single baud value");
  }
  r.baudGiven = true;
  const rate = parseInteger(value);
  if (rate === undefined || !BAUD_RATES.has(rate)) {
    return fail(r, at, `baud value "${value}" is not a serial speed: expected 9600, 19200, 38400, 57600, 115200, 230400 or 460800`);
  }
  return true;
}

function setLogFacility(r: HaCfReader, value: string, at: SourceLocation): boolean {
  if (value !== "none" && !SYSLOG_FACILITIES.has(value)) {
    return fail(
      r,
      at,
      `logfacility value "${value}" is not a syslog facility: expected none, auth, authpriv, cron, daemon, ftp, kern, local0 to local7, lpr, mail, news, syslog, user or uucp`,
    );
  }
  r.logfacility = value;
  return true;
}

function setWatchdog(r: HaCfReader, value: string, at: SourceLocation): boolean {
  if (r.watchdog !== undefined) {
    return fail(r, at, `watchdog is given more than once: Heartbeat accepts a single watchdog device (already "${r.watchdog}")`);
  }
  r.watchdog = value;
  return true;
}

function checkEnv(r: HaCfReader, value: string, at: SourceLocation): boolean {
  if (!/^[^=]+=/.test(value)) {
    return fail(r, at, `env value "${value}" is not valid: expected NAME=value`);
  }
  return true;
}

function checkBeforePacemaker(r: HaCfReader, name: string, at: SourceLocation): boolean {
  if (r.pacemakerAt !== undefined) {
    return fail(r, at, `${name} must come before the pacemaker line (line ${r.pacemakerAt.line})`);
  }
  return true;
}

const PACEMAKER_MODES: ReadonlySet<string> = new Set(["respawn", "minimal", "manual", "ccm-only", "valgrind"]);

/**
 * `pacemaker` (and its old name `crm`). Twinbeat is haresources-only, so anything that would
 * enable Pacemaker is an error rather than a silently ignored line: Heartbeat would stop
 * running haresources altogether.
 */
function setPacemaker(r: HaCfReader, name: "pacemaker" | "crm", value: string, at: SourceLocation): boolean {
  if (r.pacemakerAt !== undefined) {
    return fail(r, at, `${name} is given more than once (first at line ${r.pacemakerAt.line}): Heartbeat accepts pacemaker or crm once`);
  }
  r.pacemakerAt = at;
  const enabled = PACEMAKER_MODES.has(value.toLowerCase()) ? true : parseBoolean(value);
  if (enabled === undefined) {
    return fail(r, at, `${name} value "${value}" is not valid: expected off (or on, respawn, minimal, manual, ccm-only, valgrind, which Twinbeat refuses)`);
  }
  if (enabled) {
    return fail(
      r,
      at,
      `${name} ${value} enables Pacemaker, which Twinbeat does not provide: Twinbeat only runs haresources (remove the line or write ${name} off)`,
    );
  }
  r.parameters.set("pacemaker", value);
  return true;
}

// --- media ---

/** The port a bcast/ucast medium uses: the udpport in force when the plugin met its first line. */
function latchPort(r: HaCfReader, kind: "bcast" | "ucast", at: SourceLocation): number {
  if (r.firstPortMediumAt === undefined) {
    r.firstPortMediumAt = at;
  }
  if (kind === "bcast") {
    r.bcastPort ??= r.udpPort;
    return r.bcastPort;
  }
  r.ucastPort ??= r.udpPort;
  return r.ucastPort;
}

function addBcast(r: HaCfReader, dev: string, at: SourceLocation): boolean {
  const same = r.media.find((m) => m.kind === "bcast" && m.dev === dev);
  if (same !== undefined) {
    // Heartbeat opens one broadcast medium per interface (a `udp` line is an old bcast line).
    r.diagnostics.push(configWarning(at, `bcast ${dev} is already a medium (line ${same.at.line}): Heartbeat and Twinbeat use it once`));
    return true;
  }
  r.media.push({ kind: "bcast", dev, port: latchPort(r, "bcast", at), at });
  return true;
}

function addUcast(r: HaCfReader, rest: string, at: SourceLocation): void {
  const words = splitWords(rest);
  const [dev, peer] = words;
  if (dev === undefined) {
    r.diagnostics.push(configError(at, 'ucast needs a device and a peer: expected "ucast DEV PEER"'));
    return;
  }
  if (peer === undefined) {
    r.diagnostics.push(configError(at, `ucast ${dev} has no peer: expected "ucast ${dev} PEER" with the other node's address`));
    return;
  }
  if (net.isIPv6(peer)) {
    r.diagnostics.push(configError(at, `ucast peer "${peer}" is an IPv6 address: ucast is IPv4 only (and Twinbeat has no ucast6 yet)`));
    return;
  }
  if (!net.isIPv4(peer) && !isHostName(peer)) {
    r.diagnostics.push(configError(at, `ucast peer "${peer}" is not an IPv4 address or host name`));
    return;
  }
  if (words.length > 2) {
    r.diagnostics.push(configWarning(at, `ucast ${dev} ${peer}: extra argument "${words.slice(2).join(" ")}" ignored: ucast takes one peer per line`));
  }
  r.media.push({ kind: "ucast", dev, peer, port: latchPort(r, "ucast", at), at });
}

function addMcast(r: HaCfReader, rest: string, at: SourceLocation): void {
  const words = splitWords(rest);
  if (words.length !== 5) {
    r.diagnostics.push(configError(at, `mcast needs 5 arguments (DEV GROUP PORT TTL LOOP), got ${words.length}: expected e.g. "mcast eth0 225.0.0.1 694 1 0"`));
    return;
  }
  const [dev, group, portText, ttlText, loopText] = words as [string, string, string, string, string];
  let ok = true;
  if (!isIPv4Multicast(group)) {
    ok = fail(r, at, `mcast group "${group}" is not an IPv4 multicast address: expected 224.0.0.0 to 239.255.255.255`);
  }
  const port = parseInteger(portText);
  if (port === undefined || port < 1 || port > 65535) {
    ok = fail(r, at, `mcast port "${portText}" is not valid: expected 1 to 65535`);
  }
  const ttl = parseInteger(ttlText);
  if (ttl === undefined || ttl > 4) {
    ok = fail(r, at, `mcast ttl "${ttlText}" is out of range: expected 0 to 4 (Heartbeat refuses more)`);
  }
  if (loopText !== "0" && loopText !== "1") {
    ok = fail(r, at, `mcast loop "${loopText}" is not valid: expected 0 or 1`);
  }
  if (ok) {
    r.media.push({ kind: "mcast", dev, group, port: port!, ttl: ttl!, loop: loopText === "1", at });
  }
}

function isIPv4Multicast(text: string): boolean {
  if (!net.isIPv4(text)) {
    return false;
  }
  const first = Number(text.split(".")[0]);
  return first >= 224 && first <= 239;
}

function isHostName(text: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(text);
}

function addPingNode(r: HaCfReader, host: string, at: SourceLocation): boolean {
  const name = normalizeNodeName(host);
  if (!claimNodeName(r, name, "ping node", at)) {
    return false;
  }
  r.pingNodes.push({ name, kind: "ping", hosts: [host], at });
  return true;
}

function addPingGroup(r: HaCfReader, rest: string, at: SourceLocation): void {
  const [group, ...hosts] = splitWords(rest);
  if (group === undefined) {
    r.diagnostics.push(configError(at, 'ping_group needs a name and at least one host: expected "ping_group NAME HOST..."'));
    return;
  }
  if (hosts.length === 0) {
    r.diagnostics.push(configError(at, `ping_group "${group}" has no hosts: expected "ping_group ${group} HOST..."`));
    return;
  }
  const name = normalizeNodeName(group);
  if (claimNodeName(r, name, "ping node", at)) {
    r.pingNodes.push({ name, kind: "ping_group", hosts, at });
  }
}

// --- whole-line directives ---

function addRespawn(r: HaCfReader, rest: string, at: SourceLocation): void {
  const [user, command, ...args] = splitWords(rest);
  if (user === undefined || command === undefined) {
    r.diagnostics.push(configError(at, 'respawn needs a user and a program: expected "respawn USER /path/to/program [ARGS]"'));
    return;
  }
  if (!command.startsWith("/")) {
    r.diagnostics.push(configError(at, `respawn program "${command}" is not an absolute path: write its full path (e.g. /usr/lib/heartbeat/${command})`));
    return;
  }
  r.respawn.push({ user, command, args, at });
}

function addApiauth(r: HaCfReader, rest: string, at: SourceLocation): void {
  const syntax = 'expected "apiauth CLIENT uid=USER[,USER] gid=GROUP[,GROUP]" with uid= or gid= or both';
  const [client, ...words] = splitWords(rest);
  if (client === undefined) {
    r.diagnostics.push(configError(at, `apiauth needs a client name: ${syntax}`));
    return;
  }
  const seen = new Set<string>();
  for (const word of words) {
    const key = word.startsWith("uid=") ? "uid=" : word.startsWith("gid=") ? "gid=" : undefined;
    if (key === undefined) {
      r.diagnostics.push(configError(at, `apiauth ${client}: "${word}" is not uid=LIST or gid=LIST: ${syntax}`));
      return;
    }
    if (seen.has(key)) {
      r.diagnostics.push(configError(at, `apiauth ${client} gives ${key} twice: ${syntax}`));
      return;
    }
    seen.add(key);
  }
  if (seen.size === 0) {
    r.diagnostics.push(configError(at, `apiauth ${client} gives neither uid= nor gid=: ${syntax}`));
    return;
  }
  const previous = r.apiauth.get(client);
  if (previous !== undefined) {
    r.diagnostics.push(configError(at, `apiauth for client "${client}" is given twice (first at line ${previous.at.line})`));
    return;
  }
  r.apiauth.set(client, { spec: words.join(" "), at });
}
