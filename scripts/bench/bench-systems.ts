// The three systems the bench compares (Twinbeat, Debian's heartbeat 3.0.6, keepalived), each driven the same way in the seed's lab.

import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NetnsLab } from "../lab/netns-lab";
import { LAB_ADDR, writeSeedConfigs, type SeedNodeKey } from "../lab/seed-topology";
import { HTTPD_SCRIPT } from "../lab/seed-pair";
import { startNode, twinbeatArgv, type RunningNode } from "../lab/lab-daemon";
import { readHaConfigDir, startRealHeartbeat, type RealHeartbeatNode } from "../lab/real-heartbeat";

export type SystemName = "twinbeat" | "heartbeat" | "keepalived";
export const NODES: readonly SeedNodeKey[] = ["srv5", "srv6"];
export const PAGES: Readonly<Record<SeedNodeKey, string>> = { srv5: "NodeA", srv6: "NodeB" };

/** The detection budget every system gets (deadtime 1 s; keepalived's master-down interval ≈ 1 s). */
export interface Budget {
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
}

export interface BenchSystem {
  readonly name: SystemName;
  /** What it runs with, for the report. */
  readonly settings: string;
  /** Interval of its heartbeat/advert timer (the fault comes at a random phase of it). */
  readonly timerMs: number;
  start(node: SeedNodeKey): Promise<void>;
  /** Everything of the node dies at once (daemon, helpers, the service), and its addresses go, as a reboot would. */
  crash(node: SeedNodeKey): Promise<void>;
  /** Only the cluster daemon is killed (SIGKILL); helpers it left (guard, service) keep running. */
  killDaemon(node: SeedNodeKey): Promise<void>;
  /** A planned handover: hb_standby (keepalived: a lower priority and a reload). */
  standby(node: SeedNodeKey): Promise<void>;
  /** Back: hb_takeover (keepalived: the first priority and a reload). */
  takeover(node: SeedNodeKey): Promise<void>;
  /** Graceful stop (the groups are released). */
  stop(node: SeedNodeKey): Promise<void>;
  /** The pids whose process trees make up the node's cluster software (not the web service). */
  treeRoots(node: SeedNodeKey): number[];
  /** Leaves nothing running. */
  cleanup(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The inode of a lab host's network namespace (what /proc/<pid>/ns/net links to). */
function netnsInode(lab: NetnsLab, host: string): number {
  return statSync(`/run/netns/${lab.nsOf(host)}`).ino;
}

/** Pids of processes living in the host's network namespace, but `keep`. */
export function processesInNetns(lab: NetnsLab, host: string, keep: readonly number[] = []): number[] {
  const want = `net:[${netnsInode(lab, host)}]`;
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid || keep.includes(Number(d))) continue;
    try {
      if (readlinkSync(`/proc/${d}/ns/net`) === want) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/** SIGKILL every process in the host's netns (but `keep`), by pid, until none is left. */
async function killAllIn(lab: NetnsLab, host: string, keep: readonly number[] = []): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const left = processesInNetns(lab, host, keep).filter((p) => {
      try {
        return !/\) Z /.test(readFileSync(`/proc/${p}/stat`, "utf8"));
      } catch {
        return false;
      }
    });
    if (left.length === 0) return;
    for (const p of left) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // gone
      }
    }
    await sleep(20);
  }
}

/** A reboot forgets the VIP: deleted from every interface of the host. */
async function dropVip(lab: NetnsLab, host: string): Promise<void> {
  for (const a of await lab.addresses(host).catch(() => [])) {
    if (a.address === LAB_ADDR.vip) await lab.ip(host, ["addr", "del", `${a.address}/${a.prefixLen}`, "dev", a.ifName]).catch(() => undefined);
  }
}

/** The seed's ha.cf at the bench budget, with ipfail where Debian has it; each node gets its own copy. */
function seedConfigs(work: string, budget: Budget, logDir: (n: SeedNodeKey) => string) {
  const cfg = writeSeedConfigs(join(work, "etc"), {
    nodeNames: "short",
    logDir,
    haCfOverrides: {
      keepalive: `${budget.keepaliveMs}ms`,
      deadtime: `${budget.deadtimeMs}ms`,
      warntime: `${Math.round(budget.deadtimeMs / 2)}ms`,
      initdead: "3",
      auto_failback: "on",
      respawn: "root /usr/libexec/heartbeat/ipfail",
    },
  });
  for (const node of NODES) {
    const dir = cfg.dirs[node];
    writeFileSync(join(dir, "haresources"), `${cfg.nodeNames.srv5} IPaddr::${LAB_ADDR.vip}/32 httpd\n`);
    mkdirSync(join(dir, "resource.d"), { recursive: true });
    writeFileSync(join(dir, "resource.d", "httpd"), readFileSync(HTTPD_SCRIPT), { mode: 0o755 });
    mkdirSync(join(dir, "www"), { recursive: true });
    writeFileSync(join(dir, "www", "index.html"), `${PAGES[node]}\n`);
  }
  return cfg;
}

