// Interop (issue #4): a real Heartbeat 3.0.6 node running Debian's ipfail next to Twinbeat's built-in ipfail; a cut public link moves the group, both ways, once per ping implementation on the Twinbeat side.

import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { buildSeedTopology, LAB_ADDR, writeSeedConfigs, type SeedNodeKey } from "../../../scripts/lab/seed-topology";
import { membership, startNode, type RunningNode } from "../../../scripts/lab/lab-daemon";
import { pingMatrix } from "../../../scripts/lab/ping-implementations";
import {
  describePackets,
  heartbeatFields,
  IPFAIL_BIN,
  LAB_HTTPD_SCRIPT,
  readHaConfigDir,
  readPcapUdp,
  realHeartbeatInstalled,
  startCapture,
  startRealHeartbeat,
  type Capture,
  type RealHeartbeatNode,
} from "../../../scripts/lab/real-heartbeat";

const isRoot = process.getuid?.() === 0;
const skip = !isRoot
  ? "needs root for network namespaces"
  : !realHeartbeatInstalled()
    ? "real Heartbeat not installed (bash scripts/lab/install-heartbeat.sh)"
    : !fs.existsSync(IPFAIL_BIN)
      ? `${IPFAIL_BIN} is missing (Debian's heartbeat package ships it)`
      : false;

const KEEPALIVE_MS = 200;
/** Ping nodes answer the real node once a second: deadping must cover a few missed answers. */
const DEADPING_S = 3;
const VIP_A = LAB_ADDR.vip; // srv5's group (real Heartbeat): IPaddr + httpd on :80
const VIP_B = "198.51.100.101"; // srv6's group (Twinbeat): IPaddr + httpd on :8080
const PAGES: Record<SeedNodeKey, string> = { srv5: "NodeA", srv6: "NodeB" };
const PING_NODES = [LAB_ADDR.gateway, LAB_ADDR.witness] as const;
/**
 * From a cut link to the move the client sees: deadping (3 s) + the ping schedule (1 s on the real side)
 * + the give-up delay (2 × keepalive) + the standby exchange and the resource scripts, with room.
 */
const MOVE_LIMIT_MS = 20_000;
/** Plugged back: the ping node returns, the counts balance, the foreign give-up runs. */
const RETURN_LIMIT_MS = 25_000;
/** Heartbeat's resource audit and the protocol complaints that must never appear. */
const FORBIDDEN = /failed authentication|replay attack|Irretrievably lost packet|flow control disabled|Both machines own|returning after partition/i;
/** The ipfail exchange and the standby protocol on the wire. */
const IPFAIL_TYPES = new Set(["hbapi-clstat", "num_ping_nodes", "you_are_dead", "abort_giveup", "ask_resources", "resource", "hb_takeover"]);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The lab's httpd script on its own port, with a pidfile of its own beside the node's config. */
function httpdVariant(port: number): string {
  const text = fs.readFileSync(LAB_HTTPD_SCRIPT, "utf8");
  if (!/^PIDFILE=/m.test(text) || !/^PORT=/m.test(text)) throw new Error(`${LAB_HTTPD_SCRIPT}: no PIDFILE= or PORT= line to adapt`);
  return text.replace(/^PIDFILE=.*$/m, `PIDFILE="\${HA_DIR:-/etc/ha.d}/httpd-${port}.pid"`).replace(/^PORT=.*$/m, `PORT="${port}"`);
}

