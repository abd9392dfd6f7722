// Parses twinbeat.cf, Twinbeat's own settings file (ha.cf syntax; keys Heartbeat does not know).

import * as net from "node:net";
import type { ConfigDiagnostic, SourceLocation, TwinbeatConfig } from "./cluster-config";
import { configError, didYouMean } from "./format-diagnostic";
import { HA_CF_DIRECTIVE_NAMES, splitConfigLines, splitOptionValues } from "./ha-cf-parser";
import { parseTimeMs } from "./time-syntax";
import { DEFAULT_FAILURE_TIMEOUT_MS, DEFAULT_MIGRATION_THRESHOLD, parseMonitorLine, type MonitorConfig } from "./monitor-directives";

/** What {@link parseTwinbeatCf} found. */
export interface TwinbeatCfParseResult {
  /** Always present: defaults stand in for anything missing or refused (see diagnostics). */
  readonly twinbeat: TwinbeatConfig;
  readonly diagnostics: readonly ConfigDiagnostic[];
}

/** How long one resource script may run when twinbeat.cf does not say. */
export const DEFAULT_RESOURCE_TIMEOUT_MS: number = 60_000;

/** The settings being built; each directive handler fills in its part. */
interface TwinbeatCfDraft {
  statusHttp?: { readonly address: string; readonly port: number };
  notify?: string;
  resourceTimeoutMs: number;
  monitors: MonitorConfig[];
  migrationThreshold: number;
  failureTimeoutMs: number;
}

/** One twinbeat.cf key: what it expects (for messages) and how it stores a value. */
interface TwinbeatDirective {
  /** Returns an explanation when the value is refused ("expected …"), else undefined. */
  readonly apply: (draft: TwinbeatCfDraft, value: string) => string | undefined;
}

/**
 * twinbeat.cf keys. To add one: add a field to TwinbeatConfig (optional, or with a default
 * in {@link newDraft}), an entry here, and a line in {@link toConfig}.
 */
const TWINBEAT_DIRECTIVES: Readonly<Record<string, TwinbeatDirective>> = {
  /** `status_http ADDRESS:PORT`: serve the status page there (`127.0.0.1:8080`, `[::1]:8080`). */
  status_http: {
    apply: (draft, value) => {
      const parsed = parseListenAddress(value);
      if (parsed === undefined) {
        return "expected IPV4:PORT or [IPV6]:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:8080)";
      }
      draft.statusHttp = parsed;
      return undefined;
    },
  },
  /** `notify /path/script`: run on every takeover and release. */
  notify: {
    apply: (draft, value) => {
      if (!value.startsWith("/")) {
        return "expected an absolute path to a program";
      }
      draft.notify = value;
      return undefined;
    },
  },
  /** `resource_timeout TIME`: how long one resource script may run (`90`, `90s`, `1500ms`). */
  resource_timeout: {
    apply: (draft, value) => {
      const ms = parseTimeMs(value, { allowSecondsUnit: true });
      if (ms === undefined || ms <= 0) {
        return "expected a time above 0 (90, 90s or 1500ms)";
      }
      draft.resourceTimeoutMs = ms;
      return undefined;
    },
  },
  /** `migration_threshold N`: monitor failures within failure_timeout after which a group moves (Pacemaker's migration-threshold). */
  migration_threshold: {
    apply: (draft, value) => {
      if (!/^\d{1,4}$/.test(value) || Number(value) < 1) {
        return "expected a whole number from 1 to 9999";
      }
      draft.migrationThreshold = Number(value);
      return undefined;
    },
  },
  /** `failure_timeout TIME`: how long a monitor failure counts (Pacemaker's failure-timeout; `10min`, `600`, `0` = until reset). */
  failure_timeout: {
    apply: (draft, value) => {
      const ms = parseFailureTimeout(value);
      if (ms === undefined) {
        return "expected a time (600, 600s, 10min, 1h), or 0 for until reset";
      }
      draft.failureTimeoutMs = ms;
      return undefined;
    },
  },
};

/** Lines parsed whole by monitor-directives.ts (resource first, then key=value options), not value by value. */
const MONITOR_LINE_DIRECTIVES = ["monitor", "check"] as const;