// ---------------------------------------------------------------------------

export function twinbeatSystem(lab: NetnsLab, work: string, budget: Budget): BenchSystem {
  const cfg = seedConfigs(work, budget, (n) => join(work, "logs", n));
  const running: Partial<Record<SeedNodeKey, RunningNode>> = {};
  const admin = async (node: SeedNodeKey, tool: "hb_standby" | "hb_takeover") => {
    const n = running[node];
    if (!n) throw new Error(`${node} is not running`);
    const r = await lab.exec(node, [...twinbeatArgv(), tool, "all", "--run-dir", n.runDir], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`${tool} on ${node}: ${r.stderr.trim() || r.stdout.trim()}`);
  };
  return {
    name: "twinbeat",
    settings: `keepalive ${budget.keepaliveMs}ms, deadtime ${budget.deadtimeMs}ms, ucast eth1, ping nodes + ipfail, auto_failback on (${process.env.TWINBEAT_BIN ? "single executable" : "node main.js"})`,
    timerMs: budget.keepaliveMs,
    async start(node) {
      running[node] = startNode(lab, node, cfg.nodeNames[node], cfg.dirs[node], work);
    },
    async crash(node) {
      await killAllIn(lab, node);
      await dropVip(lab, node);
      delete running[node];
    },
    async killDaemon(node) {
      const pid = running[node]?.proc.pid;
      if (pid) process.kill(pid, "SIGKILL");
      delete running[node];
    },
    standby: (node) => admin(node, "hb_standby"),
    takeover: (node) => admin(node, "hb_takeover"),
    async stop(node) {
      const n = running[node];
      if (n) await lab.stop(n.proc, 15_000);
      delete running[node];
    },
    treeRoots: (node) => (running[node]?.proc.pid ? [running[node]!.proc.pid!] : []),
    async cleanup() {
      for (const node of NODES) await killAllIn(lab, node);
    },
  };
}

export function heartbeatSystem(lab: NetnsLab, work: string, budget: Budget): BenchSystem {
  const cfg = seedConfigs(work, budget, () => "/var/log");
  const nodes: Partial<Record<SeedNodeKey, RealHeartbeatNode>> = {};
  const get = async (node: SeedNodeKey) => {
    nodes[node] ??= await startRealHeartbeat(lab, node, {
      nodeName: cfg.nodeNames[node],
      ...readHaConfigDir(cfg.dirs[node]),
      files: { "www/index.html": `${PAGES[node]}\n` },
      workDir: work,
      start: false,
    });
    return nodes[node]!;
  };
  return {
    name: "heartbeat",
    settings: `Debian heartbeat 3.0.6: keepalive ${budget.keepaliveMs}ms, deadtime ${budget.deadtimeMs}ms, ucast eth1, ping nodes + ipfail, auto_failback on`,
    timerMs: budget.keepaliveMs,
    async start(node) {
      await (await get(node)).start();
    },
    async crash(node) {
      const n = await get(node);
      await n.kill9({ all: true });
      await dropVip(lab, node);
      // A reboot empties /run: heartbeat would otherwise take a recycled pid for itself still running.
      rmSync(`/proc/${n.keeperPid}/root/run/heartbeat.pid`, { force: true });
    },
    async killDaemon(node) {
      await (await get(node)).kill9();
    },
    async standby(node) {
      const r = await (await get(node)).hbStandby("all");
      if (r.code !== 0) throw new Error(`hb_standby on ${node}: ${r.stderr.trim()}`);
    },
    async takeover(node) {
      const r = await (await get(node)).hbTakeover("all");
      if (r.code !== 0) throw new Error(`hb_takeover on ${node}: ${r.stderr.trim()}`);
    },
    async stop(node) {
      const n = nodes[node];
      if (n?.masterPid() !== undefined) await n.stop(30_000);
    },
    treeRoots(node) {
      // Heartbeat's processes: everything in the node but its web service (and the keeper, already left out).
      return (nodes[node]?.processes() ?? []).filter((p) => !/httpd/.test(p.cmd)).map((p) => p.pid);
    },
    async cleanup() {
      for (const node of NODES) await nodes[node]?.cleanup().catch(() => undefined);
    },
  };
}

