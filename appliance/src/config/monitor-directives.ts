// twinbeat.cf's resource-monitoring lines (`monitor`, `check`, `migration_threshold`, `failure_timeout`) and their check against haresources.

import * as net from "node:net";
import type { MonitoredGroup, OnFail } from "../cluster/resource-monitor";
import type { ConfigDiagnostic, ResourceGroup, SourceLocation } from "./cluster-config";
import { configError, configWarning, didYouMean } from "./format-diagnostic";
import { parseTimeMs } from "./time-syntax";
import { isExecutableFile } from "../adapters/is-executable-file";

/** What a check looks at. */
export type CheckTarget =
  /** The resource's own status action: LSB `status`, OCF `monitor` (with OCF_CHECK_LEVEL=depth), the IP agents' built-in test. */
  | { readonly kind: "status"; readonly depth: number }
  /** GET a URL (no fork): healthy when the status is expected and the body holds `bodyContains`. */
  | {
      readonly kind: "http";
      readonly url: string;
      readonly host: string;
      readonly port: number;
      readonly path: string;
      /** Accepted status codes: exact numbers, or `2xx`-style classes as 200–299. */
      readonly expect: readonly { readonly from: number; readonly to: number }[];
      readonly bodyContains?: string;
      /** Local address the connection is bound to. */
      readonly source?: string;
    }
  /** Open a TCP connection (no fork). */
  | { readonly kind: "tcp"; readonly host: string; readonly port: number; readonly source?: string }
  /** Run a program: exit 0 = healthy (keepalived's vrrp_script). */
  | { readonly kind: "script"; readonly command: string };

/** One `monitor` or `check` line. */
export interface MonitorConfig {
  /** Unique per node: `httpd monitor`, `httpd http://127.0.0.1/` (a second identical line gets `#2`). */
  readonly id: string;
  /** The resource as written on the line (a haresources token or a resource name). */
  readonly resource: string;
  readonly target: CheckTarget;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly fall: number;
  readonly rise: number;
  readonly onFail: OnFail;
  readonly at: SourceLocation;
}

/** Defaults: a check every 2 s that may take the whole interval, acting on the first failed run, restarting in place. */
export const MONITOR_DEFAULTS = { intervalMs: 2000, fall: 1, rise: 1, onFail: "restart" as OnFail, depth: 0 };
/** Pacemaker's default migration-threshold is INFINITY; a pair of appliances is better served by moving after 3. */
export const DEFAULT_MIGRATION_THRESHOLD = 3;
/** Failures are forgotten after 10 min, so a node that failed once can serve again without an operator. */
export const DEFAULT_FAILURE_TIMEOUT_MS: number = 600_000;
/** Below this an interval is a typo (`interval=5` meant seconds is fine; `interval=5ms` is not). */
const MIN_INTERVAL_MS = 50;

const COMMON_OPTIONS = ["interval", "timeout", "fall", "rise", "on-fail"];
const MONITOR_OPTIONS = [...COMMON_OPTIONS, "depth", "OCF_CHECK_LEVEL"];
const HTTP_OPTIONS = [...COMMON_OPTIONS, "expect", "body", "source"];
const TCP_OPTIONS = [...COMMON_OPTIONS, "source"];

/**
 * Parses the rest of a `monitor RESOURCE [key=value…]` or `check RESOURCE TARGET [key=value…]`
 * line. TARGET is `http://IP[:PORT]/PATH`, `tcp://IP:PORT` or an absolute program path. Values
 * with spaces go in double quotes (`body="It works"`). Returns the monitor or the problems.
 */
