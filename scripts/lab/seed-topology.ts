// The seed tutorial's two-node Heartbeat topology in a NetnsLab, and per-node /etc/ha.d dirs generated from the seed.

import * as fs from "node:fs";
import * as path from "node:path";
import { isLabAddress, macForIpv4, NetnsLab } from "./netns-lab";

// ---------------------------------------------------------------------------
// The address map: the tutorial's private networks -> RFC 5737 documentation networks.

/** Network-level map; host parts are kept (192.168.8.5 -> 198.51.100.5). */
export const SEED_NETWORKS = {
  /** eth0, 对外 (public): the VIP, the gateway and the clients live here. */
  public: { seed: "192.168.8.0/24", lab: "198.51.100.0/24", switch: "pub", ifName: "eth0", prefixLen: 24 },
  /** eth1, HA心跳 (heartbeat): ucast heartbeats and the third ping host. */
  heartbeat: { seed: "192.168.9.0/24", lab: "192.0.2.0/24", switch: "hb", ifName: "eth1", prefixLen: 24 },
} as const;

export type SeedNodeKey = "srv5" | "srv6";
export type SeedHostKey = SeedNodeKey | "client" | "gateway" | "witness";

export interface SeedAddressEntry {
  readonly seed: string;
  readonly lab: string;
  readonly host: SeedHostKey | "vip";
  readonly what: string;
}

/** Every address the tutorial uses (plus the client, which it leaves unnamed), seed -> lab. */
export const SEED_ADDRESS_MAP: readonly SeedAddressEntry[] = [
  { seed: "192.168.8.5", lab: "198.51.100.5", host: "srv5", what: "srv5 eth0 (public)" },
  { seed: "192.168.8.6", lab: "198.51.100.6", host: "srv6", what: "srv6 eth0 (public)" },
  { seed: "192.168.8.2", lab: "198.51.100.2", host: "gateway", what: "gateway (ping node)" },
  { seed: "192.168.8.100", lab: "198.51.100.100", host: "vip", what: "VIP (haresources IPaddr)" },
  { seed: "192.168.8.50", lab: "198.51.100.50", host: "client", what: "client (the tutorial's 其他PC机; no seed address)" },
  { seed: "192.168.9.5", lab: "192.0.2.5", host: "srv5", what: "srv5 eth1 (heartbeat)" },
  { seed: "192.168.9.6", lab: "192.0.2.6", host: "srv6", what: "srv6 eth1 (heartbeat)" },
  { seed: "192.168.9.7", lab: "192.0.2.7", host: "witness", what: "third host on the heartbeat net (ping node)" },
];

/** Lab addresses by role, ready for NetnsLab.connect and for tests. */
export const LAB_ADDR = {
  srv5: { eth0: "198.51.100.5", eth1: "192.0.2.5" },
  srv6: { eth0: "198.51.100.6", eth1: "192.0.2.6" },
  gateway: "198.51.100.2",
  client: "198.51.100.50",
  witness: "192.0.2.7",
  vip: "198.51.100.100",
} as const;

/** The two cluster nodes as the tutorial names them. */
export const SEED_NODES: Readonly<Record<SeedNodeKey, { fqdn: string; short: string; peer: SeedNodeKey; page: string }>> = {
  srv5: { fqdn: "srv5.localdomain", short: "srv5", peer: "srv6", page: "NodeA" },
  srv6: { fqdn: "srv6.localdomain", short: "srv6", peer: "srv5", page: "NodeB" },
};

export type NodeNaming = "short" | "fqdn";

/** The ha.cf node name for a node under the chosen naming. */
export function nodeName(node: SeedNodeKey, naming: NodeNaming): string {
  return naming === "fqdn" ? SEED_NODES[node].fqdn : SEED_NODES[node].short;
}

/** Maps one tutorial address to its lab address (host part kept); undefined when not in a seed network. */
export function mapSeedAddress(ip: string): string | undefined {
  const m = /^192\.168\.(8|9)\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  return `${m[1] === "8" ? "198.51.100" : "192.0.2"}.${m[2]}`;
}

/**
 * Rewrites every 192.168.8.x / 192.168.9.x in `text` to its lab address. Throws if any other
 * private-range IPv4 address remains (labs must never name one).
 */