/** keepalived's VRRP config: VRRPv3 unicast on the heartbeat net (like the seed's ucast), the VIP on eth0. */
export function keepalivedConf(node: SeedNodeKey, priority: number, advertS: number, dir: string): string {
  const peer = node === "srv5" ? "srv6" : "srv5";
  return [
    "global_defs {",
    `  router_id ${node}`,
    "  vrrp_version 3",
    "  script_user root",
    "  enable_script_security",
    "}",
    "vrrp_instance VI_1 {",
    "  state BACKUP",
    "  interface eth1",
    `  unicast_src_ip ${LAB_ADDR[node].eth1}`,
    `  unicast_peer {\n    ${LAB_ADDR[peer].eth1}\n  }`,
    "  virtual_router_id 51",
    `  priority ${priority}`,
    `  advert_int ${advertS}`,
    "  virtual_ipaddress {",
    `    ${LAB_ADDR.vip}/32 dev eth0`,
    "  }",
    "}",
    `# ${dir}`,
    "",
  ].join("\n");
}

/** The advert interval whose master-down interval (3 adverts + skew) is closest to the deadtime. */
export function keepalivedAdvertS(budget: Budget): number {
  // master_down = 3 × advert + (256 − priority) / 256 × advert; priority 100 on the backup: ≈ 3.61 adverts.
  return Math.max(0.01, Math.round((budget.deadtimeMs / 1000 / 3.61) * 100) / 100);
}

export function keepalivedSystem(lab: NetnsLab, work: string, budget: Budget): BenchSystem {
  const advertS = keepalivedAdvertS(budget);
  const priority: Record<SeedNodeKey, number> = { srv5: 150, srv6: 100 };
  const procs: Partial<Record<SeedNodeKey, ReturnType<NetnsLab["spawn"]>>> = {};
  const dirOf = (node: SeedNodeKey) => join(work, "keepalived", node);
  const conf = (node: SeedNodeKey, prio: number) => {
    mkdirSync(dirOf(node), { recursive: true });
    writeFileSync(join(dirOf(node), "keepalived.conf"), keepalivedConf(node, prio, advertS, dirOf(node)));
  };
  const httpd = async (node: SeedNodeKey, action: "start" | "stop") => {
    mkdirSync(join(dirOf(node), "www"), { recursive: true });
    writeFileSync(join(dirOf(node), "www", "index.html"), `${PAGES[node]}\n`);
    await lab.exec(node, [HTTPD_SCRIPT, action], { env: { ...process.env, HA_DIR: dirOf(node) }, timeoutMs: 10_000 });
  };
  const reload = async (node: SeedNodeKey, prio: number) => {
    conf(node, prio);
    const pid = procs[node]?.pid;
    if (pid) process.kill(pid, "SIGHUP");
  };
  return {
    name: "keepalived",
    settings: `keepalived ${keepalivedVersion()}: VRRPv3 unicast on eth1, advert_int ${advertS} s (master-down ≈ ${Math.round(advertS * 3.61 * 1000)} ms), priorities 150/100, preempt (the failback)`,
    timerMs: advertS * 1000,
    async start(node) {
      conf(node, priority[node]);
      // The web service runs on both nodes (keepalived moves only the address), as in the seed.
      await httpd(node, "start");
      const d = dirOf(node);
      procs[node] = lab.spawn(
        node,
        ["keepalived", "--dont-fork", "--log-console", "--vrrp", "-f", join(d, "keepalived.conf"), "-p", join(d, "keepalived.pid"), "-r", join(d, "vrrp.pid")],
        { logFile: join(d, "keepalived.log") },
      );
    },
    async crash(node) {
      await killAllIn(lab, node);
      await dropVip(lab, node);
      delete procs[node];
    },
    async killDaemon(node) {
      // keepalived's parent restarts a dead VRRP child: the daemon is the whole keepalived tree.
      for (const pid of procs[node]?.pid ? [procs[node]!.pid!] : []) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      delete procs[node];
    },
    standby: (node) => reload(node, 50),
    takeover: (node) => reload(node, priority[node]),
    async stop(node) {
      const p = procs[node];
      if (p) await lab.stop(p, 10_000);
      await httpd(node, "stop");
      delete procs[node];
    },
    treeRoots: (node) => (procs[node]?.pid ? [procs[node]!.pid!] : []),
    async cleanup() {
      for (const node of NODES) await killAllIn(lab, node);
    },
  };
}

export function keepalivedVersion(): string {
  const r = spawnSync("keepalived", ["--version"], { encoding: "utf8" });
  return /Keepalived v(\S+)/.exec(`${r.stdout ?? ""}${r.stderr ?? ""}`)?.[1] ?? "?";
}
