// NetnsLab: throw-away hosts in network namespaces, bridges as switches, cable pulls and packet loss, always cleaned up.

import { ChildProcess, execFile, execFileSync, spawn, StdioOptions } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as readline from "node:readline";
import { availablePings } from "./ping-implementations";

// ---------------------------------------------------------------------------
// Address rules: the lab only ever uses documentation ranges.

/** The only IPv4 ranges a lab may assign (RFC 5737 documentation networks). */
export const LAB_IPV4_RANGES: readonly string[] = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];
/** The only IPv6 range a lab may assign (RFC 3849 documentation prefix). */
export const LAB_IPV6_RANGE = "2001:db8::/32";

/** True when `ip` (no prefix length) is inside the lab's allowed documentation ranges. */
export function isLabAddress(ip: string): boolean {
  if (net.isIPv4(ip)) {
    return /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$/.test(ip);
  }
  if (net.isIPv6(ip)) {
    const blocks = new net.BlockList();
    blocks.addSubnet("2001:db8::", 32, "ipv6");
    return blocks.check(ip, "ipv6");
  }
  return false;
}

/** Throws unless `cidr` is `address/len` with an address from the lab ranges. */
export function assertLabCidr(cidr: string): void {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) throw new Error(`lab address must be address/prefixlen, got ${JSON.stringify(cidr)}`);
  const ip = m[1]!;
  const len = Number(m[2]);
  const max = net.isIPv4(ip) ? 32 : 128;
  if (len > max) throw new Error(`bad prefix length in ${cidr}`);
  if (!isLabAddress(ip)) {
    throw new Error(`${cidr}: labs may only use ${LAB_IPV4_RANGES.join(", ")} (and ${LAB_IPV6_RANGE} for IPv6)`);
  }
}

// ---------------------------------------------------------------------------
// Public types.

export interface LabHost {
  /** Lab-local name (`srv5`). */
  readonly name: string;
  /** The network namespace (`tb1234ab-srv5`): usable with `ip -n` / `ip netns exec`. */
  readonly netns: string;
  /** What `uname -n` prints for processes started through the lab; undefined = the machine's. */
  readonly hostname?: string;
}

export interface LabSwitch {
  readonly name: string;
  /** The switch's own namespace, holding the bridge and one port per connected cable. */
  readonly netns: string;
  readonly bridge: string;
}

export interface LabLink {
  readonly host: string;
  /** The interface name inside the host (`eth0`). */
  readonly ifName: string;
  readonly switch: string;
  /** The bridge port (veth end) inside the switch namespace. */
  readonly port: string;
  readonly addresses: readonly string[];
  readonly mac: string;
}

export interface AddHostOptions {
  /** `uname -n` for processes run via exec/spawn/httpGet (a private UTS namespace each). Default: the host's name; false = leave alone. */
  hostname?: string | false;
  /** Enable IPv4 forwarding (a router/gateway). Default false. */
  forwarding?: boolean;
  /** Disable IPv6 entirely in this host. Default false (IPv6 on, DAD off). */
  disableIpv6?: boolean;
  /** Extra/overriding sysctls, `{"net.ipv4.conf.all.accept_local": "0"}`. */
  sysctls?: Record<string, string | number>;
}

export interface ConnectOptions {
  /** `198.51.100.5/24`, `2001:db8::5/64`: only lab ranges are accepted. */
  addresses?: readonly string[];
  /** Add a default route via this address (must be on-link through one of `addresses`). */
  gateway?: string;
  /** Fixed MAC for the host side, e.g. `02:00:c6:33:64:05`. Default: random. */
  mac?: string;
  mtu?: number;
}

export interface ExecOptions {
  /** Kill (SIGKILL, whole process group) after this long. Default 10 s. */
  timeoutMs?: number;
  /** Written to stdin, then stdin is closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Throw when the command fails (non-zero, signal or timeout). Default false. */
  check?: boolean;
}

export interface ExecResult {
  /** Exit code; null when killed by a signal (see `signal`). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * "pipe" (default): stdout/stderr are piped and also kept (the last `keepOutputBytes`),
   * readable with `outputOf(proc)`; "ignore"; "inherit" (shows in the test's output).
   */
  stdio?: "pipe" | "ignore" | "inherit";
  /** Append stdout+stderr to this file instead (overrides `stdio`). */
  logFile?: string;
  /** How much piped output to keep per process. Default 256 KiB. */
  keepOutputBytes?: number;
}

export interface LabAddress {
  readonly ifName: string;
  readonly family: "inet" | "inet6";
  readonly address: string;
  readonly prefixLen: number;
  /** `address/prefixLen` */
  readonly cidr: string;
  readonly scope: string;
  /** IPv4 label (`eth0:0` for a Heartbeat-style alias), when set. */
  readonly label?: string;
  readonly tentative: boolean;
}

export interface HttpResult {
  /** A response arrived with a 2xx status. */
  readonly ok: boolean;
  /** HTTP status, when any response arrived. */
  readonly status?: number;
  readonly headers?: Record<string, string | string[] | undefined>;
  /** Response body (first 64 KiB, UTF-8). */
  readonly body: string;
  /** Why there was no response (`ECONNREFUSED`, `EHOSTUNREACH`, `timeout after 500 ms`…). */
  readonly error?: string;
  readonly ms: number;
  readonly localAddress?: string;
  readonly remoteAddress?: string;
}

export interface PingOptions {
  count?: number;
  /** Per-reply wait in seconds (ping -W). Default 1. */
  waitS?: number;
  /** Interval in seconds (ping -i). Default 0.2. */
  intervalS?: number;
  /** Source interface or address (ping -I). */
  from?: string;
}

export interface PingResult {
  /** At least one reply. */
  readonly ok: boolean;
  readonly transmitted: number;
  readonly received: number;
}

export type LossDirection = "both" | "egress" | "ingress";