export function mapSeedText(text: string): string {
  const out = text.replace(/\b192\.168\.(?:8|9)\.\d{1,3}\b/g, (ip) => mapSeedAddress(ip) ?? ip);
  const stray = /\b(10\.\d{1,3}|172\.(?:1[6-9]|2\d|3[01])|192\.168)\.\d{1,3}\.\d{1,3}\b/.exec(out);
  if (stray) throw new Error(`unmapped private address ${stray[0]} in seed text`);
  return out;
}

// ---------------------------------------------------------------------------
// Building the topology.

export interface SeedTopology {
  readonly lab: NetnsLab;
  /** ha.cf node names used (also each node's `uname -n` inside the lab). */
  readonly nodeNames: Readonly<Record<SeedNodeKey, string>>;
  readonly hosts: readonly SeedHostKey[];
  readonly switches: { readonly public: string; readonly heartbeat: string };
}

export interface SeedTopologyOptions {
  /** Node names / hostnames of srv5 and srv6: "fqdn" (srv5.localdomain, as the tutorial) or "short". Default "fqdn". */
  nodeNames?: NodeNaming;
  /** Default routes via the gateway on srv5, srv6 and client. Default true. */
  defaultRoutes?: boolean;
}

/**
 * Builds, in `lab`:
 *   switch pub (198.51.100.0/24): srv5 eth0 .5, srv6 eth0 .6, gateway eth0 .2, client eth0 .50
 *   switch hb  (192.0.2.0/24):    srv5 eth1 .5, srv6 eth1 .6, witness eth0 .7
 * MACs are derived from the addresses (02:00:<ip bytes>) so captures are readable.
 */
export async function buildSeedTopology(lab: NetnsLab, opts: SeedTopologyOptions = {}): Promise<SeedTopology> {
  const naming = opts.nodeNames ?? "fqdn";
  const routes = opts.defaultRoutes ?? true;
  const pub = SEED_NETWORKS.public;
  const hb = SEED_NETWORKS.heartbeat;
  await Promise.all([lab.addSwitch(pub.switch), lab.addSwitch(hb.switch)]);
  await Promise.all([
    lab.addHost("srv5", { hostname: nodeName("srv5", naming) }),
    lab.addHost("srv6", { hostname: nodeName("srv6", naming) }),
    lab.addHost("gateway", { forwarding: true }),
    lab.addHost("client"),
    lab.addHost("witness"),
  ]);
  const gw = routes ? { gateway: LAB_ADDR.gateway } : {};
  const cable = (host: string, ifName: string, sw: string, ip: string, extra: { gateway?: string } = {}) =>
    lab.connect(host, ifName, sw, { addresses: [`${ip}/24`], mac: macForIpv4(ip), ...extra });
  await Promise.all([
    (async () => {
      await cable("srv5", "eth0", pub.switch, LAB_ADDR.srv5.eth0, gw);
      await cable("srv5", "eth1", hb.switch, LAB_ADDR.srv5.eth1);
    })(),
    (async () => {
      await cable("srv6", "eth0", pub.switch, LAB_ADDR.srv6.eth0, gw);
      await cable("srv6", "eth1", hb.switch, LAB_ADDR.srv6.eth1);
    })(),
    cable("gateway", "eth0", pub.switch, LAB_ADDR.gateway),
    cable("client", "eth0", pub.switch, LAB_ADDR.client, gw),
    cable("witness", "eth0", hb.switch, LAB_ADDR.witness),
  ]);
  return {
    lab,
    nodeNames: { srv5: nodeName("srv5", naming), srv6: nodeName("srv6", naming) },
    hosts: ["srv5", "srv6", "gateway", "client", "witness"],
    switches: { public: pub.switch, heartbeat: hb.switch },
  };
}

// ---------------------------------------------------------------------------
// The seed's config files.

/** The three /etc/ha.d files as the tutorial gives them (srv5's ha.cf), unmapped, comments kept. */
export interface SeedConfig {
  readonly haCf: readonly string[];
  readonly haresources: readonly string[];
  readonly authkeys: readonly string[];
  /** The seed file read, or "embedded" when no seed directory was found. */
  readonly source: string;
}