/** failure_timeout also takes minutes and hours, as Pacemaker's does. */
function parseFailureTimeout(value: string): number | undefined {
  const long = /^(\d+)(min|m|h)$/.exec(value);
  if (long) return Number(long[1]) * (long[2] === "h" ? 3_600_000 : 60_000);
  if (value === "0") return 0;
  const ms = parseTimeMs(value, { allowSecondsUnit: true });
  return ms === undefined || ms <= 0 ? undefined : ms;
}

/** Every twinbeat.cf key, for hints. */
export const TWINBEAT_CF_DIRECTIVE_NAMES: readonly string[] = [...Object.keys(TWINBEAT_DIRECTIVES), ...MONITOR_LINE_DIRECTIVES];

function newDraft(): TwinbeatCfDraft {
  return {
    resourceTimeoutMs: DEFAULT_RESOURCE_TIMEOUT_MS,
    monitors: [],
    migrationThreshold: DEFAULT_MIGRATION_THRESHOLD,
    failureTimeoutMs: DEFAULT_FAILURE_TIMEOUT_MS,
  };
}

function toConfig(draft: TwinbeatCfDraft, parameters: ReadonlyMap<string, string>): TwinbeatConfig {
  return {
    statusHttp: draft.statusHttp,
    notify: draft.notify,
    resourceTimeoutMs: draft.resourceTimeoutMs,
    monitors: draft.monitors,
    migrationThreshold: draft.migrationThreshold,
    failureTimeoutMs: draft.failureTimeoutMs,
    parameters,
  };
}

/** The settings used when there is no twinbeat.cf. */
export function defaultTwinbeatConfig(): TwinbeatConfig {
  return toConfig(newDraft(), new Map());
}

/**
 * Parses twinbeat.cf text (no file access). Same lexical rules as ha.cf: `#` comments,
 * values split on space, tab and comma, each handled in turn, the last one winning.
 */
export function parseTwinbeatCf(text: string, path: string): TwinbeatCfParseResult {
  const diagnostics: ConfigDiagnostic[] = [];
  const draft = newDraft();
  const parameters = new Map<string, string>();
  for (const line of splitConfigLines(text)) {
    const at: SourceLocation = { file: path, line: line.line };
    const name = line.directive;
    if (name === "monitor" || name === "check") {
      const parsed = parseMonitorLine(name, line.rest, at);
      diagnostics.push(...parsed.diagnostics);
      if (parsed.monitor) draft.monitors.push(parsed.monitor);
      continue;
    }
    const directive = Object.prototype.hasOwnProperty.call(TWINBEAT_DIRECTIVES, name) ? TWINBEAT_DIRECTIVES[name] : undefined;
    if (directive === undefined) {
      const hint = HA_CF_DIRECTIVE_NAMES.includes(name) ? ": it belongs in ha.cf, not twinbeat.cf" : didYouMean(name, TWINBEAT_CF_DIRECTIVE_NAMES);
      diagnostics.push(configError(at, `Illegal directive "${name}"${hint}`));
      continue;
    }
    const values = splitOptionValues(line.rest);
    if (values.length === 0) {
      diagnostics.push(configError(at, `${name} has no value`));
      continue;
    }
    for (const value of values) {
      const problem = directive.apply(draft, value);
      if (problem === undefined) {
        parameters.set(name, value);
      } else {
        diagnostics.push(configError(at, `${name} value "${value}" is not valid: ${problem}`));
      }
    }
  }
  return { twinbeat: toConfig(draft, parameters), diagnostics };
}

/** Parses `1.2.3.4:80` or `[::1]:80`; undefined when either part is invalid. */
export function parseListenAddress(text: string): { readonly address: string; readonly port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(text);
  if (match === null) {
    return undefined;
  }
  const v6 = match[1];
  const v4 = match[2];
  const port = Number(match[3]);
  if (port < 1 || port > 65535) {
    return undefined;
  }
  if (v6 !== undefined) {
    return net.isIPv6(v6) ? { address: v6, port } : undefined;
  }
  return v4 !== undefined && net.isIPv4(v4) ? { address: v4, port } : undefined;
}
