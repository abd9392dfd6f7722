// `npm run bench`: Twinbeat, Debian's heartbeat and keepalived side by side in the seed's lab; writes bench/results/<date>.json, BENCHMARKS.md and an SVG.
// Usage (root): node .out/scripts/bench/run-bench.js [--runs 10] [--idle-seconds 60] [--systems twinbeat,heartbeat,keepalived] [--out DIR] [--seed N] [--no-write] [--merge] [--render bench/results/<date>.json]

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { NetnsLab } from "../lab/netns-lab";
import { buildSeedTopology, LAB_ADDR } from "../lab/seed-topology";
import { twinbeatArgv } from "../lab/lab-daemon";
import { heartbeatSystem, keepalivedSystem, twinbeatSystem, NODES, PAGES, type BenchSystem, type Budget, type SystemName } from "./bench-systems";
import { ServicePoller } from "./service-poller";
import { renderMarkdown, renderSvg, stats, type BenchResults, type IdleRow, type MetricName, type SystemResult } from "./bench-report";
import { describeTree, cpuBetween, treeCost } from "./process-tree";

const POLL_EVERY_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (text: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);

type Factory = (lab: NetnsLab, work: string, budget: Budget) => BenchSystem;
const ORDER: readonly SystemName[] = ["twinbeat", "heartbeat", "keepalived"];
const FACTORIES: Record<SystemName, Factory> = { twinbeat: twinbeatSystem, heartbeat: heartbeatSystem, keepalived: keepalivedSystem };

/** A random phase of the system's timer: the fault comes after 0..timerMs. */
const randomPhase = (sys: BenchSystem, rand: () => number) => sleep(rand() * sys.timerMs);

/** A small seeded generator, so that a run can be repeated (`--seed`). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One run: start, handovers, crash + failback, daemon kill, cable cut + heal; every number as the client saw it. */
async function oneRun(
  lab: NetnsLab,
  sys: BenchSystem,
  poller: ServicePoller,
  rand: () => number,
  add: (m: MetricName, v: number) => void,
  cut: (page: string) => void,
): Promise<void> {
  const A = PAGES.srv5;
  const B = PAGES.srv6;
  // Cold start: both at once.
  let t = poller.now();
  await Promise.all(NODES.map((n) => sys.start(n)));
  add("coldStartMs", await poller.waitAnswer(undefined, t, 30_000));
  await poller.waitAnswer(A, t, 30_000);
  await sleep(4000); // both up, initdead passed, JIT warm

  // Planned handover and back.
  t = poller.now();
  await sys.standby("srv5");
  const toB = await poller.waitAnswer(B, t, 15_000);
  await sleep(1000);
  add("handoverStandbyGapMs", poller.longestOutage(t, t + toB + 1000));
  await sleep(1000);
  t = poller.now();
  await sys.takeover("srv5");
  const toA = await poller.waitAnswer(A, t, 15_000);
  await sleep(1000);
  add("handoverTakeoverGapMs", poller.longestOutage(t, t + toA + 1000));
  await sleep(1500);

  // Node crash: cables pulled and everything killed at once; then the node comes back (failback).
  await randomPhase(sys, rand);
  t = poller.now();
  // Dead first (SIGKILL: no goodbye), then the cables: a node that sees its links go down first
  // could still resign over the other one (keepalived does), which a crashed box cannot.
  await sys.crash("srv5");
  await Promise.all([lab.unplug("srv5", "eth0"), lab.unplug("srv5", "eth1")]);
  add("failoverCrashMs", await poller.waitAnswer(B, t, 20_000));
  await sleep(2500);
  await Promise.all([lab.plug("srv5", "eth0"), lab.plug("srv5", "eth1")]);
  await sleep(500);
  t = poller.now();
  await sys.start("srv5");
  const back = await poller.waitAnswer(A, t, 30_000);
  await sleep(1000);
  add("failbackOutageMs", poller.longestOutage(t, t + back + 1000));
  await sleep(3000);

  // Daemon-only crash; then the node is cleaned as a reboot would and started again.
  await randomPhase(sys, rand);
  t = poller.now();
  await sys.killDaemon("srv5");
  add("failoverDaemonKillMs", await poller.waitAnswer(B, t, 20_000));
  await sleep(2500);
  await sys.crash("srv5");
  t = poller.now();
  await sys.start("srv5");
  await poller.waitAnswer(A, t, 30_000);
  await sleep(4000);

  // The seed's test: the heartbeat cable is cut; later it comes back.
  await randomPhase(sys, rand);
  t = poller.now();
  await lab.unplug("srv5", "eth1");
  await sleep(5000);
  add("cableCutOutageMs", poller.longestOutage(t, t + 5000));
  cut(poller.servedBy(t + 4000, t + 5000));
  t = poller.now();
  await lab.plug("srv5", "eth1");
  await sleep(5000);
  add("healOutageMs", poller.longestOutage(t, t + 5000));

  await Promise.all(NODES.map((n) => sys.stop(n).catch(() => undefined)));
  for (const n of NODES) await sys.crash(n);
}

