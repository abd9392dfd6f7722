// Benchmark (not a timed test): service crash → client served again, and CPU per minute spent on checking, Twinbeat's built-in http check against keepalived 2.2.7's vrrp_script (curl).
// Usage (root): bash scripts/bench/install-bench-deps.sh && node .out/scripts/bench/monitor-vs-keepalived.js [seconds=60] [crashes=5] [twinbeat-interval=500ms] [twinbeat-only]

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../lab/netns-lab";
import { breakHttpd, httpCheckLines, HTTPD_SCRIPT, killHttpd, ServiceSampler, setUpSeedPair } from "../lab/seed-pair";
import { buildSeedTopology, LAB_ADDR } from "../lab/seed-topology";
import { statusSeen, waitFor } from "../lab/lab-daemon";
import { parseTimeMs } from "../../appliance/src/config/time-syntax";

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

/** CPU seconds per minute of `pid`'s process tree over `seconds`. */
async function cpuPerMinute(pid: number, seconds: number): Promise<number> {
  const before = treeCpuSeconds(pid);
  await sleep(seconds * 1000);
  return ((treeCpuSeconds(pid) - before) * 60) / seconds;
}

/** Crash → the client reads `page` again: the first good sample after the outage began, in ms from the crash. */
async function crashToServed(sampler: ServiceSampler, crash: () => void, page: string, timeoutMs: number): Promise<number> {
  const at = sampler.now();
  crash();
  await sampler.waitForPage("-", 5000);
  return (await sampler.waitForPage(page, timeoutMs)) - at;
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

async function twinbeat(
  seconds: number,
  crashes: number,
  withCheck: boolean,
  interval: string,
): Promise<{ cpu: number; restarts: number[]; failover?: number }> {
  const work = mkdtempSync(join(tmpdir(), "tb-bench-mon-"));
  try {
    return await NetnsLab.withLab(
      async (lab) => {
        const pair = await setUpSeedPair(lab, work, {
          autoFailback: "on",
          nodeNames: "short",
          ...(withCheck ? { twinbeatCf: () => checkLines(interval) } : {}),
        });
        const srv5 = pair.start("srv5");
        const srv6 = pair.start("srv6");
        const sampler = new ServiceSampler(lab, pair.vip, 20);
        try {
          await sampler.waitForPage("NodeA", 20_000);
          await waitFor("both active", async () => (await statusSeen(srv6, "srv5")) === "active", 10_000);
          await sleep(10_000); // JIT warm-up and first GCs
          const cpu = await cpuPerMinute(srv5.proc.pid!, seconds);
          if (!withCheck) return { cpu, restarts: [] };
          const restarts: number[] = [];
          // migration_threshold 3: the count is reset after each crash, so every crash is a restart and the last one a failover by the break.
          const reset = () => execFileSync(process.execPath, [join(__dirname, "../../appliance/src/main.js"), "resource-reset", "--run-dir", srv5.runDir]);
          for (let i = 0; i < crashes; i++) {
            restarts.push(await crashToServed(sampler, () => killHttpd(pair, "srv5"), "NodeA", 10_000));
            reset();
            await sleep(1500 + Math.random() * 500); // a random phase against the check interval
          }
          const failover = await crashToServed(sampler, () => (breakHttpd(pair, "srv5"), killHttpd(pair, "srv5")), "NodeB", 15_000);
          return { cpu, restarts, failover };
        } finally {
          await sampler.stop();
        }
      },
      { deadlineMs: (seconds + 120) * 1000 },
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

async function keepalived(seconds: number, crashes: number, withCheck: boolean): Promise<{ cpu: number; failovers: number[] }> {
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
          const cpu = await cpuPerMinute(procs.srv5!.pid!, seconds);
          const failovers: number[] = [];
          if (withCheck) {
            for (let i = 0; i < crashes; i++) {
              failovers.push(await crashToServed(sampler, () => killHttpd(pair, "srv5"), "NodeB", 15_000));
              await restartHttpd("srv5");
              await sampler.waitForPage("NodeA", 15_000); // srv5 preempts once its check rises again
              await sleep(1500 + Math.random() * 1000);
            }
          }
          return { cpu, failovers };
        } finally {
          await sampler.stop();
          for (const node of ["srv5", "srv6"] as const) {
            const p = lab.spawn(node, ["sh", HTTPD_SCRIPT, "stop"], { env: { ...process.env, HA_DIR: join(work, node) } });
            await new Promise((r) => p.once("exit", r));
          }
        }
      },
      { deadlineMs: (seconds + 180) * 1000 },
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
  const say = (s: string) => process.stdout.write(s + "\n");
  say(`Service crash → served again, and CPU per minute spent on checking (over ${seconds} s), on the seed's lab:`);
  say(`  Twinbeat: ${checkLines(interval)[0]} (on-fail restart; migration_threshold 3)`);
  say("  keepalived 2.2.7: vrrp_script curl -sf --max-time 1 http://NODE/ (interval 1, fall 2, rise 2) tracked by the VRRP instance carrying the VIP");
  const tbBase = await twinbeat(seconds, 0, false, interval);
  const tb = await twinbeat(seconds, crashes, true, interval);
  const checksPerMinute = 60_000 / (parseTimeMs(interval, { allowSecondsUnit: true }) ?? 500);
  say(
    `Twinbeat: ${tbBase.cpu.toFixed(3)} s CPU per minute without the check, ${tb.cpu.toFixed(3)} with it: ${(((tb.cpu - tbBase.cpu) * 1000) / checksPerMinute).toFixed(3)} ms per check`,
  );
  if (twinbeatOnly) return;
  const kaBase = await keepalived(seconds, 0, false);
  const ka = await keepalived(seconds, crashes, true);
  const tbCheck = Math.max(0, tb.cpu - tbBase.cpu);
  const kaCheck = Math.max(0, ka.cpu - kaBase.cpu);
  say("");
  say(`Twinbeat restart in place:  ${stats(tb.restarts)}`);
  say(`Twinbeat failover to srv6:  ${tb.failover ?? "n/a"} ms (restart fails, standby handshake; n=1)`);
  say(`keepalived failover:        ${stats(ka.failovers)}`);
  say(
    `CPU of srv5 (holder), s per minute: Twinbeat ${tbBase.cpu.toFixed(3)} without the check, ${tb.cpu.toFixed(3)} with it → ${tbCheck.toFixed(3)} for checking`,
  );
  say(
    `                                    keepalived ${kaBase.cpu.toFixed(3)} without the script, ${ka.cpu.toFixed(3)} with it → ${kaCheck.toFixed(3)} for checking (curl forks included)`,
  );
  say(`Checking CPU ratio Twinbeat / keepalived: ${kaCheck > 0 ? (tbCheck / kaCheck).toFixed(3) : "n/a"} (goal < 0.1; Twinbeat checks twice as often)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`monitor-vs-keepalived: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
