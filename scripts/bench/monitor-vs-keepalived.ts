// Benchmark (not a timed test): service crash → client served again, and CPU per minute spent on checking, Twinbeat's built-in http check against keepalived 2.2.7's vrrp_script (curl).
// Usage (root): bash scripts/bench/install-bench-deps.sh && node .out/scripts/bench/monitor-vs-keepalived.js [seconds=60] [crashes=5] [twinbeat-interval=500ms] [twinbeat-only|all] [rounds=3]

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../lab/netns-lab";
import { breakHttpd, httpCheckLines, HTTPD_SCRIPT, killHttpd, ServiceSampler, setUpSeedPair } from "../lab/seed-pair";
import { buildSeedTopology, LAB_ADDR } from "../lab/seed-topology";
import { statusSeen, waitFor } from "../lab/lab-daemon";
import { controlRequest } from "../../appliance/src/daemon/control-server";
import type { DaemonStatus } from "../../appliance/src/status/daemon-status";

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds of a process and of its reaped children (utime + stime + cutime + cstime), and of its live children, recursively. */
function treeCpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return 0;
  }
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  let total = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLOCK_TICKS;
  for (const task of safeReaddir(`/proc/${pid}/task`)) {
    for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean)) total += treeCpuSeconds(Number(child));
  }
  return total;
}