/** Copy of the lines the tutorial gives, used only when the seed directory is not found. */
const EMBEDDED_SEED: Omit<SeedConfig, "source"> = {
  haCf: [
    "debugfile /var/log/ha-debug  #用于记录heartbeat的调试信息",
    "logfile /var/log/ha-log  #用于记录heartbeat的日志信息",
    "logfacility local0  #系统日志级别",
    "keepalive 2  #设定心跳(监测)间隔时间,默认单位为秒",
    "warntime 10  ##警告时间,通常为deadtime时间的一半",
    "deadtime 30  # 超出30秒未收到对方节点的心跳,则认为对方已经死亡",
    "initdead 120  #网络启动时间,至少为deadtime的两倍。",
    "hopfudge 1  #可选项:用于环状拓扑结构,在集群中总共跳跃节点的数量",
    "udpport 694  #使用udp端口694 进行心跳监测",
    "ucast eth1 192.168.9.6  #采用单播,进行心跳监测,IP为对方主机IP",
    "auto_failback on  #on表示当拥有该资源的属主恢复之后,资源迁移到属主上",
    "node srv5.localdomain  #设置集群中的节点,节点名须与uname –n相匹配",
    "node srv6.localdomain  #节点2",
    "ping 192.168.8.2 192.168.9.7  #ping集群以外的节点,这里是网关和另一台机器,用于检测网络的连接性",
    "respawn root /usr/lib/heartbeat/ipfail",
    "apiauth ipfail gid=root uid=root  #设置所指定的启动进程的权限",
  ],
  haresources: ["srv5.localdomain IPaddr::192.168.8.100/32"],
  authkeys: ["auth 1", "1 crc"],
};

/** The seed directory: `$TWINBEAT_SEED_DIR`, else the first `shared/seed` beside an ancestor of cwd or this file. */
export function findSeedDir(): string | undefined {
  const env = process.env["TWINBEAT_SEED_DIR"];
  if (env) return env;
  for (const start of [process.cwd(), __dirname]) {
    let d = path.resolve(start);
    for (;;) {
      const cand = path.join(d, "shared", "seed");
      if (fs.existsSync(cand) && fs.statSync(cand).isDirectory()) return cand;
      const up = path.dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return undefined;
}

const HA_CF_DIRECTIVE =
  /^(debugfile|logfile|logfacility|keepalive|warntime|deadtime|initdead|hopfudge|udpport|ucast|bcast|mcast|serial|baud|auto_failback|nice_failback|node|ping|ping_group|respawn|apiauth|use_logd|debug|crm|watchdog|deadping|msgfmt|uuidfrom|autojoin|compression|traditional_compression|realtime|coredumps|conn_logd_time|max_rexmit_delay|hbgenmethod|logbadpack|ucast6|mcast6)\s/;

/** Lines from `lines[from..to)` (section bounds found by heading regexes). */
function section(lines: readonly string[], start: RegExp, end: RegExp): string[] {
  const s = lines.findIndex((l) => start.test(l));
  if (s < 0) return [];
  const rest = lines.slice(s + 1);
  const e = rest.findIndex((l) => end.test(l));
  return e < 0 ? rest : rest.slice(0, e);
}

/** Extracts ha.cf, haresources and authkeys from the tutorial text. Throws if any is incomplete. */
export function parseSeedTutorial(text: string, source = "<text>"): SeedConfig {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/\s+$/, ""));
  const haCf = section(lines, /^2\.3\s*[,，]?\s*主配置文件|^2\.3\b/, /^2\.4\b/).filter((l) => HA_CF_DIRECTIVE.test(l));
  const nodes = haCf.filter((l) => /^node\s/.test(l)).map((l) => l.split(/\s+/)[1]!);
  const haresources = section(lines, /^2\.4\b/, /^2\.5\b/).filter((l) => nodes.includes(l.split(/\s+/)[0] ?? ""));
  const authkeys = section(lines, /^2\.5\b/, /^2\.6\b/).filter((l) => /^auth\s+\d+$/.test(l) || /^\d+\s+(crc|md5|sha1)\b/.test(l));
  const missing: string[] = [];
  if (!haCf.some((l) => /^ucast\s/.test(l))) missing.push("ha.cf ucast");
  if (nodes.length < 2) missing.push("ha.cf node x2");
  if (haresources.length === 0) missing.push("haresources");
  if (!authkeys.some((l) => /^auth\s/.test(l)) || authkeys.length < 2) missing.push("authkeys");
  if (missing.length) throw new Error(`${source}: seed tutorial lacks ${missing.join(", ")}`);
  return { haCf, haresources, authkeys, source };
}

/**
 * Reads the seed tutorial (the *.txt in the seed dir that has ha.cf/haresources/authkeys). With no
 * seed dir found (or `null`), the embedded copy of the same lines is used.
 */
