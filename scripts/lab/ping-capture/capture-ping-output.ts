// Records what iputils, GNU inetutils and busybox ping really print in each case a ping node can be in, as test data for the reply parser.
// Usage (root): npx tsc -p tsconfig.json && node .out/scripts/lab/ping-capture/capture-ping-output.js [OUT_DIR]
// Default OUT_DIR: appliance/src/adapters/testdata/ping. Needs python3 for icmp-injector.py (the tests do not).

import { writeFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { NetnsLab } from "../netns-lab";
import { availablePings, type AvailablePing } from "../ping-implementations";
import type { PingImplementation } from "../../../appliance/src/adapters/ping-implementation";

const INJECTOR = resolve(__dirname, "../../../../scripts/lab/ping-capture/icmp-injector.py");

const A = {
  pinger: "192.0.2.10",
  pinger6: "2001:db8::10",
  router: "192.0.2.1",
  r2: "192.0.2.2",
  target: "192.0.2.20",
  target6: "2001:db8::20",
  inj: "192.0.2.21",
  forged: "192.0.2.22",
  nobody: "192.0.2.99",
  routerEth1: "198.51.100.1",
  far: "198.51.100.20",
  farNobody: "198.51.100.99",
  noNet: "203.0.113.9",
  lonely: "203.0.113.10",
};

/** One capture: what ran, what it printed (stdout in chunks as they arrived), and how many genuine echo replies came back. */
export interface PingCapture {
  readonly implementation: PingImplementation;
  readonly version: string;
  readonly case: string;
  readonly how: string;
  readonly argv: readonly string[];
  /** The address the ping node has: what a reply must come from. */
  readonly nodeAddress: string;
  /** Echo replies from nodeAddress that really arrived, each sequence number once (see `truth`). */
  readonly expectedReplies: number;
  /** Where expectedReplies comes from: the case itself, or the answering namespace's kernel counter. */
  readonly truth: string;
  readonly exitCode: number | null;
  readonly stdoutChunks: readonly { readonly ms: number; readonly text: string }[];
  readonly stderr: string;
}

interface Case {
  readonly name: string;
  readonly how: string;
  readonly from?: string;
  readonly nodeAddress: string;
  readonly args: (impl: PingImplementation) => string[] | undefined;
  /**
   * Count the genuine replies with the pinging namespace's own kernel counter, Icmp InEchoReps (or
   * Icmp6InEchoReplies): what really reached it, lost frames and late bursts included. `copies`:
   * each echo is answered that many times. Without a counter, `expected` says it.
   */
  readonly counter?: { v6?: boolean; copies?: number };
  readonly expected?: number;
  readonly setUp?: (lab: NetnsLab) => Promise<(() => Promise<void>) | void>;
  readonly during?: (lab: NetnsLab) => Promise<void>;
  readonly timeoutMs?: number;
  readonly program?: (p: AvailablePing) => string;
}

const ttl1 = (impl: PingImplementation) => (impl === "inetutils" ? ["--ttl=1"] : ["-t", "1"]);
const base = (impl: PingImplementation) => (impl === "busybox" ? ["-i", "0.2"] : ["-n", "-i", "0.2"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sysctl(lab: NetnsLab, host: string, key: string, value: string | number): Promise<void> {
  await lab.exec(host, ["sysctl", "-q", "-w", `${key}=${value}`], { check: true });
}

function injector(mode: string, ...extra: string[]) {
  return async (lab: NetnsLab) => {
    const p = lab.spawn("inj", ["python3", INJECTOR, mode, ...extra], { stdio: "pipe" });
    await sleep(400);
    return async () => void (await lab.stop(p, 500));
  };
}

function ignoringEchoes(inner?: (lab: NetnsLab) => Promise<(() => Promise<void>) | void>) {
  return async (lab: NetnsLab) => {
    await sysctl(lab, "inj", "net.ipv4.icmp_echo_ignore_all", 1);
    const undo = inner ? await inner(lab) : undefined;
    return async () => {
      if (undo) await undo();
      await sysctl(lab, "inj", "net.ipv4.icmp_echo_ignore_all", 0);
    };
  };
}

const CASES: readonly Case[] = [
  { name: "reply", how: "ping the target on the same switch, 5 echoes", nodeAddress: A.target, args: (i) => [...base(i), "-c", "5", A.target], counter: {} },
  {
    name: "reply-ipv6",
    how: "ping the target's IPv6 address (inetutils: its ping6), 3 echoes",
    nodeAddress: A.target6,
    // inetutils' ping6 takes whole seconds only ("invalid value (`0.2' near `.2')").
    args: (i) => (i === "inetutils" ? ["-n", "-i", "1", "-c", "3", A.target6] : [...base(i), "-c", "3", "-6", A.target6]),
    program: (p) => (p.name === "inetutils" ? `${p.path}6` : p.path),
    counter: { v6: true },
  },
  {
    name: "host-unreachable-arp",
    how: "ping an unused address on our own subnet: ARP fails, our own kernel reports host unreachable",
    nodeAddress: A.nobody,
    args: (i) => [...base(i), "-w", "5", A.nobody],
    expected: 0,
    timeoutMs: 9000,
  },
  {
    name: "host-unreachable-router",
    how: "ping an unused address behind the router: the router's ARP fails, it sends host unreachable",
    nodeAddress: A.farNobody,
    args: (i) => [...base(i), "-w", "5", A.farNobody],
    expected: 0,
    timeoutMs: 9000,
  },
  {
    name: "net-unreachable",
    how: "ping a network the router has no route to: it sends net unreachable",
    nodeAddress: A.noNet,
    args: (i) => [...base(i), "-w", "2", A.noNet],
    expected: 0,
  },
  {
    name: "no-route",
    how: "ping from a host with no route to the target (no default route): the local send fails",
    from: "lonely",
    nodeAddress: A.noNet,
    args: (i) => [...base(i), "-w", "2", A.noNet],
    expected: 0,
  },
  {
    name: "ttl-exceeded",
    how: "ping a host behind the router with TTL 1: the router sends time exceeded",
    nodeAddress: A.far,
    args: (i) => [...base(i), ...ttl1(i), "-w", "2", A.far],
    expected: 0,
  },
  {
    name: "redirect",
    how: "ping a host behind the router through a second router on the same subnet: it forwards and sends a redirect; replies still come",
    nodeAddress: A.far,
    args: (i) => [...base(i), "-c", "5", A.far],
    counter: {},
    setUp: async (lab) => {
      await lab.ip("pinger", ["route", "replace", "198.51.100.0/24", "via", A.r2]);
      return async () => {
        await lab.ip("pinger", ["route", "del", "198.51.100.0/24"]);
        await lab.ip("pinger", ["route", "flush", "cache"]).catch(() => "");
      };
    },
  },
  {
    name: "dup",
    how: "the node's kernel ignores echoes and the injector answers each one twice, back to back: duplicates",
    nodeAddress: A.inj,
    args: (i) => [...base(i), "-c", "5", A.inj],
    counter: { copies: 2 },
    setUp: ignoringEchoes(injector("dup")),
  },
  {
    name: "broadcast",
    how: "ping the subnet's broadcast address (iputils needs -b; the others may refuse): the target and the routers answer from their own addresses",
    nodeAddress: "192.0.2.255",
    args: (i) => [...base(i), ...(i === "iputils" ? ["-b"] : []), "-c", "3", "192.0.2.255"],
    expected: 0,
  },
  {
    name: "reply-from-other-address",
    how: "the node ignores echoes; a forged echo reply (matching id and sequence) comes from another address",
    nodeAddress: A.inj,
    args: (i) => [...base(i), "-w", "3", A.inj],
    expected: 0,
    setUp: ignoringEchoes(injector("other-reply", A.forged)),
  },
  {
    name: "errors-from-node",
    how: "the node itself answers each echo with an ICMP error about it: port unreachable, host unreachable, source quench, parameter problem, time exceeded, in turn",
    nodeAddress: A.inj,
    args: (i) => [...base(i), "-w", "3", A.inj],
    expected: 0,
    setUp: ignoringEchoes(injector("errors")),
  },
  {
    name: "timeout",
    how: "the node ignores echoes (icmp_echo_ignore_all): no answer at all",
    nodeAddress: A.inj,
    args: (i) => [...base(i), "-w", "2", A.inj],
    expected: 0,
    setUp: ignoringEchoes(),
  },
  {
    name: "timeout-report",
    how: "as timeout, with iputils' -O (report outstanding replies)",
    nodeAddress: A.inj,
    args: (i) => (i === "iputils" ? [...base(i), "-O", "-w", "2", A.inj] : undefined),
    expected: 0,
    setUp: ignoringEchoes(),
  },
  {
    name: "unresolvable",
    how: "ping a name that does not resolve (.invalid)",
    nodeAddress: A.target,
    args: (i) => [...base(i), "-c", "1", "-w", "2", "no-such-host.invalid"],
    expected: 0,
  },
  {
    name: "interface-down",
    how: "ping the target; after 1 s our interface is set down (ip link set eth0 down), after 2.5 s up again",
    nodeAddress: A.target,
    // -c, not -w: a deadline can end the program between a reply's arrival and its line.
    args: (i) => [...base(i), "-c", "20", A.target],
    counter: {},
    during: async (lab) => {
      await sleep(1000);
      await lab.ip("pinger", ["link", "set", "eth0", "down"]);
      await sleep(1500);
      await lab.ip("pinger", ["link", "set", "eth0", "up"]);
      // Down flushes the IPv6 address and the default route; later cases need them.
      await lab.ip("pinger", ["addr", "replace", `${A.pinger6}/64`, "dev", "eth0", "nodad"]);
      await lab.ip("pinger", ["route", "replace", "default", "via", A.router]);
    },
  },
  {
    name: "carrier-lost",
    how: "ping the target; after 1 s the switch port goes down (cable pulled: NO-CARRIER), after 2.5 s up again",
    nodeAddress: A.target,
    // -c, not -w: a deadline can end the program between a reply's arrival and its line.
    args: (i) => [...base(i), "-c", "20", A.target],
    counter: {},
    during: async (lab) => {
      await sleep(1000);
      await lab.unplug("pinger", "eth0");
      await sleep(1500);
      await lab.plug("pinger", "eth0");
    },
  },
];

async function echoRepliesReceived(lab: NetnsLab, host: string, v6 = false): Promise<number> {
  const r = await lab.exec(host, ["cat", v6 ? "/proc/net/snmp6" : "/proc/net/snmp"], { check: true });
  if (v6) return Number(/^Icmp6InEchoReplies\s+(\d+)/m.exec(r.stdout)?.[1] ?? NaN);
  const lines = r.stdout.split("\n").filter((l) => l.startsWith("Icmp:"));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  return Number(values[names.indexOf("InEchoReps")]);
}

async function buildLab(lab: NetnsLab): Promise<void> {
  const answerBroadcasts = { "net.ipv4.icmp_echo_ignore_broadcasts": 0 };
  await lab.addSwitch("lan");
  await lab.addSwitch("farnet");
  await lab.addSwitch("iso");
  await lab.addHost("pinger");
  await lab.addHost("target", { sysctls: answerBroadcasts });
  await lab.addHost("inj");
  await lab.addHost("router", { forwarding: true, sysctls: answerBroadcasts });
  await lab.addHost("r2", {
    forwarding: true,
    sysctls: { ...answerBroadcasts, "net.ipv4.conf.all.send_redirects": 1, "net.ipv4.conf.eth0.send_redirects": 1 },
  });
  await lab.addHost("far");
  await lab.addHost("lonely");
  await lab.connect("pinger", "eth0", "lan", { addresses: [`${A.pinger}/24`, `${A.pinger6}/64`], gateway: A.router });
  await lab.connect("target", "eth0", "lan", { addresses: [`${A.target}/24`, `${A.target6}/64`] });
  await lab.connect("inj", "eth0", "lan", { addresses: [`${A.inj}/24`] });
  await lab.connect("router", "eth0", "lan", { addresses: [`${A.router}/24`] });
  await lab.connect("router", "eth1", "farnet", { addresses: [`${A.routerEth1}/24`] });
  await lab.connect("r2", "eth0", "lan", { addresses: [`${A.r2}/24`] });
  await lab.connect("far", "eth0", "farnet", { addresses: [`${A.far}/24`], gateway: A.routerEth1 });
  await lab.connect("lonely", "eth0", "iso", { addresses: [`${A.lonely}/24`] });
  await lab.ip("r2", ["route", "replace", "198.51.100.0/24", "via", A.router]);
}

async function capture(lab: NetnsLab, p: AvailablePing, version: string, c: Case): Promise<PingCapture | undefined> {
  const args = c.args(p.name);
  if (!args) return undefined;
  const program = c.program ? c.program(p) : p.path;
  const undo = c.setUp ? await c.setUp(lab) : undefined;
  await lab.exec(c.from ?? "pinger", ["ip", "neigh", "flush", "all"]);
  const before = c.counter ? await echoRepliesReceived(lab, c.from ?? "pinger", c.counter.v6) : 0;
  const t0 = Date.now();
  const proc = lab.spawn(c.from ?? "pinger", [program, ...args], { stdio: "pipe" });
  const chunks: { ms: number; text: string }[] = [];
  let stderr = "";
  proc.stdout!.setEncoding("latin1").on("data", (d: string) => chunks.push({ ms: Date.now() - t0, text: d }));
  proc.stderr!.setEncoding("latin1").on("data", (d: string) => (stderr += d));
  const exitCode = new Promise<number | null>((r) => proc.on("close", (code) => r(code)));
  const during = c.during ? c.during(lab) : Promise.resolve();
  const done = await Promise.race([exitCode.then(() => true), sleep(c.timeoutMs ?? 8000).then(() => false)]);
  if (!done) await lab.stop(proc, 500);
  await during;
  const code = await exitCode;
  // Read at the ping's exit: a reply that comes later was never printed.
  const after = c.counter ? await echoRepliesReceived(lab, c.from ?? "pinger", c.counter.v6) : 0;
  if (undo) await undo();
  return {
    implementation: p.name,
    version,
    case: c.name,
    how: c.how,
    argv: [program.replace(/^.*\//, ""), ...args],
    nodeAddress: c.nodeAddress,
    expectedReplies: c.counter ? (after - before) / (c.counter.copies ?? 1) : c.expected!,
    truth: c.counter
      ? `echo replies that reached the pinging namespace during the run (its kernel's ${c.counter.v6 ? "Icmp6InEchoReplies" : "Icmp InEchoReps"})${c.counter.copies ? `, divided by ${c.counter.copies} (each echo answered ${c.counter.copies} times)` : ""}`
      : "the case: nothing can answer",
    exitCode: done ? code : null,
    stdoutChunks: chunks,
    stderr,
  };
}

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? join(__dirname, "../../../../appliance/src/adapters/testdata/ping"));
  const pings = availablePings();
  if (pings.length < 3) process.stderr.write(`only ${pings.map((p) => p.name).join(", ")} available\n`);
  await NetnsLab.withLab(
    async (lab) => {
      await buildLab(lab);
      for (const p of pings) {
        const v = await lab.exec("pinger", [p.path, "-V"]);
        const version =
          `${v.stdout}${v.stderr}`
            .split("\n")
            .find((l) => /iputils|inetutils|BusyBox/.test(l))
            ?.trim() ?? "?";
        mkdirSync(join(out, p.name), { recursive: true });
        for (const c of CASES) {
          const cap = await capture(lab, p, version, c);
          if (!cap) continue;
          writeFileSync(join(out, p.name, `${c.name}.json`), `${JSON.stringify(cap, null, 1)}\n`);
          const lines = cap.stdoutChunks
            .map((x) => x.text)
            .join("")
            .split("\n").length;
          process.stdout.write(`${p.name} ${c.name}: exit ${cap.exitCode}, ${lines} lines, expected ${cap.expectedReplies} replies\n`);
        }
      }
    },
    { tag: "pcap", deadlineMs: 600_000 },
  );
}

void main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