export function parseMonitorLine(
  directive: "monitor" | "check",
  rest: string,
  at: SourceLocation,
): { readonly monitor?: MonitorConfig; readonly diagnostics: ConfigDiagnostic[] } {
  const diagnostics: ConfigDiagnostic[] = [];
  const words = splitQuoted(rest);
  if (words === undefined) return { diagnostics: [configError(at, `${directive}: unbalanced double quote`)] };
  const usage =
    directive === "monitor"
      ? "monitor RESOURCE [interval=2s] [timeout=T] [fall=N] [rise=N] [on-fail=restart|failover|ignore] [depth=N]"
      : "check RESOURCE http://IP[:PORT]/PATH|tcp://IP:PORT|/path/to/program [expect=200] [body=TEXT] [source=IP] [interval=T] [timeout=T] [fall=N] [rise=N] [on-fail=…]";
  const resource = words.shift();
  if (resource === undefined || resource.includes("=")) return { diagnostics: [configError(at, `${directive} needs a resource: ${usage}`)] };
  let target: CheckTarget | undefined;
  let targetText = "monitor";
  let allowed = MONITOR_OPTIONS;
  if (directive === "check") {
    const t = words.shift();
    if (t === undefined || (t.includes("=") && !t.startsWith("/") && !t.includes("://")))
      return { diagnostics: [configError(at, `check needs a target after the resource: ${usage}`)] };
    const parsed = parseTarget(t);
    if (typeof parsed === "string") return { diagnostics: [configError(at, `check target "${t}" is not valid: ${parsed}`)] };
    target = parsed;
    targetText = t;
    allowed = parsed.kind === "http" ? HTTP_OPTIONS : parsed.kind === "tcp" ? TCP_OPTIONS : COMMON_OPTIONS;
  }
  const opts = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf("=");
    const key = eq > 0 ? w.slice(0, eq) : w;
    if (eq <= 0 || !allowed.includes(key)) {
      diagnostics.push(
        configError(at, `${directive} option "${w}" is not known here${didYouMean(key, allowed)}: expected key=value, one of ${allowed.join(", ")}`),
      );
      continue;
    }
    opts.set(key, w.slice(eq + 1));
  }
  const time = (key: string): number | undefined => {
    const v = opts.get(key);
    if (v === undefined) return undefined;
    const ms = parseTimeMs(v, { allowSecondsUnit: true });
    if (ms === undefined || ms <= 0) {
      diagnostics.push(configError(at, `${directive} ${key} "${v}" is not valid: expected a time above 0 (2, 2s, 500ms)`));
      return undefined;
    }
    return ms;
  };
  const count = (key: string, dflt: number): number => {
    const v = opts.get(key);
    if (v === undefined) return dflt;
    if (!/^\d{1,4}$/.test(v) || Number(v) < 1) {
      diagnostics.push(configError(at, `${directive} ${key} "${v}" is not valid: expected a whole number from 1 to 9999`));
      return dflt;
    }
    return Number(v);
  };
  const intervalMs = time("interval") ?? MONITOR_DEFAULTS.intervalMs;
  if (intervalMs < MIN_INTERVAL_MS) diagnostics.push(configError(at, `${directive} interval ${intervalMs} ms is too short: at least ${MIN_INTERVAL_MS} ms`));
  const timeoutMs = time("timeout") ?? intervalMs;
  if (timeoutMs > intervalMs)
    diagnostics.push(
      configError(at, `${directive} timeout (${timeoutMs} ms) is longer than its interval (${intervalMs} ms): a check must end before the next is due`),
    );
  const onFailText = opts.get("on-fail") ?? MONITOR_DEFAULTS.onFail;
  if (onFailText !== "restart" && onFailText !== "failover" && onFailText !== "ignore") {
    diagnostics.push(configError(at, `${directive} on-fail "${onFailText}" is not valid: expected restart, failover or ignore`));
  }
  if (directive === "monitor") {
    const depthText = opts.get("depth") ?? opts.get("OCF_CHECK_LEVEL");
    if (depthText !== undefined && !/^\d{1,3}$/.test(depthText))
      diagnostics.push(configError(at, `monitor depth "${depthText}" is not valid: expected OCF_CHECK_LEVEL, a number such as 0, 10 or 20`));
    target = { kind: "status", depth: depthText !== undefined && /^\d{1,3}$/.test(depthText) ? Number(depthText) : MONITOR_DEFAULTS.depth };
  } else if (target?.kind === "http") {
    const expect = parseExpect(opts.get("expect") ?? "200");
    if (expect === undefined)
      diagnostics.push(configError(at, `check expect "${opts.get("expect")}" is not valid: expected status codes or classes, e.g. 200 or 200,301 or 2xx`));
    const source = opts.get("source");
    if (source !== undefined && !net.isIP(source)) diagnostics.push(configError(at, `check source "${source}" is not valid: expected a local IP address`));
    const body = opts.get("body");
    target = {
      ...target,
      expect: expect ?? [{ from: 200, to: 200 }],
      ...(body !== undefined ? { bodyContains: body } : {}),
      ...(source !== undefined ? { source } : {}),
    };
  } else if (target?.kind === "tcp") {
    const source = opts.get("source");
    if (source !== undefined && !net.isIP(source)) diagnostics.push(configError(at, `check source "${source}" is not valid: expected a local IP address`));
    if (source !== undefined) target = { ...target, source };
  }
  if (diagnostics.length > 0 || target === undefined) return { diagnostics };
  return {
    monitor: {
      id: `${resource} ${targetText}`,
      resource,
      target,
      intervalMs,
      timeoutMs,
      fall: count("fall", MONITOR_DEFAULTS.fall),
      rise: count("rise", MONITOR_DEFAULTS.rise),
      onFail: onFailText as OnFail,
      at,
    },
    diagnostics,
  };
}

