// What a reload changes: compares the running configuration with the re-read one, section by section.

import { isBuiltinIpfail } from "../config/builtin-agents";
import type { ClusterConfig } from "../config/cluster-config";

export interface ReloadPlan {
  /** The configuration to run from now on: the new one, less what cannot change live. */
  readonly config: ClusterConfig;
  /** Sections that changed and are applied (for the log line). */
  readonly changed: readonly string[];
  /** Changes that cannot be applied while running (logged, left as they were). */
  readonly notLive: readonly string[];
  readonly mediaChanged: boolean;
  readonly pingChanged: boolean;
  /** status_http or notify: the status service is restarted. */
  readonly statusChanged: boolean;
  /** Group definitions or resource_timeout: a new group runner (once no operation runs). */
  readonly runnerChanged: boolean;
  /** Monitors (twinbeat.cf) or the groups they watch: new checks. */
  readonly monitorsChanged: boolean;
}

/** JSON without source locations and with Maps as entry lists: equal text = same setting. */
function same(a: unknown, b: unknown): boolean {
  const text = (v: unknown) =>
    JSON.stringify(v, (key, value: unknown) => (key === "at" ? undefined : value instanceof Map ? [...value.entries()].sort() : value));
  return text(a) === text(b);
}

/**
 * Decides what a reload applies. Live: authkeys (every key is accepted, the `auth` one
 * signs), media, ping nodes, timings, nodes, groups, auto_failback, logging, msgfmt,
 * hopfudge, the status page, notify, resource_timeout and resource monitors. Not live (kept as they were,
 * logged): hbgenmethod and uuidfrom (they decide the identity read at start) and
 * `respawn` programs other than ipfail (children run under the supervisor started once).
 */
export function reloadPlan(prev: ClusterConfig, next: ClusterConfig): ReloadPlan {
  const p = prev.ha;
  const n = next.ha;
  const changed: string[] = [];
  const notLive: string[] = [];
  const note = (name: string, differs: boolean) => {
    if (differs) changed.push(name);
    return differs;
  };
  note("authkeys", !same(prev.authKeys, next.authKeys));
  const mediaChanged = note("media", !same(p.media, n.media));
  const pingChanged = note("ping nodes", !same(p.pingNodes, n.pingNodes) || (p.keepaliveMs !== n.keepaliveMs && p.pingNodes.length > 0));
  note(
    "timings",
    !same(
      [p.keepaliveMs, p.deadtimeMs, p.warntimeMs, p.initdeadMs, p.deadpingMs, p.maxRexmitDelayMs],
      [n.keepaliveMs, n.deadtimeMs, n.warntimeMs, n.initdeadMs, n.deadpingMs, n.maxRexmitDelayMs],
    ),
  );
  note("nodes", !same(p.nodes, n.nodes));
  const groupsChanged = note("haresources", !same(prev.groups, next.groups));
  note("auto_failback", p.autoFailback !== n.autoFailback);
  note("logging", !same([p.logfile, p.debugfile, p.logfacility, p.debugLevel], [n.logfile, n.debugfile, n.logfacility, n.debugLevel]));
  note("message format", p.msgfmt !== n.msgfmt || p.hopfudge !== n.hopfudge || p.logBadpack !== n.logBadpack);
  const statusChanged = note("status page", !same([prev.twinbeat.statusHttp, prev.twinbeat.notify], [next.twinbeat.statusHttp, next.twinbeat.notify]));
  const timeoutChanged = note("resource_timeout", prev.twinbeat.resourceTimeoutMs !== next.twinbeat.resourceTimeoutMs);
  const monitorsChanged = note("monitors", !same(prev.twinbeat.monitors ?? [], next.twinbeat.monitors ?? [])) || groupsChanged;
  const ipfail = (c: ClusterConfig) => c.ha.respawn.some((r) => isBuiltinIpfail(r.command));
  note("ipfail", ipfail(prev) !== ipfail(next));
  const programs = (c: ClusterConfig) => c.ha.respawn.filter((r) => !isBuiltinIpfail(r.command));
  const keepRespawn = !same(programs(prev), programs(next));
  if (keepRespawn) notLive.push("respawn programs");
  if (p.hbgenmethod !== n.hbgenmethod) notLive.push("hbgenmethod");
  if (p.uuidfrom !== n.uuidfrom) notLive.push("uuidfrom");
  const ha = {
    ...n,
    hbgenmethod: p.hbgenmethod,
    uuidfrom: p.uuidfrom,
    // ipfail is live (the core runs it); other programs stay as they were.
    respawn: keepRespawn ? [...n.respawn.filter((r) => isBuiltinIpfail(r.command)), ...programs(prev)] : n.respawn,
  };
  return {
    config: { ...next, ha },
    changed,
    notLive,
    mediaChanged,
    pingChanged,
    statusChanged,
    monitorsChanged,
    runnerChanged:
      groupsChanged || timeoutChanged || !same([p.logfile, p.debugfile, p.logfacility, p.debugLevel], [n.logfile, n.debugfile, n.logfacility, n.debugLevel]),
  };
}