async function idleCost(sys: BenchSystem, poller: ServicePoller, seconds: number): Promise<IdleRow[]> {
  const t = poller.now();
  await Promise.all(NODES.map((n) => sys.start(n)));
  await poller.waitAnswer(PAGES.srv5, t, 30_000);
  await sleep(10_000);
  const before = NODES.map((n) => treeCost(sys.treeRoots(n)));
  await sleep(seconds * 1000);
  const rows = NODES.map((n, i) => {
    const after = treeCost(sys.treeRoots(n));
    return {
      node: n,
      processes: after.processes.length,
      tree: describeTree(after),
      rssMb: after.rssKb / 1024,
      pssMb: after.pssKb / 1024,
      cpuSPerMin: (cpuBetween(before[i]!, after) * 60) / seconds,
    };
  });
  await Promise.all(NODES.map((n) => sys.stop(n).catch(() => undefined)));
  for (const n of NODES) await sys.crash(n);
  return rows;
}

async function benchSystem(name: SystemName, runs: number, idleSeconds: number, budget: Budget, rand: () => number): Promise<SystemResult> {
  const work = mkdtempSync(join(tmpdir(), `tb-bench-${name}-`));
  const samples: Partial<Record<MetricName, number[]>> = {};
  const cableCutServedBy: string[] = [];
  const errors: string[] = [];
  let idle: IdleRow[] = [];
  let settings = "";
  try {
    await NetnsLab.withLab(
      async (lab) => {
        await buildSeedTopology(lab, { nodeNames: "short" });
        const sys = FACTORIES[name](lab, work, budget);
        settings = sys.settings;
        const poller = new ServicePoller(lab, `http://${LAB_ADDR.vip}/`, POLL_EVERY_MS);
        try {
          for (let i = 1; i <= runs; i++) {
            const got: string[] = [];
            try {
              await oneRun(
                lab,
                sys,
                poller,
                rand,
                (m, v) => {
                  (samples[m] ??= []).push(v);
                  got.push(`${m} ${v}`);
                },
                (p) => cableCutServedBy.push(p),
              );
              log(`${name} run ${i}/${runs}: ${got.join(", ")}`);
            } catch (err) {
              errors.push(`run ${i}: ${(err as Error).message.split("\n")[0]}`);
              log(`${name} run ${i}/${runs} FAILED: ${(err as Error).message.split("\n")[0]} (after ${got.join(", ")})`);
              if (process.env.TWINBEAT_BENCH_VERBOSE) log((err as Error).message);
              for (const n of NODES) {
                await sys.stop(n).catch(() => undefined);
                await sys.crash(n).catch(() => undefined);
                await lab.plug(n, "eth0").catch(() => undefined);
                await lab.plug(n, "eth1").catch(() => undefined);
              }
            }
          }
          if (idleSeconds > 0) {
            idle = await idleCost(sys, poller, idleSeconds);
            for (const r of idle)
              log(
                `${name} idle ${r.node}: ${r.cpuSPerMin.toFixed(3)} s CPU/min, RSS ${r.rssMb.toFixed(1)} MB, PSS ${r.pssMb.toFixed(1)} MB (${r.processes}: ${r.tree})`,
              );
          }
        } finally {
          poller.stop();
          await sys.cleanup();
        }
      },
      { deadlineMs: (runs * 150 + idleSeconds + 120) * 1000 },
    );
  } catch (err) {
    errors.push(`lab: ${(err as Error).message.split("\n")[0]}`);
  } finally {
    if (process.env.TWINBEAT_BENCH_KEEP) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  return { name, settings, runs, samples, cableCutServedBy, idle, errors };
}

/** `twinbeat --version` wall time, ms, over `n` runs. */
function executableStart(n: number) {
  const argv = twinbeatArgv();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(argv[0]!, [...argv.slice(1), "--version"], { stdio: "ignore" });
    ms.push(Math.round(Number(process.hrtime.bigint() - t0) / 1e5) / 10);
  }
  return stats(ms);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "10" },
      "idle-seconds": { type: "string", default: "60" },
      systems: { type: "string", default: "twinbeat,heartbeat,keepalived" },
      out: { type: "string", default: "." },
      seed: { type: "string" },
      "no-write": { type: "boolean", default: false },
      merge: { type: "boolean", default: false },
      render: { type: "string" },
    },
  });
  if (values.render) {
    // Re-renders BENCHMARKS.md and the SVG from a results file (after a change to the report only).
    const file = resolve(values.render);
    const r = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
    const out = resolve(values.out!);
    const svgFile = file.replace(/\.json$/, "-failover.svg");
    writeFileSync(svgFile, renderSvg(r));
    writeFileSync(join(out, "BENCHMARKS.md"), renderMarkdown(r, relative(out, file), relative(out, svgFile)));
    return;
  }
  const runs = Number(values.runs);
  const idleSeconds = Number(values["idle-seconds"]);
  const systems = values.systems!.split(",") as SystemName[];
  for (const s of systems) if (!(s in FACTORIES)) throw new Error(`unknown system ${s} (twinbeat, heartbeat, keepalived)`);
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
  const rand = mulberry32(seed);
  const budget: Budget = { keepaliveMs: 200, deadtimeMs: 1000 };
  const date = new Date().toISOString();
  const loadAtStart = loadavg();
  log(`bench: ${systems.join(", ")}, ${runs} runs each, idle ${idleSeconds} s, seed ${seed}, ${process.env.TWINBEAT_BIN ?? "node main.js"}`);
  const results: SystemResult[] = [];
  for (const s of systems) results.push(await benchSystem(s, runs, idleSeconds, budget, rand));
  let r: BenchResults = {
    date,
    machine: { cpus: cpus().length, kernel: release(), node: process.version, loadavgAtStart: loadAtStart },
    budget,
    pollEveryMs: POLL_EVERY_MS,
    ...(systems.includes("twinbeat") ? { executableStartMs: executableStart(10) } : {}),
    systems: results,
  };
  const out = resolve(values.out!);
  const day = date.slice(0, 10);
  const jsonFile = join(out, "bench", "results", `${day}.json`);
  if (values.merge && existsSync(jsonFile)) {
    // --merge: the systems not run now keep their results from today's earlier run.
    const old = JSON.parse(readFileSync(jsonFile, "utf8")) as BenchResults;
    const kept = old.systems.filter((s) => !systems.includes(s.name as SystemName));
    const notes = [
      ...(old.notes ?? []),
      `${kept.map((s) => s.name).join(", ")} from the run started ${old.date}; ${systems.join(", ")} re-run at ${date} (--merge).`,
    ];
    r = {
      ...r,
      notes,
      ...(r.executableStartMs || !old.executableStartMs ? {} : { executableStartMs: old.executableStartMs }),
      systems: [...kept, ...results].sort((a, b) => ORDER.indexOf(a.name as SystemName) - ORDER.indexOf(b.name as SystemName)),
    };
  }
  const svgFile = join(out, "bench", "results", `${day}-failover.svg`);
  const md = renderMarkdown(r, relative(out, jsonFile), relative(out, svgFile));
  if (values["no-write"]) {
    process.stdout.write(md);
  } else {
    mkdirSync(join(out, "bench", "results"), { recursive: true });
    writeFileSync(jsonFile, JSON.stringify({ seed, ...r }, null, 2) + "\n");
    writeFileSync(svgFile, renderSvg(r));
    writeFileSync(join(out, "BENCHMARKS.md"), md);
    log(`wrote ${relative(process.cwd(), jsonFile)}, ${relative(process.cwd(), svgFile)}, ${relative(process.cwd(), join(out, "BENCHMARKS.md"))}`);
  }
  if (r.systems.some((s) => s.errors.length > 0)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