/** How often the process's main thread (Node's event loop) went to sleep and was woken: its voluntary context switches. */
function wakeUps(pid: number): number {
  try {
    return Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** CPU seconds of the process `pid` itself, all its threads (utime + stime), children left out. */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** One measuring window: CPU seconds per minute of the process alone and of its tree, and the check runs in it. */
interface CpuWindow {
  readonly processPerMin: number;
  readonly treePerMin: number;
  /** The process's wake-ups (voluntary context switches of its main thread) per minute. */
  readonly wakeUpsPerMin: number;
  /** The control process's own CPU in the same window (Twinbeat: the peer's daemon, which runs no check). */
  readonly controlPerMin: number;
  readonly runs: number | undefined;
}

/** Measures `pid` over `seconds`; `runs` reads a cumulative count of check runs, when there is one. */
async function cpuWindow(pid: number, seconds: number, runs?: () => Promise<number>, controlPid?: number): Promise<CpuWindow> {
  const runs0 = await runs?.();
  const control = () => (controlPid !== undefined ? processCpuSeconds(controlPid) : 0);
  const [p0, t0, c0, v0, w0] = [processCpuSeconds(pid), treeCpuSeconds(pid), control(), wakeUps(pid), performance.now()];
  await sleep(seconds * 1000);
  const [p1, t1, c1, v1, w1] = [processCpuSeconds(pid), treeCpuSeconds(pid), control(), wakeUps(pid), performance.now()];
  const runs1 = await runs?.();
  const perMin = 60_000 / (w1 - w0);
  return {
    processPerMin: (p1 - p0) * perMin,
    treePerMin: (t1 - t0) * perMin,
    controlPerMin: (c1 - c0) * perMin,
    wakeUpsPerMin: (v1 - v0) * perMin,
    runs: runs0 !== undefined && runs1 !== undefined ? runs1 - runs0 : undefined,
  };
}

/** Check runs so far on a node (the control socket's status), summed over its checks. */
async function checkRuns(runDir: string): Promise<number> {
  const answer = (await controlRequest(runDir, { cmd: "status" })) as { status?: DaemonStatus };
  return (answer.status?.resources ?? []).reduce((n, g) => n + g.checks.reduce((m, c) => m + c.runs, 0), 0);
}

/** Crash → the client reads `page` again: the first good sample after the outage began, in ms from the crash. */
async function crashToServed(sampler: ServiceSampler, crash: () => void, page: string, timeoutMs: number): Promise<number> {
  const at = sampler.now();
  crash();
  await sampler.waitForPage("-", 5000);
  return (await sampler.waitForPage(page, timeoutMs)) - at;
}

/** median, min–max and n of a list of figures. */
function spread(xs: readonly number[], digits = 3): string {
  if (xs.length === 0) return "n/a";
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return `median ${mid.toFixed(digits)}, ${sorted[0]!.toFixed(digits)}–${sorted[sorted.length - 1]!.toFixed(digits)} (n=${xs.length})`;
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

function stats(xs: readonly number[]): string {
  if (xs.length === 0) return "n/a";
  const sorted = [...xs].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)]} ms, min ${sorted[0]} ms, max ${sorted[sorted.length - 1]} ms (n=${xs.length})`;
}

/** The check line, at the interval asked for (a shorter one measures the cost per check more precisely). */
function checkLines(interval: string): string[] {
  return httpCheckLines(LAB_ADDR.vip).map((l) => l.replace("interval=500ms timeout=400ms", `interval=${interval} timeout=${interval}`));
}

/** Twinbeat's check CPU, per round: one window without the check and one with it, in the same daemon. */
interface TwinbeatRound {
  readonly without: CpuWindow;
  readonly with: CpuWindow;
}

/**
 * One lab, the check configured from the start. The check's CPU is measured in the same
 * daemon, by switching it off and on again with twinbeat.cf and a reload (SIGHUP), in rounds
 * of one window each way (the order alternates, so a slow drift of the machine's load cancels
 * out). Windows begin a few seconds after the reload, whose own cost (re-reading the files, the
 * guard's re-snapshot) stays outside. Then the crashes, with the check on.
 */
async function twinbeat(
  seconds: number,
  crashes: number,
  interval: string,
  rounds: number,
  report: (rounds: readonly TwinbeatRound[]) => void,
): Promise<{ rounds: TwinbeatRound[]; restarts: number[]; failover?: number }> {
  const work = mkdtempSync(join(tmpdir(), "tb-bench-mon-"));
  const settleMs = 5000;
  try {
    return await NetnsLab.withLab(
      async (lab) => {
        const pair = await setUpSeedPair(lab, work, { autoFailback: "on", nodeNames: "short", twinbeatCf: () => checkLines(interval) });
        const srv5 = pair.start("srv5");
        const srv6 = pair.start("srv6");
        const pid = srv5.proc.pid!;
        const cf = join(pair.cfg.dirs.srv5, "twinbeat.cf");
        const withCheck = readFileSync(cf, "utf8");
        const withoutCheck = withCheck.replace(/^check /m, "# check ");
        const setCheck = async (on: boolean) => {
          writeFileSync(cf, on ? withCheck : withoutCheck);
          process.kill(pid, "SIGHUP");
          await sleep(settleMs);
        };
        const sampler = new ServiceSampler(lab, pair.vip, 20);
        try {
          await sampler.waitForPage("NodeA", 20_000);
          await waitFor("both active", async () => (await statusSeen(srv6, "srv5")) === "active", 10_000);
          await sleep(10_000); // JIT warm-up and first GCs
          const measured: TwinbeatRound[] = [];
          for (let r = 0; r < rounds; r++) {
            const windows: Partial<Record<"with" | "without", CpuWindow>> = {};
            for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
              await setCheck(on);
              windows[on ? "with" : "without"] = await cpuWindow(pid, seconds, () => checkRuns(srv5.runDir), srv6.proc.pid!);
            }
            if (windows.without!.runs !== 0) throw new Error(`the reload did not switch the check off: ${windows.without!.runs} runs in the window without it`);
            measured.push({ without: windows.without!, with: windows.with! });
          }
          // Rounds alternate "off, on" and "on, off": after an even number the check is off.
          if (rounds % 2 === 0) await setCheck(true);
          report(measured);
          const restarts: number[] = [];
          let failover: number | undefined;
          try {
            // migration_threshold 3: the count is reset after each crash, so every crash is a restart and the last one a failover by the break.
            const reset = () => execFileSync(process.execPath, [join(__dirname, "../../appliance/src/main.js"), "resource-reset", "--run-dir", srv5.runDir]);
            for (let i = 0; i < crashes; i++) {
              restarts.push(await crashToServed(sampler, () => killHttpd(pair, "srv5"), "NodeA", 10_000));
              reset();
              await sleep(1500 + Math.random() * 500); // a random phase against the check interval
            }
            failover = await crashToServed(sampler, () => (breakHttpd(pair, "srv5"), killHttpd(pair, "srv5")), "NodeB", 15_000);
          } catch (err) {
            process.stderr.write(`monitor-vs-keepalived: the crash measurement failed: ${(err as Error).message}\n`);
          }
          return { rounds: measured, restarts, failover };
        } finally {
          await sampler.stop();
        }
      },
      { deadlineMs: (rounds * 2 * (seconds + settleMs / 1000 + 5) + 120) * 1000 },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** keepalived.conf for one node: VRRP on eth0 carrying the VIP, optionally tracking `curl` of the local page every second, fall 2. */
function keepalivedConf(node: "srv5" | "srv6", withCheck: boolean): string {
  return [
    "global_defs {",
    `  router_id ${node}`,
    "  script_user root",
    "  enable_script_security",
    "}",
    ...(withCheck
      ? [
          "vrrp_script chk_httpd {",
          `  script "/usr/bin/curl -sf -o /dev/null --max-time 1 http://${node === "srv5" ? LAB_ADDR.srv5.eth0 : LAB_ADDR.srv6.eth0}/"`,
          "  interval 1",
          "  timeout 1",
          "  fall 2",
          "  rise 2",
          "}",
        ]
      : []),
    "vrrp_instance VI_1 {",
    "  state BACKUP",
    "  interface eth0",
    "  virtual_router_id 51",
    `  priority ${node === "srv5" ? 150 : 100}`,
    "  advert_int 1",
    `  virtual_ipaddress {\n    ${LAB_ADDR.vip}/24 dev eth0\n  }`,
    ...(withCheck ? ["  track_script {", "    chk_httpd", "  }"] : []),
    "}",
    "",
  ].join("\n");
}

/** keepalived with or without its script, `rounds` windows in a row (its checks fork curl: its tree's CPU is what counts). */
async function keepalived(seconds: number, crashes: number, withCheck: boolean, rounds: number): Promise<{ windows: CpuWindow[]; failovers: number[] }> {
  const work = mkdtempSync(join(tmpdir(), "tb-bench-ka-"));
  try {
    return await NetnsLab.withLab(
      async (lab) => {
        await buildSeedTopology(lab, { nodeNames: "short" });
        const procs: Record<string, ReturnType<NetnsLab["spawn"]>> = {};
        for (const node of ["srv5", "srv6"] as const) {
          const dir = join(work, node);
          mkdirSync(join(dir, "www"), { recursive: true });
          writeFileSync(join(dir, "www", "index.html"), node === "srv5" ? "NodeA\n" : "NodeB\n");
          writeFileSync(join(dir, "keepalived.conf"), keepalivedConf(node, withCheck));
          const started = lab.spawn(node, ["sh", HTTPD_SCRIPT, "start"], { env: { ...process.env, HA_DIR: dir } });
          await new Promise((r) => started.once("exit", r));
          procs[node] = lab.spawn(
            node,
            ["keepalived", "-n", "-l", "-P", "-f", join(dir, "keepalived.conf"), "-p", join(dir, "keepalived.pid"), "-r", join(dir, "vrrp.pid")],
            {},
          );
        }
        const sampler = new ServiceSampler(lab, LAB_ADDR.vip, 20);
        const restartHttpd = async (node: "srv5" | "srv6") => {
          const p = lab.spawn(node, ["sh", HTTPD_SCRIPT, "start"], { env: { ...process.env, HA_DIR: join(work, node) } });
          await new Promise((r) => p.once("exit", r));
        };
        const pair = { cfg: { dirs: { srv5: join(work, "srv5"), srv6: join(work, "srv6") } } } as Parameters<typeof killHttpd>[0];
        try {
          await sampler.waitForPage("NodeA", 20_000);
          await sleep(10_000);
          const windows: CpuWindow[] = [];
          for (let r = 0; r < rounds; r++) windows.push(await cpuWindow(procs.srv5!.pid!, seconds));
          const failovers: number[] = [];
          if (withCheck) {
            for (let i = 0; i < crashes; i++) {
              failovers.push(await crashToServed(sampler, () => killHttpd(pair, "srv5"), "NodeB", 15_000));
              await restartHttpd("srv5");
              await sampler.waitForPage("NodeA", 15_000); // srv5 preempts once its check rises again
              await sleep(1500 + Math.random() * 1000);
            }
          }
          return { windows, failovers };
        } finally {
          await sampler.stop();
          for (const node of ["srv5", "srv6"] as const) {
            const p = lab.spawn(node, ["sh", HTTPD_SCRIPT, "stop"], { env: { ...process.env, HA_DIR: join(work, node) } });
            await new Promise((r) => p.once("exit", r));
          }
        }
      },
      { deadlineMs: (rounds * seconds + 180) * 1000 },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("The benchmark builds network namespaces: run it as root");
  const seconds = Number(process.argv[2] ?? 60);
  const crashes = Number(process.argv[3] ?? 5);
  const interval = process.argv[4] ?? "500ms";
  const twinbeatOnly = process.argv[5] === "twinbeat-only";
  const rounds = Number(process.argv[6] ?? 3);
  const say = (s: string) => process.stdout.write(s + "\n");
  say(`Service crash → served again, and CPU per minute spent on checking (${rounds} windows of ${seconds} s each way), on the seed's lab:`);
  say(`  Twinbeat: ${checkLines(interval)[0]} (on-fail restart; migration_threshold 3)`);
  say("  keepalived 2.2.7: vrrp_script curl -sf --max-time 1 http://NODE/ (interval 1, fall 2, rise 2) tracked by the VRRP instance carrying the VIP");
  let tbCheck: number[] = [];
  let perCheckMs: number[] = [];
  // Printed as soon as measured: the crashes that follow may fail on a busy machine.
  const reportTwinbeat = (measured: readonly TwinbeatRound[]) => {
    // The http check runs inside the daemon (no fork): the daemon process's own CPU is its cost; its tree (pings, guard, logger) only adds noise.
    // Paired with the peer's daemon in the same window (same heartbeats, pings and guard, no check): the
    // machine's load, shared with other work, moves both alike and cancels out of (holder − peer).
    tbCheck = measured.map((r) => r.with.processPerMin - r.with.controlPerMin - (r.without.processPerMin - r.without.controlPerMin));
    const tbPlainCheck = measured.map((r) => r.with.processPerMin - r.without.processPerMin);
    const tbTreeCheck = measured.map((r) => r.with.treePerMin - r.without.treePerMin);
    const checksPerMin = measured.map((r) => ((r.with.runs ?? 0) * 60) / seconds);
    perCheckMs = checksPerMin.map((n, i) => (tbCheck[i]! * 1000) / n);
    say(
      `Twinbeat daemon (srv5, holder), s CPU per minute: without the check ${spread(measured.map((r) => r.without.processPerMin))}, with it ${spread(measured.map((r) => r.with.processPerMin))}; the peer's daemon meanwhile ${spread(measured.flatMap((r) => [r.without.controlPerMin, r.with.controlPerMin]))}`,
    );
    say(
      `  checking ((with − peer) − (without − peer), per round): ${spread(tbCheck)} s/min at ${spread(checksPerMin, 1)} checks/min: ${spread(perCheckMs)} ms per check`,
    );
    say(`  unpaired (with − without): ${spread(tbPlainCheck)} s/min`);
    const wakesPerCheck = checksPerMin.map((n, i) => (measured[i]!.with.wakeUpsPerMin - measured[i]!.without.wakeUpsPerMin) / n);
    say(
      `  wake-ups of the daemon per minute: without ${spread(
        measured.map((r) => r.without.wakeUpsPerMin),
        0,
      )}, with ${spread(
        measured.map((r) => r.with.wakeUpsPerMin),
        0,
      )}: ${spread(wakesPerCheck, 2)} per check`,
    );
    say(`  the same over the daemon's process tree (pings, guard, logger too): ${spread(tbTreeCheck)} s/min`);
  };
  const tb = await twinbeat(seconds, crashes, interval, rounds, reportTwinbeat);
  say(`Twinbeat restart in place:  ${stats(tb.restarts)}`);
  say(`Twinbeat failover to srv6:  ${tb.failover ?? "n/a"} ms (restart fails, standby handshake; n=1)`);
  if (twinbeatOnly) return;
  const kaBase = await keepalived(seconds, 0, false, rounds);
  const ka = await keepalived(seconds, crashes, true, rounds);
  const kaBaseMedian = median(kaBase.windows.map((w) => w.treePerMin));
  const kaCheck = ka.windows.map((w) => w.treePerMin - kaBaseMedian);
  say(`keepalived failover:        ${stats(ka.failovers)}`);
  say(
    `keepalived (srv5, process tree: curl forks included), s CPU per minute: without the script ${spread(kaBase.windows.map((w) => w.treePerMin))}, with it ${spread(ka.windows.map((w) => w.treePerMin))}`,
  );
  say(`  checking (with − median without): ${spread(kaCheck)} s/min at 60 checks/min`);
  const ratio = median(kaCheck) > 0 ? median(tbCheck) / median(kaCheck) : NaN;
  const perCheckRatio = median(kaCheck) > 0 ? median(perCheckMs) / ((median(kaCheck) * 1000) / 60) : NaN;
  say(`Checking CPU ratio Twinbeat / keepalived (medians): ${ratio.toFixed(3)} per minute, ${perCheckRatio.toFixed(3)} per check (goal < 0.1)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`monitor-vs-keepalived: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
