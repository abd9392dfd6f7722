// The parsed, validated form of /etc/ha.d (ha.cf, haresources, authkeys, twinbeat.cf).

import type { NodeName } from "../cluster/time";
import type { MonitorConfig } from "./monitor-directives";

/** Where a directive came from, so every finding can name `path:line`. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

/** One problem found in a config file. Errors stop the daemon; warnings do not. */
export interface ConfigDiagnostic extends SourceLocation {
  readonly severity: "error" | "warning";
  readonly message: string;
}

/** A heartbeat medium from ha.cf: every message goes out on every medium. */
export type MediumConfig =
  | { readonly kind: "ucast"; readonly dev: string; readonly peer: string; readonly port: number; readonly at: SourceLocation }
  | { readonly kind: "bcast"; readonly dev: string; readonly port: number; readonly at: SourceLocation }
  | {
      readonly kind: "mcast";
      readonly dev: string;
      readonly group: string;
      readonly port: number;
      readonly ttl: number;
      readonly loop: boolean;
      readonly at: SourceLocation;
    };

/** A ping node: `ping host` gives one per host, `ping_group name h1 h2` one alive if any member answers. */
export interface PingNodeConfig {
  readonly name: NodeName;
  readonly kind: "ping" | "ping_group";
  readonly hosts: readonly string[];
  readonly at: SourceLocation;
}

/** A `respawn user /path args` line: a child restarted when it exits (unless with 100). */
export interface RespawnConfig {
  readonly user: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly at: SourceLocation;
}

export type AutoFailback = "on" | "off" | "legacy";

/** Everything ha.cf says that Twinbeat uses. Times are already in milliseconds. */
export interface HaConfig {
  /** Declared cluster members, lower-cased, in ha.cf order. */
  readonly nodes: readonly NodeName[];
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
  readonly warntimeMs: number;
  readonly initdeadMs: number;
  readonly deadpingMs: number;
  readonly udpPort: number;
  readonly media: readonly MediumConfig[];
  readonly pingNodes: readonly PingNodeConfig[];
  readonly autoFailback: AutoFailback;
  /** The line that decided autoFailback and how it was written there; undefined = Heartbeat's default. */
  readonly autoFailbackSource?: { readonly at: SourceLocation; readonly text: string };
  /** `stonith`/`stonith_host` lines: accepted but without effect (Twinbeat does not fence). */
  readonly stonithLines: readonly SourceLocation[];
  readonly logfile?: string;
  readonly debugfile?: string;
  /** syslog facility name (`local0`, `daemon`…); undefined or "none" = no syslog. */
  readonly logfacility?: string;
  readonly useLogd: boolean;
  readonly debugLevel: number;
  readonly respawn: readonly RespawnConfig[];
  /** `apiauth client uid=.. gid=..` lines, raw remainder by client name. */
  readonly apiauth: ReadonlyMap<string, string>;
  readonly hopfudge: number;
  readonly msgfmt: "classic" | "netstring";
  readonly hbgenmethod: "file" | "time";
  readonly uuidfrom: "file" | "nodename";
  readonly maxRexmitDelayMs: number;
  readonly logBadpack: boolean;
  readonly watchdog?: string;
  /**
   * Raw recorded values by directive name, last one wins, plus Heartbeat's default
   * strings: what `cl_status hbparameter -p NAME` prints.
   */
  readonly parameters: ReadonlyMap<string, string>;
}

/** One resource of a group: `name::arg::arg` (a bare IPv4 address is `IPaddr::addr`). */
export interface ResourceSpec {
  /** The token exactly as written in haresources (bare IP stays short: it is the group key form). */
  readonly raw: string;
  /** Script or agent name (`IPaddr`, `httpd`, `OCF`…); `IPaddr` for the bare-IP shorthand. */
  readonly name: string;
  readonly args: readonly string[];
}

/** One haresources line: the home (preferred) node and its resources, started left to right. */
export interface ResourceGroup {
  readonly homeNode: NodeName;
  /** The first resource token as written: the group's identity in messages. */
  readonly key: string;
  readonly resources: readonly ResourceSpec[];
  readonly at: SourceLocation;
}

export type AuthMethod = "crc" | "md5" | "sha1";

export interface AuthKey {
  readonly method: AuthMethod;
  /** Absent for crc. */
  readonly key?: string;
}

/** authkeys: the index used to sign what we send, and every index we accept. */
export interface AuthKeys {
  readonly activeIndex: number;
  readonly keys: ReadonlyMap<number, AuthKey>;
}

/** Twinbeat-only settings from `<config-dir>/twinbeat.cf` (same syntax as ha.cf). */
export interface TwinbeatConfig {
  /** `status_http ADDRESS:PORT`; undefined = status page off. */
  readonly statusHttp?: { readonly address: string; readonly port: number };
  /** `notify /path/script`: run on every takeover/release with (group, state, node). */
  readonly notify?: string;
  /** `resource_timeout 30s`: how long one resource script may run. */
  readonly resourceTimeoutMs: number;
  /** `monitor` and `check` lines (resource monitoring), in file order; resolved against haresources by load-config-dir. */
  readonly monitors?: readonly MonitorConfig[];
  /** `migration_threshold N`: failures within failure_timeout after which a group moves [3]. */
  readonly migrationThreshold?: number;
  /** `failure_timeout T`: how long a monitor failure counts [10min]; 0 = until reset. */
  readonly failureTimeoutMs?: number;
  /** Raw values for every key given, for display. */
  readonly parameters: ReadonlyMap<string, string>;
}

/** The whole configuration directory, parsed. */
export interface ClusterConfig {
  readonly configDir: string;
  readonly localNode: NodeName;
  readonly ha: HaConfig;
  readonly groups: readonly ResourceGroup[];
  readonly authKeys: AuthKeys;
  readonly twinbeat: TwinbeatConfig;
}

/** The result of reading a config directory: the config when there are no errors, and all findings. */
export interface ConfigLoadResult {
  readonly config?: ClusterConfig;
  readonly diagnostics: readonly ConfigDiagnostic[];
}
