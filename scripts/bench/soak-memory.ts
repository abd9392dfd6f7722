// Memory over time: a Twinbeat pair at keepalive 50ms with a dashboard polling /status.json every second and a handover now and then; whole-tree RSS/PSS sampled, growth per day from the second half.
// Usage (root): node .out/scripts/bench/soak-memory.js [--hours 3] [--sample-seconds 30] [--handover-minutes 10] [--out DIR]

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { NetnsLab } from "../lab/netns-lab";
import { buildSeedTopology, LAB_ADDR, writeSeedConfigs } from "../lab/seed-topology";
import { startNode, statusSeen, twinbeatArgv, waitFor } from "../lab/lab-daemon";
import { treeCost } from "./process-tree";

const STATUS_PORT = 8080;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface MemorySample {
  readonly atS: number;
  readonly node: string;
  readonly rssMb: number;
  readonly pssMb: number;
  readonly daemonRssMb: number;
  readonly processes: number;
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Growth in MB per day of each node's whole-tree RSS, fitted over the second half of the run. */
export function growthPerDay(samples: readonly MemorySample[]): Record<string, number> {
  const out: Record<string, number> = {};
  const end = Math.max(...samples.map((s) => s.atS));
  for (const node of [...new Set(samples.map((s) => s.node))]) {
    const half = samples.filter((s) => s.node === node && s.atS >= end / 2);
    out[node] =
      slope(
        half.map((s) => s.atS),
        half.map((s) => s.rssMb),
      ) * 86_400;
  }
  return out;
}

function svg(samples: readonly MemorySample[]): string {
  const W = 720,
    H = 300,
    l = 50,
    r = 20,
    t = 30,
    b = 40;
  const end = Math.max(1, ...samples.map((s) => s.atS));
  const lo = Math.floor(Math.min(...samples.map((s) => s.rssMb)) - 2);
  const hi = Math.ceil(Math.max(...samples.map((s) => s.rssMb)) + 2);
  const x = (s: number) => l + ((W - l - r) * s) / end;
  const y = (mb: number) => H - b - ((H - t - b) * (mb - lo)) / Math.max(1, hi - lo);
  const colours = ["#1f77b4", "#d62728"];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="${W}" height="${H}" fill="white"/>`,
  ];
  parts.push(`<text x="${l}" y="18" font-size="14">Whole-tree RSS per node (MB) over ${(end / 3600).toFixed(2)} h</text>`);
  for (let mb = lo; mb <= hi; mb += Math.max(1, Math.round((hi - lo) / 6)))
    parts.push(`<text x="${l - 6}" y="${y(mb) + 4}" text-anchor="end">${mb}</text><line x1="${l}" x2="${W - r}" y1="${y(mb)}" y2="${y(mb)}" stroke="#eee"/>`);
  [...new Set(samples.map((s) => s.node))].forEach((node, i) => {
    const pts = samples.filter((s) => s.node === node).map((s) => `${x(s.atS).toFixed(1)},${y(s.rssMb).toFixed(1)}`);
    parts.push(
      `<polyline fill="none" stroke="${colours[i % 2]}" points="${pts.join(" ")}"/><text x="${W - r - 60}" y="${t + 14 * (i + 1)}" fill="${colours[i % 2]}">${node}</text>`,
    );
  });
  parts.push(`<text x="${W / 2}" y="${H - 10}" text-anchor="middle">hours</text></svg>`);
  return parts.join("\n") + "\n";
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hours: { type: "string", default: "3" },
      "sample-seconds": { type: "string", default: "30" },
      "handover-minutes": { type: "string", default: "10" },
      out: { type: "string", default: "." },
    },
  });
  const seconds = Number(values.hours) * 3600;
  const every = Number(values["sample-seconds"]);
  const handoverEvery = Number(values["handover-minutes"]) * 60;
  const work = mkdtempSync(join(tmpdir(), "tb-memsoak-"));
  const samples: MemorySample[] = [];
  try {
    await NetnsLab.withLab(
      async (lab) => {
        await buildSeedTopology(lab, { nodeNames: "short" });
        const cfg = writeSeedConfigs(join(work, "etc"), {
          nodeNames: "short",
          haCfOverrides: {
            keepalive: "50ms",
            deadtime: "250ms",
            warntime: "150ms",
            initdead: "3",
            auto_failback: "on",
            respawn: "root /usr/libexec/heartbeat/ipfail",
          },
          twinbeatCf: (n) => [`status_http ${LAB_ADDR[n].eth0}:${STATUS_PORT}`],
        });
        const nodes = [startNode(lab, "srv5", "srv5", cfg.dirs.srv5, work), startNode(lab, "srv6", "srv6", cfg.dirs.srv6, work)];
        await waitFor(
          "both active",
          async () => (await statusSeen(nodes[0]!, "srv6")) === "active" && (await statusSeen(nodes[1]!, "srv5")) === "active",
          30_000,
        );
        // The dashboard: /status.json of both nodes once a second.
        const dashboard = setInterval(() => {
          for (const n of ["srv5", "srv6"] as const) void lab.httpGet("client", `http://${LAB_ADDR[n].eth0}:${STATUS_PORT}/status.json`, 900);
        }, 1000);
        const t0 = Date.now();
        let nextHandover = handoverEvery;
        let standby = true;
        try {
          while ((Date.now() - t0) / 1000 < seconds) {
            const atS = Math.round((Date.now() - t0) / 1000);
            for (const n of nodes) {
              const c = treeCost([n.proc.pid!]);
              samples.push({
                atS,
                node: n.name,
                rssMb: c.rssKb / 1024,
                pssMb: c.pssKb / 1024,
                daemonRssMb: (c.processes[0]?.rssKb ?? 0) / 1024,
                processes: c.processes.length,
              });
            }
            const last = samples
              .slice(-2)
              .map((s) => `${s.node} ${s.rssMb.toFixed(1)} MB`)
              .join(", ");
            process.stdout.write(`${(atS / 60).toFixed(1)} min: ${last}\n`);
            if (atS >= nextHandover) {
              // A fault now and then: srv5 hands over and takes back in turn.
              await lab.exec("srv5", [...twinbeatArgv(), standby ? "hb_standby" : "hb_takeover", "all", "--run-dir", nodes[0]!.runDir], { timeoutMs: 10_000 });
              standby = !standby;
              nextHandover += handoverEvery;
            }
            await sleep(every * 1000);
          }
        } finally {
          clearInterval(dashboard);
        }
      },
      { deadlineMs: (seconds + 300) * 1000 },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const growth = growthPerDay(samples);
  const flat = Object.values(growth).every((g) => g < 1);
  process.stdout.write(
    `growth over the second half: ${Object.entries(growth)
      .map(([n, g]) => `${n} ${g.toFixed(2)} MB/day`)
      .join(", ")}: ${flat ? "flat (< 1 MB/day)" : "NOT flat"}\n`,
  );
  const dir = resolve(values.out!, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const day = new Date().toISOString().slice(0, 10);
  writeFileSync(
    join(dir, `memory-${day}.json`),
    JSON.stringify({ date: new Date().toISOString(), hours: Number(values.hours), growthMbPerDay: growth, flat, samples }, null, 2) + "\n",
  );
  writeFileSync(join(dir, `memory-${day}.svg`), svg(samples));
  process.stdout.write(`wrote ${join(dir, `memory-${day}.json`)} and .svg\n`);
  if (!flat) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