/** uid and gid of a user from /etc/passwd (the real node shares the host's), or undefined. */
function passwdEntry(user: string): { uid: number; gid: number } | undefined {
  const line = fs
    .readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`));
  if (!line) return undefined;
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Both VIPs as the client on the public net sees them, every 100 ms. */
class Sampler {
  readonly samples: { atMs: number; a: string; b: string; holdersA: SeedNodeKey[]; holdersB: SeedNodeKey[] }[] = [];
  readonly #t0 = Date.now();
  #running = true;
  readonly #done: Promise<void>;

  constructor(lab: NetnsLab) {
    this.#done = (async () => {
      while (this.#running) {
        const started = Date.now();
        const page = async (url: string) => {
          const r = await lab.httpGet("client", url, 400);
          return r.ok ? r.body.trim().split("\n")[0]! : "-";
        };
        const holders = async (vip: string) => {
          const out: SeedNodeKey[] = [];
          for (const n of ["srv5", "srv6"] as const) {
            if ((await lab.addresses(n).catch(() => [])).some((x) => x.address === vip)) out.push(n);
          }
          return out;
        };
        const [a, b, holdersA, holdersB] = await Promise.all([page(`http://${VIP_A}/`), page(`http://${VIP_B}:8080/`), holders(VIP_A), holders(VIP_B)]);
        this.samples.push({ atMs: started - this.#t0, a, b, holdersA, holdersB });
        const wait = 100 - (Date.now() - started);
        if (wait > 0) await sleep(wait);
      }
    })();
  }

  now(): number {
    return Date.now() - this.#t0;
  }

  last(): string {
    const s = this.samples.at(-1);
    return s ? `A=${s.a} B=${s.b} (VIP A on ${s.holdersA.join("+") || "none"}, VIP B on ${s.holdersB.join("+") || "none"})` : "no sample yet";
  }

  /** Waits until one sample reads `a` on VIP A and `b` on VIP B; returns when (ms since start). */
  async waitPages(a: string, b: string, timeoutMs: number): Promise<number> {
    const from = this.samples.length;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.samples.slice(from).find((s) => s.a === a && s.b === b);
      if (hit) return hit.atMs;
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for the client to read A=${a} B=${b}; last: ${this.last()}`);
      await sleep(50);
    }
  }

  /** Samples since `fromMs` in which a VIP was on both nodes. */
  doubleHeld(fromMs: number): number {
    return this.samples.filter((s) => s.atMs >= fromMs && (s.holdersA.length > 1 || s.holdersB.length > 1)).length;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }
}

interface Pair {
  readonly lab: NetnsLab;
  readonly work: string;
  readonly realName: string;
  readonly tbName: string;
  readonly real: RealHeartbeatNode;
  readonly tb: RunningNode;
  readonly tbLogFile: string;
  readonly capture: Capture;
  readonly realIpfailUser: string;
}

/**
 * The seed topology: srv5 = real Heartbeat 3.0.6 with Debian's ipfail (respawned as hacluster),
 * srv6 = Twinbeat with the seed's `respawn root /usr/lib/heartbeat/ipfail` (its built-in ipfail).
 * Heartbeats on eth1 (ucast, sha1); ping nodes gateway (eth0, the public net) and witness (eth1);
 * auto_failback on; deadping 3 s; `debug 1`; two groups, A homed on srv5 and B on srv6.
 */
async function setUp(lab: NetnsLab, work: string, t: TestContext, pingProgram: string): Promise<Pair> {
  await buildSeedTopology(lab, { nodeNames: "fqdn" });
  const hacluster = passwdEntry("hacluster");
  const realIpfailUser = hacluster ? "hacluster" : "root";
  if (!hacluster) t.diagnostic("no hacluster user here: the real ipfail is respawned as root");
  const cfg = writeSeedConfigs(join(work, "etc"), {
    nodeNames: "fqdn",
    logDir: (n) => (n === "srv5" ? "/var/log" : join(work, "logs", n)),
    haCfOverrides: {
      keepalive: `${KEEPALIVE_MS}ms`,
      deadtime: "1",
      warntime: "500ms",
      initdead: "3",
      deadping: String(DEADPING_S),
      logfacility: "none",
      auto_failback: "on",
      apiauth: "ipfail gid=haclient uid=hacluster",
      debug: "1",
    },
  });
  const names = cfg.nodeNames;
  const haresources = `${names.srv5} IPaddr::${VIP_A}/32 httpd\n${names.srv6} IPaddr::${VIP_B}/32 httpd8080\n`;
  const scripts = { httpd: httpdVariant(80), httpd8080: httpdVariant(8080) };
  for (const n of ["srv5", "srv6"] as const) {
    const dir = cfg.dirs[n];
    fs.writeFileSync(join(dir, "haresources"), haresources);
    fs.writeFileSync(join(dir, "authkeys"), "auth 3\n3 sha1 interop-ipfail-key\n", { mode: 0o600 });
    fs.chmodSync(join(dir, "authkeys"), 0o600);
    fs.mkdirSync(join(dir, "resource.d"), { recursive: true });
    for (const [name, text] of Object.entries(scripts)) fs.writeFileSync(join(dir, "resource.d", name), text, { mode: 0o755 });
    fs.mkdirSync(join(dir, "www"), { recursive: true });
    fs.writeFileSync(join(dir, "www", "index.html"), `${PAGES[n]}\n`);
  }
  // The real node runs Debian's ipfail from Debian's path; Twinbeat keeps the seed's line.
  const realCfgDir = cfg.dirs.srv5;
  const realHaCf = fs.readFileSync(join(realCfgDir, "ha.cf"), "utf8");
  if (!/^respawn\s/m.test(realHaCf)) throw new Error(`the seed's ha.cf has no respawn line:\n${realHaCf}`);
  fs.writeFileSync(join(realCfgDir, "ha.cf"), realHaCf.replace(/^respawn\s.*$/m, `respawn ${realIpfailUser} ${IPFAIL_BIN}`));
  const tbHaCf = fs.readFileSync(join(cfg.dirs.srv6, "ha.cf"), "utf8");
  const tbRespawn = /^respawn\s.*$/m.exec(tbHaCf)?.[0] ?? "(none)";
  for (const [n, text] of [
    ["srv5", fs.readFileSync(join(realCfgDir, "ha.cf"), "utf8")],
    ["srv6", tbHaCf],
  ] as const) {
    for (const want of [/^ucast eth1 /m, /^ping /m, /^auto_failback on/m, /^deadping /m, /^apiauth ipfail gid=haclient uid=hacluster/m, /^respawn /m]) {
      if (!want.test(text)) throw new Error(`${n} ha.cf lacks ${want}:\n${text}`);
    }
  }
  t.diagnostic(`real srv5: respawn ${realIpfailUser} ${IPFAIL_BIN}; Twinbeat srv6: ${tbRespawn.replace(/\s+#.*/, "")}`);

  const capture = await startCapture(lab, "srv5", "eth1", join(work, "wire.pcap"));
  const real = await startRealHeartbeat(lab, "srv5", {
    nodeName: names.srv5,
    ...readHaConfigDir(realCfgDir),
    resourceD: scripts,
    files: { "www/index.html": `${PAGES.srv5}\n` },
    workDir: work,
    start: false,
  });
  // ipfail runs as hacluster and logs to the same files as the daemon: let it write them.
  for (const f of ["ha-log", "ha-debug"]) {
    const p = join(real.dirs.log, f);
    fs.writeFileSync(p, "", { flag: "a" });
    if (hacluster) fs.chownSync(p, hacluster.uid, hacluster.gid);
    fs.chmodSync(p, 0o664);
  }
  // Both start together (Heartbeat's "both starting" path), as the interop tests do.
  // The real node pings by itself (raw sockets); only Twinbeat runs a ping program.
  const tb = startNode(lab, "srv6", names.srv6, cfg.dirs.srv6, work, { pingProgram });
  await real.start();
  return { lab, work, realName: names.srv5, tbName: names.srv6, real, tb, tbLogFile: join(work, "logs", "srv6", "ha-log"), capture, realIpfailUser };
}