export function loadSeedConfig(seedDir: string | null | undefined = findSeedDir()): SeedConfig {
  if (seedDir === undefined || seedDir === null) return { ...EMBEDDED_SEED, source: "embedded" };
  const files = fs
    .readdirSync(seedDir)
    .filter((f) => f.endsWith(".txt"))
    .sort();
  for (const f of files) {
    const file = path.join(seedDir, f);
    const text = fs.readFileSync(file, "utf8");
    if (text.includes("ha.cf") && text.includes("haresources") && text.includes("authkeys")) {
      return parseSeedTutorial(text, file);
    }
  }
  throw new Error(`${seedDir}: no seed tutorial with ha.cf/haresources/authkeys`);
}

export interface RenderOptions {
  /** Node names in ha.cf/haresources: "fqdn" = the seed's srv5.localdomain (default), "short" = srv5. */
  nodeNames?: NodeNaming;
  /** "keep" the tutorial's inline `#` comments (default; Heartbeat strips from `#`) or "strip" them. */
  comments?: "keep" | "strip";
  /**
   * Replace the value of ha.cf directives (inline comment kept): `{ keepalive: "200ms" }`;
   * null drops the directive's lines; an array writes one line per value.
   */
  haCfOverrides?: Record<string, string | null | readonly string[]>;
  /** Where debugfile/logfile point. Default: keep the seed's /var/log paths (writeSeedConfigs defaults to per-node dirs). */
  logDir?: string;
  /** Lines appended to ha.cf. */
  extraHaCf?: readonly string[];
  /** Lines for `twinbeat.cf` (written only when given). */
  twinbeatCf?: readonly string[];
}

export interface RenderedNodeConfig {
  readonly node: SeedNodeKey;
  readonly nodeName: string;
  readonly haCf: string;
  readonly haresources: string;
  readonly authkeys: string;
  readonly twinbeatCf?: string;
}

function splitComment(line: string): { body: string; comment: string } {
  const i = line.indexOf("#");
  if (i < 0) return { body: line, comment: "" };
  const body = line.slice(0, i).replace(/\s+$/, "");
  return { body, comment: line.slice(body.length) };
}

/**
 * One node's files from the seed: addresses mapped to the lab networks, node names as chosen, and
 * the `ucast` line pointed at the other node's heartbeat address (the tutorial's step 2.6).
 */
export function renderNodeConfig(seed: SeedConfig, node: SeedNodeKey, opts: RenderOptions = {}): RenderedNodeConfig {
  const naming = opts.nodeNames ?? "fqdn";
  const peer = SEED_NODES[node].peer;
  const names = (s: string) =>
    naming === "fqdn" ? s : s.replace(/\bsrv([56])\.localdomain\b/g, (_m, d: string) => nodeName(`srv${d}` as SeedNodeKey, naming));
  const comments = (l: string) => (opts.comments === "strip" ? splitComment(l).body : l);
  const overrides = { ...(opts.haCfOverrides ?? {}) };
  if (opts.logDir !== undefined && !("debugfile" in overrides)) overrides["debugfile"] = path.join(opts.logDir, "ha-debug");
  if (opts.logDir !== undefined && !("logfile" in overrides)) overrides["logfile"] = path.join(opts.logDir, "ha-log");

  const haLines: string[] = [];
  const done = new Set<string>();
  for (const raw of seed.haCf) {
    const line = names(mapSeedText(raw));
    const { body, comment } = splitComment(line);
    const [directive, ...args] = body.split(/\s+/);
    let outLines: string[];
    if (directive !== undefined && directive in overrides) {
      const v = overrides[directive];
      if (done.has(directive) || v === null || v === undefined) outLines = [];
      else if (typeof v === "string") outLines = [`${directive} ${v}${comment}`];
      else outLines = (v as readonly string[]).map((x) => `${directive} ${x}`);
      done.add(directive);
    } else if (directive === "ucast" && args.length >= 2) {
      // point at the peer's heartbeat address, whatever the seed node's file said
      outLines = [
        `ucast ${args[0]} ${LAB_ADDR[peer].eth1}${args
          .slice(2)
          .map((a) => ` ${a}`)
          .join("")}${comment}`,
      ];
    } else {
      outLines = [line];
    }
    haLines.push(...outLines.map(comments));
  }
  for (const [directive, v] of Object.entries(overrides)) {
    if (done.has(directive) || v === null || v === undefined) continue;
    if (typeof v === "string") haLines.push(`${directive} ${v}`);
    else haLines.push(...(v as readonly string[]).map((x) => `${directive} ${x}`));
  }
  haLines.push(...(opts.extraHaCf ?? []));

  const haresources = seed.haresources.map((l) => comments(names(mapSeedText(l))));
  const authkeys = seed.authkeys.map((l) => comments(l));
  for (const text of [...haLines, ...haresources]) {
    for (const ip of text.match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? []) {
      if (!isLabAddress(ip)) throw new Error(`${node}: non-lab address ${ip} in generated config: ${text}`);
    }
  }
  const base = {
    node,
    nodeName: nodeName(node, naming),
    haCf: haLines.join("\n") + "\n",
    haresources: haresources.join("\n") + "\n",
    authkeys: authkeys.join("\n") + "\n",
  };
  return opts.twinbeatCf !== undefined ? { ...base, twinbeatCf: opts.twinbeatCf.join("\n") + "\n" } : base;
}