export interface NetnsLabOptions {
  /** Up to 4 chars [a-z0-9] put into the name prefix, to tell runs apart in `ip netns list`. */
  tag?: string;
  /** Progress/diagnostic lines. Default: silent (set TWINBEAT_LAB_DEBUG=1 for stderr). */
  log?: (line: string) => void;
  /** Grace between SIGTERM and SIGKILL when stopping processes at cleanup. Default 1500 ms. */
  killGraceMs?: number;
}

export interface WithLabOptions extends NetnsLabOptions {
  /** Abort (clean up, reject) if `fn` is still running after this long. Default: no limit. */
  deadlineMs?: number;
}

// ---------------------------------------------------------------------------
// Helpers.

const NAME_RE = /^[a-z][a-z0-9_-]{0,14}$/;
const IFNAME_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;
const NFT_TABLE = "twinbeat_lab";
const NFT_CHAIN = "loss";
const MARKER_DIR = "/run/twinbeat-lab";
const HTTP_BODY_MAX = 64 * 1024;

interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a short command in the root namespace (ip/nft bookkeeping); rejects with stderr on failure. */
function run(cmd: string, args: readonly string[], timeoutMs = 10_000, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args as string[],
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) {
          const e = new Error(`${cmd} ${args.join(" ")}: ${stderr.trim() || err.message}`);
          (e as Error & { stderr?: string }).stderr = stderr;
          reject(e);
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function randomTag(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(Math.random() * 36)];
  return s;
}

/** Whether a process exists and is not a zombie. */
function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2) !== "Z";
  } catch {
    return false;
  }
}

/** Signals a process group we created (detached => pgid == pid), falling back to the pid. */
function signalGroup(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** Lists namespaces (`ip netns list`), names only. */
async function listNetns(): Promise<string[]> {
  const { stdout } = await run("ip", ["netns", "list"]);
  return parseNetnsList(stdout);
}

function parseNetnsList(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n.length > 0);
}

function macFromParts(parts: readonly number[]): string {
  return parts.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** A locally administered MAC derived from an IPv4 address: 192.0.2.5 -> 02:00:c0:00:02:05. */
export function macForIpv4(ip: string): string {
  if (!net.isIPv4(ip)) throw new Error(`not an IPv4 address: ${ip}`);
  return macFromParts([0x02, 0x00, ...ip.split(".").map(Number)]);
}

// The JSON-lines HTTP client that runs inside a host: {"id","url","timeoutMs"} in, one JSON line out.
const HTTP_HELPER_SRC = String.raw`
const http = require("http");
const rl = require("readline").createInterface({ input: process.stdin });
rl.on("close", () => process.exit(0));
rl.on("line", (line) => {
  let q;
  try { q = JSON.parse(line); } catch { return; }
  const t0 = Date.now();
  let done = false, req, local, remote;
  const out = (o) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    o.id = q.id; o.ms = Date.now() - t0;
    if (local) o.localAddress = local;
    if (remote) o.remoteAddress = remote;
    process.stdout.write(JSON.stringify(o) + "\n");
  };
  const timer = setTimeout(() => {
    out({ error: "timeout after " + q.timeoutMs + " ms" });
    if (req) req.destroy();
  }, q.timeoutMs);
  try {
    req = http.get(q.url, { agent: false, headers: { connection: "close" } }, (res) => {
      const chunks = []; let n = 0;
      res.on("data", (c) => { if (n < ${HTTP_BODY_MAX}) { chunks.push(c); n += c.length; } });
      res.on("end", () => out({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString("utf8").slice(0, ${HTTP_BODY_MAX}) }));
      res.on("error", (e) => out({ error: e.code || e.message }));
    });
    req.on("socket", (s) => s.on("connect", () => { local = s.localAddress; remote = s.remoteAddress; }));
    req.on("error", (e) => out({ error: e.code || e.message }));
  } catch (e) {
    out({ error: String(e && e.message) });
  }
});
`;

interface Tracked {
  readonly proc: ChildProcess;
  readonly host: string;
  readonly argv: readonly string[];
  readonly exited: Promise<void>;
  done: boolean;
  output: string;
  readonly keep: number;
}

interface HttpHelper {
  readonly proc: ChildProcess;
  readonly pending: Map<number, (r: HttpResult) => void>;
  nextId: number;
}

interface HostState extends LabHost {
  readonly ipv6: boolean;
}

// ---------------------------------------------------------------------------
// Signal/exit safety net shared by every lab of this process.

const liveLabs = new Set<NetnsLab>();
let handlersInstalled = false;
let signalling = false;

function onSignal(signal: NodeJS.Signals): void {
  if (signalling) return;
  signalling = true;
  const code = 128 + (signal === "SIGINT" ? 2 : 15);
  process.stderr.write(`netns-lab: ${signal}: cleaning up ${liveLabs.size} lab(s)\n`);
  const all = Promise.allSettled([...liveLabs].map((l) => l.cleanup()));
  Promise.race([all, sleep(8000)]).finally(() => process.exit(code));
}

function onExit(): void {
  // Last resort (uncaught exception, process.exit): synchronous, best effort.
  for (const lab of liveLabs) lab.cleanupSync();
}

function registerLab(lab: NetnsLab): void {
  liveLabs.add(lab);
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("exit", onExit);
  }
}

function unregisterLab(lab: NetnsLab): void {
  liveLabs.delete(lab);
  if (liveLabs.size === 0 && handlersInstalled && !signalling) {
    handlersInstalled = false;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("exit", onExit);
  }
}

// ---------------------------------------------------------------------------

/**
 * A set of hosts (one network namespace each) and switches (a bridge in its own namespace),
 * wired with veth cables. Nothing touches the machine's own namespace except `ip netns` files.
 */