function tbLog(p: Pair): string {
  try {
    return fs.readFileSync(p.tbLogFile, "utf8");
  } catch {
    return p.lab.outputOf(p.tb.proc);
  }
}

/** Problems with "both nodes active over eth1" (empty = paired). */
async function pairingProblems(p: Pair): Promise<string[]> {
  const problems: string[] = [];
  const realSees = await p.real.nodeStatus(p.tbName);
  if (realSees !== "active") problems.push(`real cl_status nodestatus ${p.tbName} = ${realSees ?? "(failed)"}`);
  const realSelf = await p.real.nodeStatus(p.realName);
  if (realSelf !== "active") problems.push(`real cl_status nodestatus ${p.realName} = ${realSelf ?? "(failed)"}`);
  const link = (await p.real.clStatus("hblinkstatus", p.tbName, "eth1")).stdout.trim();
  if (link !== "up") problems.push(`real cl_status hblinkstatus ${p.tbName} eth1 = ${link || "(failed)"}`);
  const view = await membership(p.tb);
  const peer = view?.nodes.find((n) => n.name === p.realName);
  if (view?.localStatus !== "active") problems.push(`Twinbeat local status = ${view?.localStatus ?? "(no answer)"}`);
  if (peer?.status !== "active") problems.push(`Twinbeat sees ${p.realName} as ${peer?.status ?? "(unknown)"}`);
  if (peer && !peer.links.some((l) => l.name === "eth1" && l.status === "up"))
    problems.push(`Twinbeat's links to ${p.realName}: ${JSON.stringify(peer.links)}`);
  return problems;
}