export interface WriteSeedConfigsOptions extends Omit<RenderOptions, "logDir" | "twinbeatCf"> {
  /** Seed directory; default findSeedDir(); null (or none found) = the embedded copy. */
  seedDir?: string | null;
  /** Log directory per node; default `<outDir>/logs/<node>`; false = keep the seed's /var/log paths. */
  logDir?: ((node: SeedNodeKey) => string) | false;
  /** Lines for each node's twinbeat.cf (file written only when given). */
  twinbeatCf?: (node: SeedNodeKey) => readonly string[];
  /** Extra ha.cf lines per node (added after `extraHaCf`). */
  perNodeHaCf?: (node: SeedNodeKey) => readonly string[];
}

export interface SeedConfigDirs {
  /** `<outDir>/<node>`: pass as the daemon's config dir (its /etc/ha.d). */
  readonly dirs: Readonly<Record<SeedNodeKey, string>>;
  readonly logDirs: Readonly<Record<SeedNodeKey, string | undefined>>;
  readonly nodeNames: Readonly<Record<SeedNodeKey, string>>;
  readonly source: string;
}

/** Writes `<outDir>/srv5/` and `<outDir>/srv6/` with ha.cf, haresources, authkeys (0600) [, twinbeat.cf]. */
export function writeSeedConfigs(outDir: string, opts: WriteSeedConfigsOptions = {}): SeedConfigDirs {
  const seed = loadSeedConfig(opts.seedDir === undefined ? findSeedDir() : opts.seedDir);
  const dirs = {} as Record<SeedNodeKey, string>;
  const logDirs = {} as Record<SeedNodeKey, string | undefined>;
  const names = {} as Record<SeedNodeKey, string>;
  for (const node of ["srv5", "srv6"] as const) {
    const dir = path.join(outDir, node);
    const logDir = opts.logDir === false ? undefined : opts.logDir ? opts.logDir(node) : path.join(outDir, "logs", node);
    const { seedDir: _s, logDir: _l, twinbeatCf: _t, perNodeHaCf: _p, ...render } = opts;
    const r = renderNodeConfig(seed, node, {
      ...render,
      ...(logDir !== undefined ? { logDir } : {}),
      extraHaCf: [...(opts.extraHaCf ?? []), ...(opts.perNodeHaCf?.(node) ?? [])],
      ...(opts.twinbeatCf ? { twinbeatCf: opts.twinbeatCf(node) } : {}),
    });
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (logDir !== undefined) fs.mkdirSync(logDir, { recursive: true });
    fs.writeFileSync(path.join(dir, "ha.cf"), r.haCf, { mode: 0o644 });
    fs.writeFileSync(path.join(dir, "haresources"), r.haresources, { mode: 0o644 });
    const auth = path.join(dir, "authkeys");
    fs.writeFileSync(auth, r.authkeys, { mode: 0o600 });
    fs.chmodSync(auth, 0o600);
    if (r.twinbeatCf !== undefined) fs.writeFileSync(path.join(dir, "twinbeat.cf"), r.twinbeatCf, { mode: 0o644 });
    dirs[node] = dir;
    logDirs[node] = logDir;
    names[node] = r.nodeName;
  }
  return { dirs, logDirs, nodeNames: names, source: seed.source };
}