/** `http://IP[:PORT]/PATH`, `tcp://IP:PORT` or `/absolute/program`; a string is the problem. */
export function parseTarget(text: string): CheckTarget | string {
  if (text.startsWith("/")) return { kind: "script", command: text };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "expected http://IP[:PORT]/PATH, tcp://IP:PORT or an absolute program path";
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol === "https:") return "https is not built in: use a script check (for example curl) for TLS";
  if (url.protocol !== "http:" && url.protocol !== "tcp:") return `unknown scheme "${url.protocol.replace(/:$/, "")}": expected http or tcp`;
  if (!net.isIP(host)) return `"${url.hostname}" is not an IP address: checks do not resolve names (no DNS on the check path)`;
  if (url.username || url.password) return "credentials in the URL are not supported";
  if (url.protocol === "tcp:") {
    if (url.port === "") return "a tcp check needs a port: tcp://IP:PORT";
    return { kind: "tcp", host, port: Number(url.port) };
  }
  return {
    kind: "http",
    url: text,
    host,
    port: url.port === "" ? 80 : Number(url.port),
    path: `${url.pathname}${url.search}`,
    expect: [{ from: 200, to: 200 }],
  };
}

function parseExpect(text: string): { from: number; to: number }[] | undefined {
  const out: { from: number; to: number }[] = [];
  for (const part of text.split(",")) {
    if (/^[1-5]\d\d$/.test(part)) out.push({ from: Number(part), to: Number(part) });
    else if (/^[1-5]xx$/i.test(part)) out.push({ from: Number(part[0]) * 100, to: Number(part[0]) * 100 + 99 });
    else return undefined;
  }
  return out.length > 0 ? out : undefined;
}