/** How many ping nodes each side counts as `ping` now. */
async function pingCounts(p: Pair): Promise<{ real: number; tb: number; realDetail: string; tbDetail: string }> {
  const realStatus = await Promise.all(PING_NODES.map(async (n) => `${n}=${(await p.real.nodeStatus(n)) ?? "?"}`));
  const view = await membership(p.tb);
  const tbStatus = PING_NODES.map((n) => `${n}=${view?.nodes.find((x) => x.name === n)?.status ?? "?"}`);
  return {
    real: realStatus.filter((s) => s.endsWith("=ping")).length,
    tb: tbStatus.filter((s) => s.endsWith("=ping")).length,
    realDetail: realStatus.join(" "),
    tbDetail: tbStatus.join(" "),
  };
}

async function waitUntil(what: string, pred: () => Promise<boolean>, timeoutMs: number, diag: () => Promise<string>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await pred()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}\n${await diag()}`);
    await sleep(200);
  }
}

/** The ipfail exchange from both sides and the wire, for reports. */
function ipfailStory(p: Pair, fromRealLog = 0, fromTbLog = 0, fromWire = 0): string {
  const realLines = p.real
    .log()
    .slice(fromRealLog)
    .split("\n")
    .filter((l) => /ipfail|giveup|give up|standby|ping node|Link .*(dead|up)|Status update for node|acquir|releas|mach_down|Both machines|ERROR|CRIT/i.test(l))
    .filter((l) => !/Found ping node|Cannot lock ourselves|Core dumps|core_pattern/.test(l));
  const tbLines = tbLog(p)
    .slice(fromTbLog)
    .split("\n")
    .filter((l) => /ipfail|standby|ping node|Link .*(dead|up)|Status update|Acquir|Giving up|relinquish|takeover|Arbitration|WARN|ERROR|CRIT/i.test(l));
  let wire: string[];
  try {
    const all = readPcapUdp(p.capture.file).filter((pk) => pk.time >= fromWire);
    const t0 = all[0]?.time ?? 0;
    wire = describePackets(
      all.filter((pk) => IPFAIL_TYPES.has(Object.fromEntries(heartbeatFields(pk.payload) ?? [])["t"] ?? "")),
      t0,
    );
  } catch (e) {
    wire = [`(no capture: ${(e as Error).message})`];
  }
  const cut = (lines: string[], n: number) => (lines.length > n ? [`… ${lines.length - n} earlier lines …`, ...lines.slice(-n)] : lines);
  return [
    `--- real ${p.realName} (srv5) ha-log, ipfail/resource lines:`,
    ...cut(realLines, 60),
    `--- Twinbeat ${p.tbName} (srv6) log, ipfail/resource lines:`,
    ...cut(tbLines, 50),
    `--- ipfail and resource messages on srv5:eth1:`,
    ...cut(wire, 50),
  ].join("\n");
}

/** Starts the pair and waits for the normal layout (A on srv5, B on srv6), both active, both counting 2 ping nodes, ipfail joined. */
async function bringUp(p: Pair, s: Sampler, t: TestContext): Promise<void> {
  const t0 = s.now();
  await waitUntil(
    "both nodes active over eth1",
    async () => (await pairingProblems(p)).length === 0,
    20_000,
    async () => `${(await pairingProblems(p)).join("\n")}\n${ipfailStory(p)}`,
  );
  const served = (await s.waitPages(PAGES.srv5, PAGES.srv6, 30_000).catch((e: Error) => assert.fail(`${e.message}\n${ipfailStory(p)}`))) - t0;
  await waitUntil(
    "both sides to count 2 ping nodes",
    async () => {
      const c = await pingCounts(p);
      return c.real === 2 && c.tb === 2;
    },
    15_000,
    async () => JSON.stringify(await pingCounts(p)),
  );
  // The real ipfail signs on (as hacluster) and its join reaches Twinbeat, which asks for its count.
  await waitUntil(
    "the real ipfail to sign on",
    async () => p.real.processes().some((x) => x.cmd.includes(IPFAIL_BIN)) && /ipfail/.test(p.real.log()),
    15_000,
    async () =>
      `real processes: ${p.real
        .processes()
        .map((x) => x.cmd)
        .join("; ")}\n${ipfailStory(p)}`,
  );
  // Let the start-up exchanges (joins, ping nodes coming up, balanced foreign give-ups) settle,
  // then insist on the normal layout and stable resources on both sides.
  await sleep(6000);
  await s.waitPages(PAGES.srv5, PAGES.srv6, 20_000).catch((e: Error) => assert.fail(`layout after start-up: ${e.message}\n${ipfailStory(p)}`));
  await waitUntil(
    "stable resources on both sides",
    async () => {
      const r = await p.real.rscStatus();
      const tb = (await membership(p.tb))?.rscStatus;
      return r !== undefined && r !== "transition" && tb !== undefined && tb !== "transition";
    },
    20_000,
    async () => `real ${await p.real.rscStatus()}, Twinbeat ${(await membership(p.tb))?.rscStatus}\n${ipfailStory(p)}`,
  );
  const ipfailUser = p.real.processes().find((x) => x.cmd.includes(IPFAIL_BIN));
  t.diagnostic(`start: both served ${served} ms after the start; real ipfail pid ${ipfailUser?.pid ?? "?"} (respawned as ${p.realIpfailUser})`);
}

async function withPair(t: TestContext, name: string, pingProgram: string, fn: (p: Pair, s: Sampler) => Promise<void>): Promise<void> {
  const work = fs.mkdtempSync(join(tmpdir(), "tb-ipfail-"));
  let real: RealHeartbeatNode | undefined;
  try {
    await NetnsLab.withLab(
      async (lab) => {
        const p = await setUp(lab, work, t, pingProgram);
        real = p.real;
        const s = new Sampler(lab);
        try {
          await fn(p, s);
        } finally {
          await s.stop();
          await p.capture.stop().catch(() => "");
          const keep = process.env["TWINBEAT_KEEP_LOGS"];
          if (keep) {
            const dir = join(keep, `ipfail-${name}-${Date.now()}`);
            fs.mkdirSync(dir, { recursive: true });
            fs.cpSync(p.real.dirs.log, join(dir, "real-log"), { recursive: true });
            if (fs.existsSync(join(work, "logs"))) fs.cpSync(join(work, "logs"), join(dir, "twinbeat-log"), { recursive: true });
            fs.writeFileSync(join(dir, "twinbeat.out"), lab.outputOf(p.tb.proc));
            fs.copyFileSync(p.capture.file, join(dir, "wire.pcap"));
            fs.writeFileSync(join(dir, "wire.txt"), describePackets(readPcapUdp(p.capture.file)).join("\n") + "\n");
            t.diagnostic(`logs kept in ${dir}`);
          }
          await p.real.cleanup();
          lab.kill(p.tb.proc, "SIGKILL");
        }
      },
      { deadlineMs: 85_000 },
    );
  } finally {
    await real?.cleanup().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Cuts `cut`'s public link (eth0): its gateway ping dies, the ipfails exchange counts, the node
 * that sees fewer gives everything up. Plugs it back: the counts balance and, with auto_failback
 * on, the foreign group goes home. The timings go out as test diagnostics and `INTEROP` lines.
 */
async function cutAndRestore(p: Pair, s: Sampler, t: TestContext, cut: SeedNodeKey): Promise<void> {
  const other: SeedNodeKey = cut === "srv5" ? "srv6" : "srv5";
  const who = cut === "srv5" ? "real Heartbeat" : "Twinbeat";
  const realFrom = p.real.log().length;
  const tbFrom = tbLog(p).length;
  const wireFrom = Date.now() / 1000;
  const problems: string[] = [];

  // 1. Cut the public link: both groups end up on the other node, served to the client from there.
  const at = s.now();
  await p.lab.unplug(cut, "eth0");
  const moved = await s
    .waitPages(PAGES[other], PAGES[other], MOVE_LIMIT_MS)
    .catch((e: Error) => assert.fail(`${who} (${cut}) eth0 unplugged: ${e.message}\n${ipfailStory(p, realFrom, tbFrom, wireFrom)}`));
  const movedMs = moved - at;
  const counts = await pingCounts(p);
  // The heartbeat link never went down: no deadtime verdict, both still active.
  const paired = await pairingProblems(p);
  if (paired.length) problems.push(`after the move the heartbeat pair is broken: ${paired.join("; ")}`);
  const realAfter = p.real.log().slice(realFrom);
  const tbAfter = tbLog(p).slice(tbFrom);
  if (
    /is dead/.test(
      realAfter
        .split("\n")
        .filter((l) => l.includes(p.tbName))
        .join("\n"),
    )
  )
    problems.push(`the real node declared ${p.tbName} dead`);
  if (new RegExp(`node ${p.realName.replace(/\./g, "\\.")}: is dead`).test(tbAfter)) problems.push(`Twinbeat declared ${p.realName} dead`);
  // Who gave up, and why: the node that was cut must have been told / found it sees fewer.
  if (cut === "srv5") {
    if (!/Giving up because we (were told that we have less ping nodes|have less visible ping nodes)/.test(realAfter))
      problems.push("the real ipfail never logged its give-up");
    if (!/ipfail: telling .* that we see more ping nodes/.test(tbAfter)) problems.push("Twinbeat's ipfail never sent you_are_dead");
  } else {
    if (!/ipfail: giving up because/.test(tbAfter)) problems.push("Twinbeat's ipfail never logged its give-up");
    if (!/Telling other node that we have more visible ping nodes/.test(realAfter)) problems.push("the real ipfail never sent you_are_dead");
  }
  t.diagnostic(
    `${who} (${cut}) eth0 unplugged: the client read both pages from ${other} after ${movedMs} ms (ping nodes: real ${counts.realDetail}; Twinbeat ${counts.tbDetail})`,
  );
  process.stdout.write(`INTEROP ipfail.cut_${cut}.moved_ms ${movedMs}\n`);
  await sleep(1500);
  const last = s.samples.at(-1)!;
  if (`${last.a}/${last.b}` !== `${PAGES[other]}/${PAGES[other]}`) problems.push(`the moved layout did not hold: ${s.last()}`);

  // 2. Plug it back: balanced counts; with auto_failback on the foreign group goes home.
  const back = s.now();
  await p.lab.plug(cut, "eth0");
  const returned = await s
    .waitPages(PAGES.srv5, PAGES.srv6, RETURN_LIMIT_MS)
    .catch((e: Error) => assert.fail(`${problems.join("\n")}\n${who} (${cut}) eth0 plugged back: ${e.message}\n${ipfailStory(p, realFrom, tbFrom, wireFrom)}`));
  const returnedMs = returned - back;
  t.diagnostic(`${who} (${cut}) eth0 plugged back: the group was home again after ${returnedMs} ms`);
  process.stdout.write(`INTEROP ipfail.cut_${cut}.returned_ms ${returnedMs}\n`);
  await sleep(2000);
  const held = s.samples.at(-1)!;
  if (`${held.a}/${held.b}` !== `${PAGES.srv5}/${PAGES.srv6}`) problems.push(`the home layout did not hold after the return: ${s.last()}`);
  const doubled = s.doubleHeld(at);
  if (doubled > 2) problems.push(`a VIP was on both nodes in ${doubled} samples`);
  const paired2 = await pairingProblems(p);
  if (paired2.length) problems.push(`after the return the heartbeat pair is broken: ${paired2.join("; ")}`);
  const bad = p.real
    .log()
    .split("\n")
    .filter((l) => FORBIDDEN.test(l));
  if (bad.length) problems.push(`real Heartbeat logged:\n    ${bad.slice(0, 10).join("\n    ")}`);
  const story = ipfailStory(p, realFrom, tbFrom, wireFrom);
  if (process.env["TWINBEAT_IPFAIL_VERBOSE"]) t.diagnostic(story);
  assert.deepEqual(problems, [], `${problems.join("\n")}\n${story}`);
}

for (const ping of pingMatrix()) {
  describe(
    `interop ipfail: a real Heartbeat node with Debian's ipfail and a Twinbeat node (built-in ipfail, ${ping.name} ping)`,
    { skip: skip || ping.skip },
    () => {
      it(`[${ping.name}] cutting the real node's public link moves its group to Twinbeat; plugged back, it returns (auto_failback on)`, async (t) => {
        await withPair(t, `cut-real-${ping.name}`, ping.path!, async (p, s) => {
          await bringUp(p, s, t);
          await cutAndRestore(p, s, t, "srv5");
        });
      });

      it(`[${ping.name}] cutting Twinbeat's public link moves its group to the real node; plugged back, the real ipfail gives it back`, async (t) => {
        await withPair(t, `cut-twinbeat-${ping.name}`, ping.path!, async (p, s) => {
          await bringUp(p, s, t);
          await cutAndRestore(p, s, t, "srv6");
        });
      });
    },
  );
}
