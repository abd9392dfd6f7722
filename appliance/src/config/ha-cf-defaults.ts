// Heartbeat 3.0.6's ha.cf defaults in one table: the values the parser starts from, and the text each parameter reports when ha.cf leaves it out.

import type { Millis } from "../cluster/time";

/** The typed values ha-cf-parser.ts starts from (Heartbeat's compiled-in defaults, spec §1.2). */
export const HA_CF_DEFAULTS = {
  keepaliveMs: 1000 as Millis,
  deadtimeMs: 30_000 as Millis,
  /** Heartbeat's compiled-in UDP port when /etc/services has no `ha-cluster` entry. */
  udpPort: 694,
  /** Heartbeat's default, warned about (it is neither on nor off). */
  autoFailback: "legacy",
  hopfudge: 1,
  msgfmt: "classic",
  hbgenmethod: "file",
  uuidfrom: "file",
  maxRexmitDelayMs: 250 as Millis,
  logBadpack: true,
  autojoin: "none",
  debugLevel: 0,
} as const;

/**
 * The value of each option's parameter (what `cl_status hbparameter -p NAME` prints) when ha.cf
 * does not give it, by directive name, in Heartbeat's own words. Options missing here have no
 * value unless given (warntime, initdead and use_logd are derived in the parser's finish()).
 */
export const HA_CF_PARAMETER_DEFAULTS: Readonly<Record<string, string>> = {
  // used by Twinbeat: from the typed table above
  keepalive: `${HA_CF_DEFAULTS.keepaliveMs}ms`,
  deadtime: `${HA_CF_DEFAULTS.deadtimeMs}ms`,
  auto_failback: HA_CF_DEFAULTS.autoFailback,
  hopfudge: String(HA_CF_DEFAULTS.hopfudge),
  autojoin: HA_CF_DEFAULTS.autojoin,
  log_badpack: String(HA_CF_DEFAULTS.logBadpack),
  msgfmt: HA_CF_DEFAULTS.msgfmt,
  hbgenmethod: HA_CF_DEFAULTS.hbgenmethod,
  uuidfrom: HA_CF_DEFAULTS.uuidfrom,
  max_rexmit_delay: String(HA_CF_DEFAULTS.maxRexmitDelayMs),
  pacemaker: "false",
  // accepted without effect in Twinbeat, reported as Heartbeat would
  cluster: "linux-ha",
  baud: "19200",
  conn_logd_time: "60",
  syslogmsgfmt: "true",
  realtime: "true",
  memreserve: "6500",
  coredumps: "true",
  compression: "zlib",
  compression_threshold: "2",
  traditional_compression: "no",
  record_config_changes: "on",
  record_pengine_inputs: "on",
  enable_config_writes: "on",
};