export class NetnsLab {
  /** `tb<pid%10000><tag><rand>`: every namespace of this lab is `<prefix>-<name>`. */
  readonly prefix: string;
  private readonly hosts = new Map<string, HostState>();
  private readonly switches = new Map<string, LabSwitch>();
  private readonly links = new Map<string, LabLink>(); // key host/ifName
  private readonly portCount = new Map<string, number>(); // per switch
  private readonly tracked = new Map<ChildProcess, Tracked>();
  private readonly helpers = new Map<string, HttpHelper>();
  private readonly nftReady = new Set<string>();
  private readonly logFn: (line: string) => void;
  private readonly killGraceMs: number;
  private cleanupPromise?: Promise<void>;
  private closed = false;

  constructor(opts: NetnsLabOptions = {}) {
    const tag = opts.tag ?? "";
    if (!/^[a-z0-9]{0,4}$/.test(tag)) throw new Error(`lab tag must be 0-4 chars [a-z0-9], got ${tag}`);
    let prefix: string;
    let existing: string[];
    try {
      existing = parseNetnsList(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }));
    } catch {
      existing = [];
    }
    do {
      prefix = `tb${process.pid % 10000}${tag}${randomTag(2)}`;
    } while (existing.some((n) => n.startsWith(`${prefix}-`)));
    this.prefix = prefix;
    this.logFn = opts.log ?? (process.env["TWINBEAT_LAB_DEBUG"] ? (l) => process.stderr.write(`[lab ${prefix}] ${l}\n`) : () => {});
    this.killGraceMs = opts.killGraceMs ?? 1500;
    registerLab(this);
    this.writeMarker();
  }

  /** Runs `fn` with a fresh lab and always cleans up (also when `fn` throws or the deadline passes). */
  static async withLab<T>(fn: (lab: NetnsLab) => Promise<T>, opts: WithLabOptions = {}): Promise<T> {
    const lab = new NetnsLab(opts);
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = fn(lab);
      if (opts.deadlineMs === undefined) return await work;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`lab ${lab.prefix}: deadline of ${opts.deadlineMs} ms passed`)), opts.deadlineMs);
      });
      work.catch(() => {}); // if the deadline wins, fn's later failure is moot
      return await Promise.race([work, deadline]);
    } finally {
      if (timer) clearTimeout(timer);
      await lab.cleanup();
    }
  }

  /**
   * Removes what labs of this library left behind when their process died without cleaning up
   * (SIGKILL): only namespaces recorded in /run/twinbeat-lab by a process that no longer exists,
   * and the processes inside those namespaces. Returns the namespaces removed.
   */
  static async sweepStale(): Promise<string[]> {
    let files: string[];
    try {
      files = fs.readdirSync(MARKER_DIR).filter((f) => f.endsWith(".json"));
    } catch {
      return [];
    }
    const removed: string[] = [];
    const all = await listNetns();
    for (const f of files) {
      const file = path.join(MARKER_DIR, f);
      let marker: { pid?: number; prefix?: string };
      try {
        marker = JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: number; prefix?: string };
      } catch {
        continue;
      }
      if (typeof marker.pid !== "number" || typeof marker.prefix !== "string" || pidAlive(marker.pid)) continue;
      for (const ns of all.filter((n) => n.startsWith(`${marker.prefix}-`))) {
        await killNetnsPids(ns);
        await run("ip", ["netns", "del", ns]).catch(() => undefined);
        removed.push(ns);
      }
      fs.rmSync(file, { force: true });
    }
    return removed;
  }

  // -------------------------------------------------------------------------
  // Topology.

  /** Creates a host: a namespace with lo up and lab sysctls (ARP notify, no IPv6 DAD, no RS). */
  async addHost(name: string, opts: AddHostOptions = {}): Promise<LabHost> {
    this.assertOpen();
    if (!NAME_RE.test(name)) throw new Error(`host name must match ${NAME_RE}, got ${name}`);
    if (this.hosts.has(name) || this.switches.has(name)) throw new Error(`duplicate lab name ${name}`);
    const netns = `${this.prefix}-${name}`;
    const hostname = opts.hostname === false ? undefined : (opts.hostname ?? name);
    const host: HostState = hostname === undefined ? { name, netns, ipv6: !opts.disableIpv6 } : { name, netns, hostname, ipv6: !opts.disableIpv6 };
    await run("ip", ["netns", "add", netns]);
    this.hosts.set(name, host);
    this.writeMarker();
    await run("ip", ["-n", netns, "link", "set", "lo", "up"]);
    const sysctls: Record<string, string | number> = {
      // announce addresses with gratuitous ARP on link up / address change (as after a cable plug)
      "net.ipv4.conf.all.arp_notify": 1,
      "net.ipv4.conf.default.arp_notify": 1,
      // accept packets sourced from a local address (a duplicate VIP during split brain stays visible)
      "net.ipv4.conf.all.accept_local": 1,
      "net.ipv4.conf.default.accept_local": 1,
      "net.ipv4.conf.all.rp_filter": 0,
      "net.ipv4.conf.default.rp_filter": 0,
      // answer ARP only for addresses on the asking interface, announce with the best source
      "net.ipv4.conf.all.arp_ignore": 1,
      "net.ipv4.conf.all.arp_announce": 2,
      "net.ipv4.ip_forward": opts.forwarding ? 1 : 0,
      "net.ipv4.ping_group_range": "0 2147483647",
    };
    if (opts.disableIpv6) {
      sysctls["net.ipv6.conf.all.disable_ipv6"] = 1;
      sysctls["net.ipv6.conf.default.disable_ipv6"] = 1;
    } else {
      sysctls["net.ipv6.conf.all.accept_dad"] = 0;
      sysctls["net.ipv6.conf.default.accept_dad"] = 0;
      sysctls["net.ipv6.conf.default.dad_transmits"] = 0;
      sysctls["net.ipv6.conf.all.router_solicitations"] = 0;
      sysctls["net.ipv6.conf.default.router_solicitations"] = 0;
      sysctls["net.ipv6.conf.all.accept_ra"] = 0;
      sysctls["net.ipv6.conf.default.accept_ra"] = 0;
    }
    Object.assign(sysctls, opts.sysctls ?? {});
    await this.setSysctls(netns, sysctls);
    this.logFn(`host ${name} (${netns}${hostname ? `, hostname ${hostname}` : ""})`);
    return { name, netns, ...(hostname !== undefined ? { hostname } : {}) };
  }

  /** Creates a switch: bridge `br0` (no STP, no forward delay, no multicast snooping) in its own namespace. */
  async addSwitch(name: string): Promise<LabSwitch> {
    this.assertOpen();
    if (!NAME_RE.test(name)) throw new Error(`switch name must match ${NAME_RE}, got ${name}`);
    if (this.hosts.has(name) || this.switches.has(name)) throw new Error(`duplicate lab name ${name}`);
    const netns = `${this.prefix}-${name}`;
    await run("ip", ["netns", "add", netns]);
    const sw: LabSwitch = { name, netns, bridge: "br0" };
    this.switches.set(name, sw);
    this.writeMarker();
    await this.setSysctls(netns, {
      "net.ipv6.conf.all.disable_ipv6": 1,
      "net.ipv6.conf.default.disable_ipv6": 1,
    });
    await run("ip", ["-n", netns, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"]);
    await run("ip", ["-n", netns, "link", "set", "br0", "up"]);
    this.logFn(`switch ${name} (${netns})`);
    return sw;
  }

  /** Cables `host`'s new interface `ifName` to `switchName`; assigns addresses and brings it up. */
  async connect(hostName: string, ifName: string, switchName: string, opts: ConnectOptions = {}): Promise<LabLink> {
    this.assertOpen();
    const host = this.host(hostName);
    const sw = this.switchOf(switchName);
    if (!IFNAME_RE.test(ifName)) throw new Error(`interface name must match ${IFNAME_RE}, got ${ifName}`);
    const key = `${hostName}/${ifName}`;
    if (this.links.has(key)) throw new Error(`${key} already connected`);
    const addresses = [...(opts.addresses ?? [])];
    addresses.forEach(assertLabCidr);
    if (opts.gateway !== undefined && !isLabAddress(opts.gateway)) {
      throw new Error(`gateway ${opts.gateway} is not a lab address`);
    }
    const n = (this.portCount.get(switchName) ?? 0) + 1;
    this.portCount.set(switchName, n);
    const wanted = `${hostName}-${ifName}`;
    const port = wanted.length <= 15 ? wanted : `p${n}`;

    await run("ip", ["-n", sw.netns, "link", "add", port, "type", "veth", "peer", "name", ifName, "netns", host.netns]);
    if (opts.mac) await run("ip", ["-n", host.netns, "link", "set", ifName, "address", opts.mac]);
    if (opts.mtu) {
      await run("ip", ["-n", host.netns, "link", "set", ifName, "mtu", String(opts.mtu)]);
      await run("ip", ["-n", sw.netns, "link", "set", port, "mtu", String(opts.mtu)]);
    }
    await run("ip", ["-n", sw.netns, "link", "set", port, "master", sw.bridge, "up"]);
    for (const a of addresses) {
      const v6 = a.includes(":");
      await run("ip", ["-n", host.netns, "addr", "add", a, "dev", ifName, ...(v6 ? ["nodad"] : ["brd", "+"])]);
    }
    await run("ip", ["-n", host.netns, "link", "set", ifName, "up"]);
    if (opts.gateway !== undefined) {
      const fam = opts.gateway.includes(":") ? "-6" : "-4";
      await run("ip", [fam, "-n", host.netns, "route", "replace", "default", "via", opts.gateway, "dev", ifName]);
    }
    const link: LabLink = { host: hostName, ifName, switch: switchName, port, addresses, mac: await this.macOf(hostName, ifName) };
    this.links.set(key, link);
    this.logFn(`cable ${key} <-> ${switchName}:${port} ${addresses.join(" ")}`);
    return link;
  }

  /** Pulls the cable: the switch port goes down, the host's interface loses carrier (NO-CARRIER). */
  async unplug(hostName: string, ifName: string): Promise<void> {
    const link = this.link(hostName, ifName);
    await run("ip", ["-n", this.switchOf(link.switch).netns, "link", "set", link.port, "down"]);
    await this.waitCarrier(hostName, ifName, false);
    this.logFn(`unplugged ${hostName}/${ifName}`);
  }

  /** Plugs the cable back: the switch port comes up; resolves once the host sees carrier. */
  async plug(hostName: string, ifName: string): Promise<void> {
    const link = this.link(hostName, ifName);
    await run("ip", ["-n", this.switchOf(link.switch).netns, "link", "set", link.port, "up"]);
    await this.waitCarrier(hostName, ifName, true);
    this.logFn(`plugged ${hostName}/${ifName}`);
  }

  /** Whether the host's interface currently has carrier (LOWER_UP). */
  async carrier(hostName: string, ifName: string): Promise<boolean> {
    const { stdout } = await run("ip", ["-j", "-n", this.host(hostName).netns, "link", "show", "dev", ifName]);
    const info = JSON.parse(stdout) as Array<{ flags?: string[] }>;
    return (info[0]?.flags ?? []).includes("LOWER_UP");
  }

  /**
   * Drops `percent` % (0–100, fractions to 0.01) of frames on this cable, in the switch (nftables,
   * bridge family, numgen random). "both" (default) drops independently in each direction, so a
   * round trip is lost with 1-(1-p)²; "egress" = frames the host sends, "ingress" = frames it receives.
   */
  async setLoss(hostName: string, ifName: string, percent: number, opts: { direction?: LossDirection } = {}): Promise<void> {
    if (!(percent >= 0 && percent <= 100)) throw new Error(`loss percent must be 0..100, got ${percent}`);
    const link = this.link(hostName, ifName);
    const sw = this.switchOf(link.switch);
    await this.ensureNft(sw);
    await this.deleteLossRules(sw, link.port);
    if (percent === 0) return;
    const dir = opts.direction ?? "both";
    const cond = percent >= 100 ? "" : `numgen random mod 10000 < ${Math.round(percent * 100)} `;
    const lines: string[] = [];
    if (dir === "both" || dir === "egress")
      lines.push(`add rule bridge ${NFT_TABLE} ${NFT_CHAIN} iifname "${link.port}" ${cond}counter drop comment "loss:${link.port}"`);
    if (dir === "both" || dir === "ingress")
      lines.push(`add rule bridge ${NFT_TABLE} ${NFT_CHAIN} oifname "${link.port}" ${cond}counter drop comment "loss:${link.port}"`);
    await this.nft(sw, lines.join("\n") + "\n");
    this.logFn(`loss ${percent}% (${dir}) on ${hostName}/${ifName}`);
  }

  /** Removes any loss set on this cable. */
  async clearLoss(hostName: string, ifName: string): Promise<void> {
    const link = this.link(hostName, ifName);
    const sw = this.switchOf(link.switch);
    if (!this.nftReady.has(sw.name)) return;
    await this.deleteLossRules(sw, link.port);
    this.logFn(`loss cleared on ${hostName}/${ifName}`);
  }

  /**
   * Drops every frame between two cables on the same switch (nftables in the switch, bridge
   * family): the two hosts cannot reach each other while both still reach everyone else.
   * "both" (default) cuts both ways; "a-to-b" drops only what `a` sends to `b`.
   */
  async cutBetween(a: { host: string; ifName: string }, b: { host: string; ifName: string }, opts: { direction?: "both" | "a-to-b" } = {}): Promise<void> {
    const la = this.link(a.host, a.ifName);
    const lb = this.link(b.host, b.ifName);
    if (la.switch !== lb.switch) throw new Error(`${a.host}/${a.ifName} and ${b.host}/${b.ifName} are not on one switch`);
    const sw = this.switchOf(la.switch);
    await this.ensureNft(sw);
    await this.deleteRulesWithComment(sw, `cut:${la.port}:${lb.port}`);
    const rule = (from: string, to: string) =>
      `add rule bridge ${NFT_TABLE} ${NFT_CHAIN} iifname "${from}" oifname "${to}" counter drop comment "cut:${la.port}:${lb.port}"`;
    const lines = [rule(la.port, lb.port)];
    if ((opts.direction ?? "both") === "both") lines.push(rule(lb.port, la.port));
    await this.nft(sw, lines.join("\n") + "\n");
    this.logFn(`cut ${a.host}/${a.ifName} ${opts.direction === "a-to-b" ? "->" : "<->"} ${b.host}/${b.ifName}`);
  }

  /** Removes a cut set by cutBetween (same argument order). */
  async uncutBetween(a: { host: string; ifName: string }, b: { host: string; ifName: string }): Promise<void> {
    const la = this.link(a.host, a.ifName);
    const lb = this.link(b.host, b.ifName);
    const sw = this.switchOf(la.switch);
    if (!this.nftReady.has(sw.name)) return;
    await this.deleteRulesWithComment(sw, `cut:${la.port}:${lb.port}`);
  }

  /** Every cable plugged into a switch. */
  linksOn(switchName: string): LabLink[] {
    this.switchOf(switchName);
    return [...this.links.values()].filter((l) => l.switch === switchName);
  }

  // -------------------------------------------------------------------------
  // Processes.

  /** Runs `argv` inside the host and collects its output; never throws unless `check`. */
  async exec(hostName: string, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.assertOpen();
    const host = this.host(hostName);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const t0 = Date.now();
    const proc = this.startInHost(host, argv, {
      env: opts.env,
      cwd: opts.cwd,
      stdio: [opts.input !== undefined ? "pipe" : "ignore", "pipe", "pipe"],
    });
    const t = this.track(proc, host.name, argv, 0);
    let stdout = "";
    let stderr = "";
    proc.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    proc.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    if (opts.input !== undefined) {
      proc.stdin?.on("error", () => {});
      proc.stdin?.end(opts.input);
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (!t.done && proc.pid) signalGroup(proc.pid, "SIGKILL");
    }, timeoutMs);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      let spawnError: Error | undefined;
      proc.on("error", (e) => (spawnError = e));
      proc.on("close", (c, s) => {
        if (spawnError) stderr += String(spawnError.message);
        resolve({ code: spawnError ? 127 : c, signal: s });
      });
    });
    clearTimeout(timer);
    const res: ExecResult = { code, signal, stdout, stderr, timedOut, ms: Date.now() - t0 };
    if (opts.check && (code !== 0 || timedOut)) {
      throw new Error(`${hostName}: ${argv.join(" ")}: ${timedOut ? `timed out after ${timeoutMs} ms` : `exit ${code ?? signal}`}: ${stderr.trim()}`);
    }
    return res;
  }

  /**
   * Starts a long-lived process inside the host, in its own process group. It is tracked: `cleanup()`
   * sends SIGTERM to its group, then SIGKILL after the grace period.
   */
  spawn(hostName: string, argv: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    this.assertOpen();
    const host = this.host(hostName);
    let stdio: StdioOptions;
    let fd: number | undefined;
    if (opts.logFile !== undefined) {
      fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
      fd = fs.openSync(opts.logFile, "a");
      stdio = ["ignore", fd, fd];
    } else if (opts.stdio === "ignore" || opts.stdio === "inherit") {
      stdio = ["ignore", opts.stdio, opts.stdio];
    } else {
      stdio = ["pipe", "pipe", "pipe"];
    }
    const proc = this.startInHost(host, argv, { env: opts.env, cwd: opts.cwd, stdio });
    if (fd !== undefined) fs.closeSync(fd);
    const keep = stdio[1] === "pipe" ? (opts.keepOutputBytes ?? 256 * 1024) : 0;
    this.track(proc, host.name, argv, keep);
    proc.on("error", (e) => this.logFn(`spawn ${argv[0]} in ${hostName} failed: ${e.message}`));
    this.logFn(`spawned ${hostName}: ${argv.join(" ")} (pid ${proc.pid})`);
    return proc;
  }

  /** Sends `signal` to a tracked process's group (no-op once it has exited). Returns whether sent. */
  kill(proc: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): boolean {
    const t = this.tracked.get(proc);
    if (!t) throw new Error("kill: not a process of this lab");
    if (t.done || proc.pid === undefined) return false;
    return signalGroup(proc.pid, signal);
  }

  /** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves when the process has exited. */
  async stop(proc: ChildProcess, graceMs = this.killGraceMs): Promise<void> {
    const t = this.tracked.get(proc);
    if (!t) throw new Error("stop: not a process of this lab");
    if (t.done) return;
    this.kill(proc, "SIGTERM");
    if (await this.waitExit(proc, graceMs)) return;
    this.kill(proc, "SIGKILL");
    await this.waitExit(proc, 5000);
  }

  /** Resolves true once the tracked process has exited, false after `timeoutMs`. */
  async waitExit(proc: ChildProcess, timeoutMs: number): Promise<boolean> {
    const t = this.tracked.get(proc);
    if (!t) throw new Error("waitExit: not a process of this lab");
    if (t.done) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const r = await Promise.race([t.exited.then(() => true), timeout]);
    if (timer) clearTimeout(timer);
    return r;
  }

  /** The kept stdout+stderr of a process spawned with stdio "pipe". */
  outputOf(proc: ChildProcess): string {
    return this.tracked.get(proc)?.output ?? "";
  }

  /** Tracked processes that have not exited yet. */
  liveProcesses(): ChildProcess[] {
    return [...this.tracked.values()].filter((t) => !t.done).map((t) => t.proc);
  }

  // -------------------------------------------------------------------------
  // Probes.

  /**
   * HTTP GET from inside `fromHost`, through one long-lived node helper per host (cheap enough to
   * sample every 100 ms). Never throws for network errors: see `error`. New connection each time.
   */
  async httpGet(fromHost: string, url: string, timeoutMs = 1000): Promise<HttpResult> {
    this.assertOpen();
    const helper = this.httpHelper(fromHost);
    const id = helper.nextId++;
    return new Promise<HttpResult>((resolve) => {
      // backstop in case the helper itself is stuck (its first start costs ~100 ms)
      const guard = setTimeout(() => {
        helper.pending.delete(id);
        resolve({ ok: false, body: "", error: `helper did not answer in ${timeoutMs + 3000} ms`, ms: timeoutMs + 3000 });
      }, timeoutMs + 3000);
      helper.pending.set(id, (r) => {
        clearTimeout(guard);
        resolve(r);
      });
      helper.proc.stdin?.write(JSON.stringify({ id, url, timeoutMs }) + "\n");
    });
  }

  /** ping from inside the host; `ok` when any reply came back. */
  async ping(hostName: string, target: string, opts: PingOptions = {}): Promise<PingResult> {
    const count = opts.count ?? 1;
    const waitS = opts.waitS ?? 1;
    const intervalS = opts.intervalS ?? 0.2;
    // iputils' flags and summary: the lab's iputils wherever it is, not whatever `ping` is here.
    const iputils = availablePings().find((p) => p.name === "iputils");
    const argv = [iputils?.path ?? "ping", "-n", "-q", "-c", String(count), "-W", String(waitS), "-i", String(intervalS)];
    if (opts.from) argv.push("-I", opts.from);
    argv.push(target);
    const r = await this.exec(hostName, argv, { timeoutMs: (count * intervalS + waitS) * 1000 + 3000 });
    const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(r.stdout);
    if (!m) {
      if (r.code === 2 || r.code === 1) return { ok: false, transmitted: count, received: 0 };
      throw new Error(`ping in ${hostName} failed: ${r.stderr.trim() || r.stdout.trim()}`);
    }
    const received = Number(m[2]);
    return { ok: received > 0, transmitted: Number(m[1]), received };
  }

  /** The MAC the host has cached for `ip` (`ip neigh`), or undefined when none is usable. */
  async neighbour(hostName: string, ip: string): Promise<string | undefined> {
    const { stdout } = await run("ip", ["-j", "-n", this.host(hostName).netns, "neigh", "show", "to", ip]);
    const entries = JSON.parse(stdout || "[]") as Array<{ dst?: string; lladdr?: string; state?: string[] }>;
    const e = entries.find((x) => x.dst === ip && x.lladdr && !(x.state ?? []).includes("FAILED"));
    return e?.lladdr;
  }

  /** Forgets cached neighbours (all, or of one interface). */
  async flushNeighbours(hostName: string, ifName?: string): Promise<void> {
    const args = ["-n", this.host(hostName).netns, "neigh", "flush", ...(ifName ? ["dev", ifName] : ["all"])];
    await run("ip", args);
  }

  /** Addresses on an interface (or on all, without `ifName`), from `ip -j addr`. */
  async addresses(hostName: string, ifName?: string): Promise<LabAddress[]> {
    const args = ["-j", "-n", this.host(hostName).netns, "addr", "show", ...(ifName ? ["dev", ifName] : [])];
    const { stdout } = await run("ip", args);
    const ifs = JSON.parse(stdout || "[]") as Array<{
      ifname: string;
      addr_info?: Array<{ family: string; local: string; prefixlen: number; scope: string; label?: string; tentative?: boolean }>;
    }>;
    const out: LabAddress[] = [];
    for (const i of ifs) {
      for (const a of i.addr_info ?? []) {
        if (a.family !== "inet" && a.family !== "inet6") continue;
        const base = {
          ifName: i.ifname,
          family: a.family,
          address: a.local,
          prefixLen: a.prefixlen,
          cidr: `${a.local}/${a.prefixlen}`,
          scope: a.scope,
          tentative: a.tentative === true,
        } as const;
        out.push(a.label !== undefined ? { ...base, label: a.label } : base);
      }
    }
    return out;
  }

  /** The interface's MAC address. */
  async macOf(hostName: string, ifName: string): Promise<string> {
    const { stdout } = await run("ip", ["-j", "-n", this.host(hostName).netns, "link", "show", "dev", ifName]);
    const info = JSON.parse(stdout) as Array<{ address?: string }>;
    const mac = info[0]?.address;
    if (!mac) throw new Error(`no MAC for ${hostName}/${ifName}`);
    return mac;
  }

  /** Runs `ip -n <host-netns> ...args` (root-namespace ip binary, host's namespace). */
  async ip(hostName: string, args: readonly string[]): Promise<string> {
    return (await run("ip", ["-n", this.nsOf(hostName), ...args])).stdout;
  }

  // -------------------------------------------------------------------------
  // Lookups.

  /** The namespace of a host or switch. */
  nsOf(name: string): string {
    const h = this.hosts.get(name) ?? this.switches.get(name);
    if (!h) throw new Error(`no lab host or switch named ${name}`);
    return h.netns;
  }

  host(name: string): LabHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no lab host named ${name}`);
    return h;
  }

  link(hostName: string, ifName: string): LabLink {
    const l = this.links.get(`${hostName}/${ifName}`);
    if (!l) throw new Error(`no cable on ${hostName}/${ifName}`);
    return l;
  }

  /** Every namespace this lab created (hosts and switches). */
  namespaces(): string[] {
    return [...this.hosts.values(), ...this.switches.values()].map((x) => x.netns);
  }

  /** Namespaces on the machine that carry this lab's prefix (should be empty after cleanup). */
  async leftoverNamespaces(): Promise<string[]> {
    return (await listNetns()).filter((n) => n.startsWith(`${this.prefix}-`));
  }

  // -------------------------------------------------------------------------
  // Cleanup.

  /**
   * Idempotent: stops tracked processes (SIGTERM, SIGKILL after the grace), kills anything else
   * still inside the lab's namespaces, deletes the namespaces and checks none is left.
   */
  cleanup(): Promise<void> {
    if (!this.cleanupPromise) this.cleanupPromise = this.doCleanup();
    return this.cleanupPromise;
  }

  private async doCleanup(): Promise<void> {
    this.closed = true;
    const problems: string[] = [];
    for (const h of this.helpers.values()) h.proc.stdin?.end();
    await Promise.all([...this.tracked.values()].filter((t) => !t.done).map((t) => this.stop(t.proc).catch(() => {})));
    for (const t of this.tracked.values()) {
      if (!t.done) problems.push(`process ${t.proc.pid} (${t.argv.join(" ")}) did not exit`);
    }
    for (const ns of this.namespaces()) {
      const strays = await killNetnsPids(ns);
      if (strays.length) this.logFn(`killed stray pids in ${ns}: ${strays.join(" ")}`);
    }
    for (const ns of this.namespaces()) {
      await run("ip", ["netns", "del", ns]).catch((e: Error) => {
        if (!/No such file/.test(e.message)) problems.push(e.message);
      });
    }
    const left = await this.leftoverNamespaces().catch(() => [] as string[]);
    if (left.length) problems.push(`namespaces left: ${left.join(" ")}`);
    fs.rmSync(this.markerFile(), { force: true });
    unregisterLab(this);
    this.logFn(`cleaned up${problems.length ? ` with problems: ${problems.join("; ")}` : ""}`);
    if (problems.length) throw new Error(`lab ${this.prefix} cleanup: ${problems.join("; ")}`);
  }

  /** Synchronous last-resort cleanup for process exit; prefer `cleanup()`. */
  cleanupSync(): void {
    this.closed = true;
    for (const t of this.tracked.values()) {
      if (!t.done && t.proc.pid !== undefined) signalGroup(t.proc.pid, "SIGKILL");
    }
    for (const ns of this.namespaces()) {
      try {
        const pids = execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
        for (const p of pids.split(/\s+/).filter(Boolean)) {
          try {
            process.kill(Number(p), "SIGKILL");
          } catch {
            /* gone */
          }
        }
      } catch {
        /* namespace gone */
      }
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        /* already gone */
      }
    }
    fs.rmSync(this.markerFile(), { force: true });
    liveLabs.delete(this);
  }

  // -------------------------------------------------------------------------
  // Internals.

  private assertOpen(): void {
    if (this.closed) throw new Error(`lab ${this.prefix} is cleaned up`);
  }

  private switchOf(name: string): LabSwitch {
    const s = this.switches.get(name);
    if (!s) throw new Error(`no lab switch named ${name}`);
    return s;
  }

  private markerFile(): string {
    return path.join(MARKER_DIR, `${this.prefix}.json`);
  }

  private writeMarker(): void {
    try {
      fs.mkdirSync(MARKER_DIR, { recursive: true });
      fs.writeFileSync(
        this.markerFile(),
        JSON.stringify({ pid: process.pid, prefix: this.prefix, namespaces: this.namespaces(), created: new Date().toISOString() }),
      );
    } catch {
      /* not root / no /run: sweepStale just won't know about this run */
    }
  }

  private async setSysctls(netns: string, values: Record<string, string | number>): Promise<void> {
    const args = ["netns", "exec", netns, "sysctl", "-q", "-e", "-w"];
    for (const [k, v] of Object.entries(values)) args.push(`${k}=${v}`);
    await run("ip", args);
  }

  private startInHost(
    host: LabHost,
    argv: readonly string[],
    o: { env: NodeJS.ProcessEnv | undefined; cwd: string | undefined; stdio: StdioOptions },
  ): ChildProcess {
    if (argv.length === 0) throw new Error("empty argv");
    // `ip netns exec` execs (no fork), unshare and sh exec too: the pid we get is the program's.
    const wrapper =
      host.hostname !== undefined ? ["unshare", "--uts", "--", "sh", "-c", 'printf %s "$0" > /proc/sys/kernel/hostname && exec "$@"', host.hostname] : [];
    return spawn("ip", ["netns", "exec", host.netns, ...wrapper, ...argv], {
      env: o.env ?? process.env,
      cwd: o.cwd,
      stdio: o.stdio,
      detached: true, // own process group: killing -pid reaches its children too
    });
  }

  private track(proc: ChildProcess, host: string, argv: readonly string[], keep: number): Tracked {
    let markDone!: () => void;
    const exited = new Promise<void>((r) => (markDone = r));
    const t: Tracked = { proc, host, argv, exited, done: false, output: "", keep };
    const finish = () => {
      if (t.done) return;
      t.done = true;
      markDone();
    };
    proc.on("exit", finish);
    proc.on("error", () => {
      if (proc.pid === undefined) finish();
    });
    if (keep > 0) {
      const add = (d: Buffer) => {
        t.output += d.toString("utf8");
        if (t.output.length > keep) t.output = t.output.slice(t.output.length - keep);
      };
      proc.stdout?.on("data", add);
      proc.stderr?.on("data", add);
    }
    this.tracked.set(proc, t);
    return t;
  }

  private httpHelper(hostName: string): HttpHelper {
    const existing = this.helpers.get(hostName);
    if (existing && existing.proc.exitCode === null && existing.proc.signalCode === null) return existing;
    const host = this.host(hostName);
    const proc = this.startInHost(host, [process.execPath, "-e", HTTP_HELPER_SRC], {
      env: process.env,
      cwd: undefined,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.track(proc, hostName, ["node", "-e", "<http helper>"], 16 * 1024);
    const helper: HttpHelper = { proc, pending: new Map(), nextId: 1 };
    proc.stdin?.on("error", () => {});
    const rl = readline.createInterface({ input: proc.stdout! });
    rl.on("line", (line) => {
      let r: {
        id: number;
        status?: number;
        headers?: Record<string, string | string[] | undefined>;
        body?: string;
        error?: string;
        ms: number;
        localAddress?: string;
        remoteAddress?: string;
      };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        return;
      }
      const done = helper.pending.get(r.id);
      if (!done) return;
      helper.pending.delete(r.id);
      const ok = r.error === undefined && r.status !== undefined && r.status >= 200 && r.status < 300;
      const res: { -readonly [K in keyof HttpResult]: HttpResult[K] } = { ok, body: r.body ?? "", ms: r.ms };
      if (r.status !== undefined) res.status = r.status;
      if (r.headers !== undefined) res.headers = r.headers;
      if (r.error !== undefined) res.error = r.error;
      if (r.localAddress !== undefined) res.localAddress = r.localAddress;
      if (r.remoteAddress !== undefined) res.remoteAddress = r.remoteAddress;
      done(res);
    });
    proc.on("exit", () => {
      for (const done of helper.pending.values()) done({ ok: false, body: "", error: "http helper exited", ms: 0 });
      helper.pending.clear();
    });
    this.helpers.set(hostName, helper);
    return helper;
  }

  private async waitCarrier(hostName: string, ifName: string, want: boolean): Promise<void> {
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      if ((await this.carrier(hostName, ifName)) === want) return;
      await sleep(10);
    }
    throw new Error(`${hostName}/${ifName}: carrier still ${!want} after 3 s`);
  }

  private async nft(sw: LabSwitch, script: string): Promise<string> {
    try {
      return (await run("ip", ["netns", "exec", sw.netns, "nft", "-f", "-"], 10_000, script)).stdout;
    } catch (e) {
      if (/nft.*(No such file|not found)|exec of "nft" failed/i.test((e as Error).message)) {
        throw new Error(`nft is not installed: run scripts/lab/install-deps.sh (${(e as Error).message})`, { cause: e });
      }
      throw e;
    }
  }

  private async ensureNft(sw: LabSwitch): Promise<void> {
    if (this.nftReady.has(sw.name)) return;
    await this.nft(sw, `table bridge ${NFT_TABLE} {\n  chain ${NFT_CHAIN} {\n    type filter hook forward priority 0; policy accept;\n  }\n}\n`);
    this.nftReady.add(sw.name);
  }

  private async deleteRulesWithComment(sw: LabSwitch, comment: string): Promise<void> {
    const { stdout } = await run("ip", ["netns", "exec", sw.netns, "nft", "-j", "-a", "list", "chain", "bridge", NFT_TABLE, NFT_CHAIN]);
    const doc = JSON.parse(stdout) as { nftables: Array<{ rule?: { handle: number; comment?: string } }> };
    const handles = doc.nftables.filter((x) => x.rule?.comment === comment).map((x) => x.rule!.handle);
    if (handles.length === 0) return;
    await this.nft(sw, handles.map((h) => `delete rule bridge ${NFT_TABLE} ${NFT_CHAIN} handle ${h}`).join("\n") + "\n");
  }

  private async deleteLossRules(sw: LabSwitch, port: string): Promise<void> {
    const { stdout } = await run("ip", ["netns", "exec", sw.netns, "nft", "-j", "-a", "list", "chain", "bridge", NFT_TABLE, NFT_CHAIN]);
    const doc = JSON.parse(stdout) as { nftables: Array<{ rule?: { handle: number; comment?: string } }> };
    const handles = doc.nftables.filter((x) => x.rule?.comment === `loss:${port}`).map((x) => x.rule!.handle);
    if (handles.length === 0) return;
    await this.nft(sw, handles.map((h) => `delete rule bridge ${NFT_TABLE} ${NFT_CHAIN} handle ${h}`).join("\n") + "\n");
  }
}

/** SIGKILLs every process inside a namespace this library created; returns their pids. */
async function killNetnsPids(ns: string): Promise<number[]> {
  let stdout: string;
  try {
    ({ stdout } = await run("ip", ["netns", "pids", ns]));
  } catch {
    return [];
  }
  const pids = stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => p > 1 && p !== process.pid);
  for (const p of pids) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  return pids;
}
