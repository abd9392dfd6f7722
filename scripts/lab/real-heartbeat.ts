// Runs Debian's real Heartbeat 3.0.6 as a lab node (own hostname, /etc/ha.d, /var/lib/heartbeat, /run, /var/log) for interop tests.

import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExecResult, NetnsLab } from "./netns-lab";

/** Where Debian puts the daemon, its scripts and its admin tools. */
export const HEARTBEAT_BIN = "/usr/libexec/heartbeat/heartbeat";
export const IPFAIL_BIN = "/usr/libexec/heartbeat/ipfail";
export const HB_SHARE = "/usr/share/heartbeat";
export const DEBIAN_HA_D = "/etc/ha.d";
/** The lab's web service as a resource.d script (start|stop|status), found beside the sources wherever the build went. */
export const LAB_HTTPD_SCRIPT = findLabFile("scripts/lab/resource.d/httpd");

/** `rel` under the first ancestor of this module or of the working directory that has it. */
export function findLabFile(rel: string): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let d = path.resolve(start); ; d = path.dirname(d)) {
      const cand = path.join(d, rel);
      if (fs.existsSync(cand)) return cand;
      if (path.dirname(d) === d) break;
    }
  }
  return path.resolve(__dirname, "../../..", rel);
}

/** Whether the real Heartbeat is installed here (scripts/lab/install-heartbeat.sh). */
export function realHeartbeatInstalled(): boolean {
  try {
    fs.accessSync(HEARTBEAT_BIN, fs.constants.X_OK);
    fs.accessSync(path.join(DEBIAN_HA_D, "harc"), fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RealHeartbeatOptions {
  /** `uname -n` inside the node; must be a `node` of ha.cf (Heartbeat lower-cases it). */
  readonly nodeName: string;
  /** File contents. Log to /var/log/ha-log and /var/log/ha-debug: /var/log is the node's own. */
  readonly haCf: string;
  readonly haresources: string;
  readonly authkeys: string;
  /**
   * Extra resource.d scripts (name -> script text), next to Debian's (IPaddr, IPaddr2, ...) and the
   * lab's `httpd`, which are always there.
   */
  readonly resourceD?: Readonly<Record<string, string>>;
  /** Extra files under the node's /etc/ha.d (relative path -> contents), e.g. `www/index.html`. */
  readonly files?: Readonly<Record<string, string>>;
  /** Per-node folders go to `<workDir>/real/<nodeName>/{etc,lib,log}`. */
  readonly workDir: string;
  /** Start the daemon at once (default true); else call `start()`. */
  readonly start?: boolean;
  /** Extra arguments for `heartbeat -f` (e.g. `-d`). */
  readonly heartbeatArgs?: readonly string[];
}

export interface RealHeartbeatDirs {
  /** Bound over /etc/ha.d inside the node. */
  readonly etc: string;
  /** Bound over /var/lib/heartbeat. */
  readonly lib: string;
  /** Bound over /var/log. */
  readonly log: string;
  /** The daemon's stdout/stderr. */
  readonly out: string;
}

/** A process of the node as seen in /proc. */
export interface NodeProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly cmd: string;
}

export interface RealHeartbeatNode {
  readonly host: string;
  readonly nodeName: string;
  readonly dirs: RealHeartbeatDirs;
  /** The keeper: holds the node's UTS and mount namespaces (it sleeps in the lab host's netns). */
  readonly keeperPid: number;
  /** The `heartbeat -f` of the last start(), while tracked by the lab. */
  readonly daemon: ChildProcess | undefined;
  /** Starts `heartbeat -f` inside the node (after a stop or kill9, or with `start: false`). */
  start(): Promise<void>;
  /** Waits for the API socket (/run/heartbeat/register): cl_status answers only from then on (comm-up or initdead). */
  waitApi(timeoutMs?: number): Promise<void>;
  /** Runs a command inside the node (its hostname, mounts and netns). */
  exec(argv: readonly string[], opts?: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv }): Promise<ExecResult>;
  /** The real `cl_status <args>` inside the node. */
  clStatus(...args: string[]): Promise<ExecResult>;
  /** `cl_status nodestatus <node>` output, or undefined when it fails (daemon down, unknown node). */
  nodeStatus(node: string): Promise<string | undefined>;
  /** `cl_status rscstatus` output (`all|local|foreign|none|transition`), or undefined. */
  rscStatus(): Promise<string | undefined>;
  /** `hb_standby [which]` / `hb_takeover [which]` inside the node. */
  hbStandby(which?: string): Promise<ExecResult>;
  hbTakeover(which?: string): Promise<ExecResult>;
  /** The node's logfile (ha-log) text; `which: "debug"` = debugfile, `"out"` = the daemon's stderr. */
  log(which?: "log" | "debug" | "out"): string;
  /** The master control process pid from the node's /run/heartbeat.pid, if that process lives. */
  masterPid(): number | undefined;
  /** Every process in the node's mount namespace except the keeper (daemon, children, scripts, httpd…). */
  processes(): NodeProcess[];
  /** Graceful: `heartbeat -k` inside the node (releases its groups, sends shutdone); resolves when the master has exited. */
  stop(timeoutMs?: number): Promise<void>;
  /**
   * SIGKILL by PID: the master control process and its descendants (a daemon crash: resources it
   * started stay up). `all: true` also kills everything else in the node (httpd, send_arp…).
   */
  kill9(opts?: { all?: boolean }): Promise<number[]>;
  /** Kills whatever runs in the node and the keeper; afterwards nothing of it runs or is mounted. */
  cleanup(): Promise<void>;
}

// The keeper: new UTS + mount namespaces (private propagation) inside the lab host's netns.
// $1 node name, $2 per-node dir. Prints "ready" once the mounts are in place, then sleeps.
const KEEPER_SCRIPT = String.raw`
set -e
printf %s "$1" > /proc/sys/kernel/hostname
mount -t tmpfs -o mode=0755,size=64m tb-hb-run /run
mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm /run/lock/subsys /run/resource-agents
chown hacluster:haclient /run/heartbeat /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm 2>/dev/null || true
chmod 0750 /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm
mount --bind "$2/etc" /etc/ha.d
mount --bind "$2/lib" /var/lib/heartbeat
mount --bind "$2/log" /var/log
echo ready
exec sleep 2147483647
`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The mount-namespace id of a process (`mnt:[4026532…]`), or undefined when it is gone. */
function mntNs(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/** pid, ppid, state and command line from /proc; undefined when gone. */
function procInfo(pid: number): { pid: number; ppid: number; state: string; cmd: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    let cmd = "";
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
    } catch {
      /* raced */
    }
    if (!cmd) cmd = `[${stat.slice(stat.indexOf("(") + 1, close)}]`;
    return { pid, ppid: Number(fields[1]), state: fields[0] ?? "?", cmd };
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Live (non-zombie) processes whose mount namespace is `ns`. */
function processesInMntNs(ns: string): NodeProcess[] {
  const out: NodeProcess[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid || mntNs(pid) !== ns) continue;
    const info = procInfo(pid);
    if (info && info.state !== "Z") out.push({ pid: info.pid, ppid: info.ppid, cmd: info.cmd });
  }
  return out;
}

function signalPid(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** ha.cf's last value of a directive (comments stripped), or undefined. */
export function haCfValue(haCf: string, directive: string): string | undefined {
  let v: string | undefined;
  for (const raw of haCf.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (m && m[1] === directive) v = m[2]!.trim();
  }
  return v;
}

/** Reads ha.cf, haresources and authkeys from a config dir (e.g. writeSeedConfigs output). */
export function readHaConfigDir(dir: string): { haCf: string; haresources: string; authkeys: string } {
  return {
    haCf: fs.readFileSync(path.join(dir, "ha.cf"), "utf8"),
    haresources: fs.readFileSync(path.join(dir, "haresources"), "utf8"),
    authkeys: fs.readFileSync(path.join(dir, "authkeys"), "utf8"),
  };
}

/**
 * Starts a real Heartbeat node in lab host `host`: a keeper process (new UTS and mount
 * namespaces inside the host's netns) sets the hostname, mounts a tmpfs on /run and binds
 * per-node folders over /etc/ha.d (a copy of Debian's harc, rc.d, resource.d and shellfuncs plus
 * the given files), /var/lib/heartbeat and /var/log. Every command for the node enters those
 * namespaces with `nsenter -t KEEPER -u -m -n`; the daemon runs as `heartbeat -f`.
 */
export async function startRealHeartbeat(lab: NetnsLab, host: string, opts: RealHeartbeatOptions): Promise<RealHeartbeatNode> {
  if (!realHeartbeatInstalled()) throw new Error(`${HEARTBEAT_BIN} is not installed: run scripts/lab/install-heartbeat.sh`);
  const nodeName = opts.nodeName;
  const base = path.join(opts.workDir, "real", nodeName);
  const dirs: RealHeartbeatDirs = {
    etc: path.join(base, "etc"),
    lib: path.join(base, "lib"),
    log: path.join(base, "log"),
    out: path.join(base, "heartbeat.out"),
  };
  fs.rmSync(base, { recursive: true, force: true });
  for (const d of [
    dirs.etc,
    dirs.log,
    path.join(dirs.lib, "cores", "root"),
    path.join(dirs.lib, "cores", "nobody"),
    path.join(dirs.lib, "cores", "hacluster"),
  ]) {
    fs.mkdirSync(d, { recursive: true, mode: 0o755 });
  }
  for (const sub of ["ccm", "crm", "pengine"]) fs.mkdirSync(path.join(dirs.lib, sub), { recursive: true, mode: 0o750 });
  // Debian's /etc/ha.d (harc, rc.d, resource.d, shellfuncs): copied, since the node's own folder hides it.
  fs.cpSync(DEBIAN_HA_D, dirs.etc, { recursive: true, dereference: true, preserveTimestamps: true });
  const resourceD = path.join(dirs.etc, "resource.d");
  fs.copyFileSync(LAB_HTTPD_SCRIPT, path.join(resourceD, "httpd"));
  fs.chmodSync(path.join(resourceD, "httpd"), 0o755);
  for (const [name, text] of Object.entries(opts.resourceD ?? {})) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad resource.d script name ${name}`);
    fs.writeFileSync(path.join(resourceD, name), text, { mode: 0o755 });
    fs.chmodSync(path.join(resourceD, name), 0o755);
  }
  for (const [rel, text] of Object.entries(opts.files ?? {})) {
    const f = path.join(dirs.etc, rel);
    if (!f.startsWith(dirs.etc + path.sep)) throw new Error(`file ${rel} is outside /etc/ha.d`);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
  }
  fs.writeFileSync(path.join(dirs.etc, "ha.cf"), opts.haCf, { mode: 0o644 });
  fs.writeFileSync(path.join(dirs.etc, "haresources"), opts.haresources, { mode: 0o644 });
  const authkeys = path.join(dirs.etc, "authkeys");
  fs.writeFileSync(authkeys, opts.authkeys, { mode: 0o600 });
  fs.chmodSync(authkeys, 0o600);
  for (const p of [base, dirs.etc, dirs.lib, dirs.log]) fs.chmodSync(p, 0o755);

  // Host paths of the node's files (/var/log and friends are the per-node folders).
  const hostPath = (p: string): string => {
    for (const [inNode, onHost] of [
      ["/var/log", dirs.log],
      ["/etc/ha.d", dirs.etc],
      ["/var/lib/heartbeat", dirs.lib],
    ] as const) {
      if (p === inNode || p.startsWith(inNode + "/")) return onHost + p.slice(inNode.length);
    }
    return p;
  };
  const logfile = hostPath(haCfValue(opts.haCf, "logfile") ?? "/var/log/ha-log");
  const debugfile = hostPath(haCfValue(opts.haCf, "debugfile") ?? "/var/log/ha-debug");

  const keeper = lab.spawn(host, ["unshare", "--uts", "--mount", "--propagation", "private", "--", "sh", "-c", KEEPER_SCRIPT, "keeper", nodeName, base], {
    stdio: "pipe",
  });
  const keeperPid = keeper.pid;
  if (keeperPid === undefined) throw new Error(`${host}: could not start the keeper for ${nodeName}`);
  for (let i = 0; ; i++) {
    const out = lab.outputOf(keeper);
    if (/^ready$/m.test(out)) break;
    if (keeper.exitCode !== null || keeper.signalCode !== null || i > 250) {
      throw new Error(`${host}: keeper for ${nodeName} did not get ready: ${out.trim()}`);
    }
    await sleep(20);
  }
  // `ready` is printed by sh before it execs sleep: wait until the pid is the sleep itself.
  for (let i = 0; i < 100 && !/^sleep/.test(procInfo(keeperPid)?.cmd ?? ""); i++) await sleep(10);
  const ns = mntNs(keeperPid);
  if (!ns || ns === mntNs(process.pid)) throw new Error(`${host}: keeper ${keeperPid} has no mount namespace of its own`);

  let daemon: ChildProcess | undefined;
  let cleaned = false;
  const enter = (argv: readonly string[]) => ["nsenter", "-t", String(keeperPid), "-u", "-m", "-n", "--", ...argv];
  const keeperAlive = () => mntNs(keeperPid) === ns;

  const node: RealHeartbeatNode = {
    host,
    nodeName,
    dirs,
    keeperPid,
    get daemon() {
      return daemon;
    },
    async start() {
      if (cleaned || !keeperAlive()) throw new Error(`${nodeName}: node is cleaned up`);
      if (node.masterPid() !== undefined) throw new Error(`${nodeName}: heartbeat already runs (pid ${node.masterPid()})`);
      fs.appendFileSync(dirs.out, `--- start ${new Date().toISOString()}\n`);
      daemon = lab.spawn(host, enter([HEARTBEAT_BIN, "-f", ...(opts.heartbeatArgs ?? [])]), { logFile: dirs.out });
      // The master writes /run/heartbeat.pid once its configuration is valid (the API socket
      // comes later: at comm-up, or when initdead passes).
      for (let i = 0; i < 300; i++) {
        if (node.masterPid() !== undefined) return;
        if (daemon.exitCode !== null || daemon.signalCode !== null) break;
        await sleep(20);
      }
      throw new Error(`${nodeName}: heartbeat did not start:\n${node.log("out").slice(-3000)}\n${node.log().slice(-3000)}`);
    },
    async waitApi(timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (!fs.existsSync(`/proc/${keeperPid}/root/run/heartbeat/register`)) {
        if (Date.now() > until) throw new Error(`${nodeName}: no API socket after ${timeoutMs} ms (comm not up?):\n${node.log().slice(-2000)}`);
        await sleep(50);
      }
    },
    exec(argv, o = {}) {
      return lab.exec(host, enter(argv), {
        timeoutMs: o.timeoutMs ?? 15_000,
        ...(o.input !== undefined ? { input: o.input } : {}),
        ...(o.env ? { env: o.env } : {}),
      });
    },
    clStatus(...args) {
      return node.exec(["cl_status", ...args], { timeoutMs: 10_000 });
    },
    async nodeStatus(name) {
      const r = await node.clStatus("nodestatus", name);
      const s = r.stdout.trim();
      return s === "" ? undefined : s;
    },
    async rscStatus() {
      const r = await node.clStatus("rscstatus");
      const s = r.stdout.trim();
      return r.code === 0 && s !== "" ? s : undefined;
    },
    hbStandby(which) {
      return node.exec([path.join(HB_SHARE, "hb_standby"), ...(which ? [which] : [])]);
    },
    hbTakeover(which) {
      return node.exec([path.join(HB_SHARE, "hb_takeover"), ...(which ? [which] : [])]);
    },
    log(which = "log") {
      const f = which === "log" ? logfile : which === "debug" ? debugfile : dirs.out;
      try {
        return fs.readFileSync(f, "utf8");
      } catch {
        return "";
      }
    },
    masterPid() {
      let text: string;
      try {
        text = fs.readFileSync(`/proc/${keeperPid}/root/run/heartbeat.pid`, "utf8");
      } catch {
        return undefined;
      }
      const pid = Number(text.trim());
      if (!Number.isInteger(pid) || pid <= 1 || mntNs(pid) !== ns) return undefined;
      const info = procInfo(pid);
      return info && info.state !== "Z" ? pid : undefined;
    },
    processes() {
      return processesInMntNs(ns).filter((p) => p.pid !== keeperPid);
    },
    async stop(timeoutMs = 60_000) {
      const master = node.masterPid();
      if (master === undefined) return;
      const r = await node.exec([HEARTBEAT_BIN, "-k"], { timeoutMs });
      const until = Date.now() + 5000;
      while (node.masterPid() !== undefined && Date.now() < until) await sleep(20);
      if (node.masterPid() !== undefined) {
        throw new Error(`${nodeName}: heartbeat -k did not stop pid ${master} (exit ${r.code}): ${r.stderr.trim()}`);
      }
    },
    async kill9(o = {}) {
      const procs = node.processes();
      let victims: number[];
      if (o.all) {
        victims = procs.map((p) => p.pid);
      } else {
        const master = node.masterPid();
        if (master === undefined) return [];
        victims = [master];
        // descendants of the master (FIFO reader, media readers/writers, running scripts)
        for (let grew = true; grew;) {
          grew = false;
          for (const p of procs) {
            if (!victims.includes(p.pid) && victims.includes(p.ppid)) {
              victims.push(p.pid);
              grew = true;
            }
          }
        }
      }
      for (const pid of victims) signalPid(pid, "SIGKILL");
      const until = Date.now() + 3000;
      while (Date.now() < until && victims.some((pid) => mntNs(pid) === ns && procInfo(pid)?.state !== "Z")) await sleep(10);
      return victims;
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      // Everything in the node's mount namespace, by PID, until none is left; then the keeper.
      for (let round = 0; round < 50; round++) {
        const left = processesInMntNs(ns).filter((p) => p.pid !== keeperPid);
        if (left.length === 0) break;
        for (const p of left) signalPid(p.pid, "SIGKILL");
        await sleep(20);
      }
      signalPid(keeperPid, "SIGKILL");
      await lab.waitExit(keeper, 3000).catch(() => false);
      const until = Date.now() + 3000;
      let left = processesInMntNs(ns);
      while (left.length > 0 && Date.now() < until) {
        for (const p of left) signalPid(p.pid, "SIGKILL");
        await sleep(20);
        left = processesInMntNs(ns);
      }
      if (left.length > 0) throw new Error(`${nodeName}: still running after cleanup: ${left.map((p) => `${p.pid} ${p.cmd}`).join("; ")}`);
    },
  };
  if (opts.start !== false) {
    try {
      await node.start();
    } catch (err) {
      await node.cleanup().catch(() => undefined);
      throw err;
    }
  }
  return node;
}

/** A packet capture inside a lab host (tcpdump -U -w), for looking at the wire afterwards. */
export interface Capture {
  readonly file: string;
  /** Stops tcpdump (by its pid) and returns `tcpdump -r -nn -A` text of what it saw (or -X with `hex`). */
  stop(opts?: { hex?: boolean; maxBytes?: number }): Promise<string>;
}

/** Starts tcpdump on `ifName` in `host` writing `file` (filter default: UDP port 694). */
export async function startCapture(lab: NetnsLab, host: string, ifName: string, file: string, filter = "udp port 694"): Promise<Capture> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const proc = lab.spawn(host, ["tcpdump", "-i", ifName, "-U", "-nn", "-s", "0", "-w", file, ...filter.split(" ")], { stdio: "pipe" });
  for (let i = 0; i < 150 && !/listening on/.test(lab.outputOf(proc)); i++) {
    if (proc.exitCode !== null) throw new Error(`tcpdump failed: ${lab.outputOf(proc)}`);
    await sleep(20);
  }
  return {
    file,
    async stop(o = {}) {
      await sleep(100);
      await lab.stop(proc, 2000);
      try {
        const text = execFileSync("tcpdump", ["-r", file, "-nn", "-tt", o.hex ? "-X" : "-A"], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
          maxBuffer: 64 * 1024 * 1024,
        });
        return o.maxBytes !== undefined ? text.slice(0, o.maxBytes) : text;
      } catch (e) {
        return `tcpdump -r failed: ${(e as Error).message}`;
      }
    },
  };
}

/** Lines of a Heartbeat log that show protocol trouble (what the interop checks must never see). */
export const HEARTBEAT_TROUBLE = [
  /authentication/i,
  /replay attack/i,
  /Irretrievably lost packet/i,
  /flow control disabled/i,
  /Message hist queue is filling up/i,
  /returning after partition/i,
  /Late heartbeat/i,
  /ERROR:/,
  /CRIT:/,
  /bad packet|Invalid message|cannot convert wire format|wirefmt2msg|netstring/i,
] as const;

/** The log lines matching any of HEARTBEAT_TROUBLE. */
export function troubleLines(log: string, patterns: readonly RegExp[] = HEARTBEAT_TROUBLE): string[] {
  return log.split("\n").filter((l) => patterns.some((p) => p.test(l)));
}

/** One UDP datagram from a capture. */
export interface WirePacket {
  /** Seconds since the epoch (with fractions). */
  readonly time: number;
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly payload: Buffer;
}

/** The IPv4 UDP datagrams of a pcap file written by tcpdump on an Ethernet interface. */
export function readPcapUdp(file: string): WirePacket[] {
  const buf = fs.readFileSync(file);
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  const out: WirePacket[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const pkt = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    let ip = linkType === 1 ? 14 : linkType === 113 ? 16 : 0;
    if (linkType === 1 && pkt.length >= 14 && pkt.readUInt16BE(12) === 0x8100) ip += 4;
    if (pkt.length < ip + 20 || pkt[ip]! >> 4 !== 4 || pkt[ip + 9] !== 17) continue;
    const ihl = (pkt[ip]! & 15) * 4;
    const udp = ip + ihl;
    if (pkt.length < udp + 8) continue;
    const dot = (o: number) => `${pkt[o]}.${pkt[o + 1]}.${pkt[o + 2]}.${pkt[o + 3]}`;
    const udpLen = pkt.readUInt16BE(udp + 4);
    out.push({
      time: sec + frac / (nano ? 1e9 : 1e6),
      src: dot(ip + 12),
      dst: dot(ip + 16),
      sport: pkt.readUInt16BE(udp),
      dport: pkt.readUInt16BE(udp + 2),
      payload: Buffer.from(pkt.subarray(udp + 8, Math.min(pkt.length, udp + udpLen))),
    });
  }
  return out;
}

/**
 * The fields of a Heartbeat datagram (netstring `###`…`%%%` or classic `>>>`…`<<<`), in order;
 * binary values as `<N bytes>`. The netstring trailer, when present, is returned as `_trailer`.
 * Undefined when the payload is neither.
 */
export function heartbeatFields(payload: Buffer): Array<[string, string]> | undefined {
  const text = payload.toString("latin1");
  const fields: Array<[string, string]> = [];
  if (text.startsWith("###\n")) {
    let i = 4;
    while (i < text.length) {
      if (text.startsWith("%%%\n", i)) {
        i += 4;
        const m = /^(\d+):/.exec(text.slice(i));
        if (m) fields.push(["_trailer", text.slice(i + m[0].length, i + m[0].length + Number(m[1]))]);
        return fields;
      }
      const m = /^(\d+):/.exec(text.slice(i, i + 12));
      if (!m) return fields;
      const len = Number(m[1]);
      const body = text.slice(i + m[0].length, i + m[0].length + len);
      i += m[0].length + len + 1;
      const fm = /^\((\d+)\)([^=]*)=([\s\S]*)$/.exec(body);
      if (!fm) continue;
      fields.push([fm[2]!, fm[1] === "1" ? `<${fm[3]!.length} bytes>` : fm[3]!]);
    }
    return fields;
  }
  if (text.startsWith(">>>\n")) {
    for (const line of text.replace(/\0$/, "").split("\n")) {
      if (line === ">>>" || line === "<<<" || line === "") continue;
      const eq = line.indexOf("=");
      if (eq > 0) fields.push([line.slice(0, eq), line.slice(eq + 1)]);
    }
    return fields;
  }
  return undefined;
}

/** One line per datagram: `+12.345 192.0.2.5>192.0.2.6 t=status src=… seq=1a …` (binary and auth shortened). */
export function describePackets(packets: readonly WirePacket[], t0 = packets[0]?.time ?? 0): string[] {
  return packets.map((p) => {
    const f = heartbeatFields(p.payload);
    const body = f
      ? f
          .filter(([k]) => k !== "ld")
          .map(([k, v]) => `${k}=${k === "auth" || k === "_trailer" ? v.slice(0, 10) + "…" : v}`)
          .join(" ")
      : `<${p.payload.length} bytes, not Heartbeat>`;
    return `+${(p.time - t0).toFixed(3)} ${p.src}>${p.dst} ${body}`;
  });
}