/** Splits on blanks, keeping double-quoted stretches (quotes removed); undefined when a quote is left open. */
function splitQuoted(rest: string): string[] | undefined {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quoted = false;
  for (const ch of rest) {
    if (ch === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && /[ \t\r\n\f]/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quoted) return undefined;
  if (inWord) words.push(cur);
  return words;
}

/** A monitor resolved to its group and resource token. */
export interface ResolvedMonitor {
  /** The check's id in the core and the runner: the monitor's id, `#2`… appended to repeats. */
  readonly id: string;
  readonly monitor: MonitorConfig;
  readonly groupKey: string;
  /** The resource token as in haresources. */
  readonly resourceToken: string;
}

/**
 * Finds each monitor's resource in haresources: by its exact token (`IPaddr::198.51.100.100/32`,
 * `httpd`), else by resource name (`IPaddr`, `apache`) when exactly one resource has it.
 * Unknown or ambiguous resources are errors at the monitor's line.
 */
export function resolveMonitors(
  monitors: readonly MonitorConfig[],
  groups: readonly ResourceGroup[],
): { readonly resolved: ResolvedMonitor[]; readonly diagnostics: ConfigDiagnostic[] } {
  const resolved: ResolvedMonitor[] = [];
  const diagnostics: ConfigDiagnostic[] = [];
  const all = groups.flatMap((g) => g.resources.map((r) => ({ group: g, r })));
  const seen = new Map<string, number>();
  for (const m of monitors) {
    let hits = all.filter((x) => x.r.raw === m.resource);
    if (hits.length === 0) hits = all.filter((x) => x.r.name === m.resource);
    if (hits.length === 1) {
      const n = (seen.get(m.id) ?? 0) + 1;
      seen.set(m.id, n);
      resolved.push({ id: n === 1 ? m.id : `${m.id} #${n}`, monitor: m, groupKey: hits[0]!.group.key, resourceToken: hits[0]!.r.raw });
    } else if (hits.length === 0) {
      diagnostics.push(
        configError(
          m.at,
          `resource "${m.resource}" is not in haresources${didYouMean(
            m.resource,
            all.map((x) => x.r.raw),
          )}`,
        ),
      );
    } else {
      diagnostics.push(configError(m.at, `resource "${m.resource}" is ambiguous (${hits.map((x) => x.r.raw).join(", ")}): write the whole haresources token`));
    }
  }
  return { resolved, diagnostics };
}

/** The core's view: per haresources group with monitors, its resources in order and its checks. */
export function monitoredGroups(
  resolved: readonly ResolvedMonitor[],
  groups: readonly ResourceGroup[],
  options: { readonly migrationThreshold: number; readonly failureTimeoutMs: number },
): MonitoredGroup[] {
  const out: MonitoredGroup[] = [];
  for (const g of groups) {
    const mine = resolved.filter((r) => r.groupKey === g.key);
    if (mine.length === 0) continue;
    out.push({
      key: g.key,
      resources: g.resources.map((r) => r.raw),
      migrationThreshold: options.migrationThreshold,
      failureTimeoutMs: options.failureTimeoutMs,
      checks: mine.map((r) => ({
        id: r.id,
        resource: r.resourceToken,
        intervalMs: r.monitor.intervalMs,
        timeoutMs: r.monitor.timeoutMs,
        fall: r.monitor.fall,
        rise: r.monitor.rise,
        onFail: r.monitor.onFail,
      })),
    });
  }
  return out;
}

/**
 * The cross-file findings for monitors (load-config-dir): unknown or ambiguous resources are
 * errors; a script check whose program is missing is a warning, like a missing resource script.
 */
export function checkMonitors(monitors: readonly MonitorConfig[], groups: readonly ResourceGroup[]): ConfigDiagnostic[] {
  const diagnostics = [...resolveMonitors(monitors, groups).diagnostics];
  for (const m of monitors) {
    if (m.target.kind === "script" && !isExecutableFile(m.target.command)) {
      diagnostics.push(configWarning(m.at, `check program "${m.target.command}" does not exist or is not executable`));
    }
  }
  return diagnostics;
}

/** The core's monitored groups for a loaded config (twinbeat.cf's monitors resolved against haresources). */
export function monitoredGroupsOf(config: {
  readonly groups: readonly ResourceGroup[];
  readonly twinbeat: { readonly monitors?: readonly MonitorConfig[]; readonly migrationThreshold?: number; readonly failureTimeoutMs?: number };
}): MonitoredGroup[] {
  const { resolved } = resolveMonitors(config.twinbeat.monitors ?? [], config.groups);
  return monitoredGroups(resolved, config.groups, {
    migrationThreshold: config.twinbeat.migrationThreshold ?? DEFAULT_MIGRATION_THRESHOLD,
    failureTimeoutMs: config.twinbeat.failureTimeoutMs ?? DEFAULT_FAILURE_TIMEOUT_MS,
  });
}
