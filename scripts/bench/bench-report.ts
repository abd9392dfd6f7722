// The bench's results file, its BENCHMARKS.md tables (min/median/max, ratios, targets met or missed) and an SVG of the failover times.

export interface Stats {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export function stats(xs: readonly number[]): Stats | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, min: s[0]!, median, max: s[s.length - 1]! };
}

/** What the bench measures; `unit` is ms unless said. */
export const METRICS = {
  coldStartMs: { title: "Cold start of both to serving", how: "both daemons started at once; until the first answered request" },
  handoverStandbyGapMs: { title: "Planned handover gap (hb_standby)", how: "longest run of failed requests from the command until 1 s after the peer answers" },
  handoverTakeoverGapMs: { title: "Planned handover gap (hb_takeover)", how: "as above, back to the first node" },
  failoverCrashMs: {
    title: "Failover after a node crash",
    how: "fault clock starts when every process of the primary is SIGKILLed (its addresses go, as a reboot would); then both its cables are pulled; until the first answer from the peer to a request sent after the fault",
  },
  failoverDaemonKillMs: {
    title: "Failover after a daemon-only crash",
    how: "SIGKILL of the cluster daemon only (cables stay, helpers and the web service run on); until the first answer from the peer",
  },
  failbackOutageMs: {
    title: "Failback outage",
    how: "the crashed primary is plugged in and started; longest run of failed requests until 1 s after it answers again",
  },
  cableCutOutageMs: {
    title: "Outage when the heartbeat cable is cut",
    how: "the primary's eth1 unplugged (the seed's test); longest run of failed requests over the next 5 s",
  },
  healOutageMs: { title: "Heal outage after the cable comes back", how: "eth1 plugged back in; longest run of failed requests over the next 5 s" },
} as const;
export type MetricName = keyof typeof METRICS;

export interface IdleRow {
  readonly node: string;
  readonly processes: number;
  readonly tree: string;
  readonly rssMb: number;
  readonly pssMb: number;
  readonly cpuSPerMin: number;
}

export interface SystemResult {
  readonly name: string;
  readonly settings: string;
  readonly runs: number;
  readonly samples: Partial<Record<MetricName, number[]>>;
  /** Who answered at the end of each cable cut (the seed's test): "NodeA", "NodeB" or "-". */
  readonly cableCutServedBy: string[];
  readonly idle: IdleRow[];
  readonly errors: string[];
}

export interface BenchResults {
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly kernel: string; readonly node: string; readonly loadavgAtStart: readonly number[] };
  readonly budget: { readonly keepaliveMs: number; readonly deadtimeMs: number };
  readonly pollEveryMs: number;
  readonly executableStartMs?: Stats;
  readonly systems: SystemResult[];
  /** Anything about how this file came to be (e.g. a system re-run with --merge). */
  readonly notes?: readonly string[];
}

interface Target {
  readonly what: string;
  readonly check: (r: BenchResults) => { met: boolean | undefined; value: string };
}

const tb = (r: BenchResults) => r.systems.find((s) => s.name === "twinbeat");
const med = (r: BenchResults, m: MetricName) => stats(tb(r)?.samples[m] ?? [])?.median;
const maxOf = (r: BenchResults, m: MetricName) => stats(tb(r)?.samples[m] ?? [])?.max;
const fmt = (ms: number | undefined) => (ms === undefined ? "n/a" : `${(ms / 1000).toFixed(3)} s`);

/** The issue's targets for Twinbeat, checked against this run. */
export const TARGETS: readonly Target[] = [
  {
    what: "Idle, per node, whole process tree: ≤ 45 MB RSS",
    check: (r) => {
      const v = Math.max(...(tb(r)?.idle.map((i) => i.rssMb) ?? [NaN]));
      return { met: Number.isFinite(v) ? v <= 45 : undefined, value: `${v.toFixed(1)} MB` };
    },
  },
  {
    what: "Idle, per node, whole process tree: ≤ 0.10 s CPU per minute",
    check: (r) => {
      const v = Math.max(...(tb(r)?.idle.map((i) => i.cpuSPerMin) ?? [NaN]));
      return { met: Number.isFinite(v) ? v <= 0.1 : undefined, value: `${v.toFixed(3)} s/min` };
    },
  },
  {
    what: "Crash → client served ≤ deadtime + 100 ms (median)",
    check: (r) => {
      const v = med(r, "failoverCrashMs");
      return { met: v === undefined ? undefined : v <= r.budget.deadtimeMs + 100, value: fmt(v) };
    },
  },
  ...(["handoverStandbyGapMs", "handoverTakeoverGapMs", "failbackOutageMs"] as const).map((m) => ({
    what: `${METRICS[m].title} ≤ 0.05 s (median)`,
    check: (r: BenchResults) => {
      const v = med(r, m);
      return { met: v === undefined ? undefined : v <= 50, value: fmt(v) };
    },
  })),
  {
    what: "Heal outage < 0.5 s in every run",
    check: (r) => {
      const v = maxOf(r, "healOutageMs");
      return { met: v === undefined ? undefined : v < 500, value: `max ${fmt(v)}` };
    },
  },
  {
    what: "Cold start to serving < 0.5 s (median)",
    check: (r) => {
      const v = med(r, "coldStartMs");
      return { met: v === undefined ? undefined : v < 500, value: fmt(v) };
    },
  },
];

function cell(s: Stats | undefined): string {
  if (!s) return "n/a";
  return `${(s.median / 1000).toFixed(3)} (${(s.min / 1000).toFixed(3)}–${(s.max / 1000).toFixed(3)})`;
}

function ratio(a: Stats | undefined, b: Stats | undefined): string {
  if (!a || !b || b.median === 0) return "n/a";
  return `${(a.median / b.median).toFixed(2)}×`;
}

/** BENCHMARKS.md from one run's results. */
export function renderMarkdown(r: BenchResults, jsonPath: string, svgPath: string): string {
  const names = r.systems.map((s) => s.name);
  const anchors = r.systems.filter((s) => s.name !== "twinbeat");
  const lines: string[] = [];
  lines.push("# Benchmarks: Twinbeat against Heartbeat 3.0.6 and keepalived", "");
  lines.push(
    `Generated by \`npm run bench\` on ${r.date} (${r.machine.cpus} CPUs, Linux ${r.machine.kernel}, Node ${r.machine.node}, load average at start ${r.machine.loadavgAtStart.map((x) => x.toFixed(2)).join(" ")}). Raw numbers: [${jsonPath}](${jsonPath}).`,
    "",
  );
  lines.push(
    "All three systems ran one after the other in the same network-namespace lab on the same machine: the seed's topology (srv5/srv6, eth0 public with the VIP, eth1 heartbeat cable, a gateway and a witness as ping nodes, a client). The same detection budget for all: " +
      `keepalive ${r.budget.keepaliveMs} ms / deadtime ${r.budget.deadtimeMs} ms for Twinbeat and Heartbeat, and for keepalived the advert interval whose master-down interval is about the deadtime.`,
    "",
  );
  lines.push(
    `The client sends a new HTTP request to http://VIP/ every ${r.pollEveryMs} ms (new connection each time, 500 ms timeout, requests do not wait for each other). "Served" means an HTTP 200 with the page of a node. Each fault comes after a random delay within one heartbeat/advert interval, so at a random phase of the timer.`,
    "",
  );
  for (const n of r.notes ?? []) lines.push(`Note: ${n}`, "");
  lines.push("## Settings", "");
  for (const s of r.systems) {
    const failed = s.errors.filter((e) => e.startsWith("run ")).length;
    lines.push(`- **${s.name}** (${s.runs} runs${failed ? `, ${failed} failed: see below` : ""}): ${s.settings}`);
  }
  lines.push("");
  lines.push("## Timings", "", "Seconds: median (min–max) over the runs.", "");
  lines.push(`| Measure | ${names.join(" | ")} | ${anchors.map((a) => `Twinbeat ÷ ${a.name}`).join(" | ")} |`);
  lines.push(`|---|${names.map(() => "---").join("|")}|${anchors.map(() => "---").join("|")}|`);
  for (const m of Object.keys(METRICS) as MetricName[]) {
    const st = r.systems.map((s) => stats(s.samples[m] ?? []));
    const t = stats(tb(r)?.samples[m] ?? []);
    lines.push(`| ${METRICS[m].title} | ${st.map(cell).join(" | ")} | ${anchors.map((a) => ratio(t, stats(a.samples[m] ?? []))).join(" | ")} |`);
  }
  lines.push("");
  lines.push(
    "Who served at the end of each heartbeat-cable cut: " + r.systems.map((s) => `${s.name}: ${s.cableCutServedBy.join(", ") || "n/a"}`).join("; ") + ".",
    "",
  );
  lines.push(`![Failover after a node crash, one row per system](${svgPath})`, "");
  lines.push("## Idle cost per node (whole process tree)", "");
  lines.push(
    "The cluster software's processes only (the web service is left out): Twinbeat's daemon and everything it started (resource guard, logger, ping children); Heartbeat's processes in the node; keepalived's parent and VRRP child. RSS counts shared pages in every process; PSS splits them.",
    "",
  );
  lines.push("| System | Node | Processes | RSS MB | PSS MB | CPU s/min | What |");
  lines.push("|---|---|---|---|---|---|---|");
  for (const s of r.systems)
    for (const i of s.idle)
      lines.push(`| ${s.name} | ${i.node} | ${i.processes} | ${i.rssMb.toFixed(1)} | ${i.pssMb.toFixed(1)} | ${i.cpuSPerMin.toFixed(3)} | ${i.tree} |`);
  lines.push("");
  if (r.executableStartMs)
    lines.push(
      `Twinbeat's start (\`twinbeat --version\`, ${r.executableStartMs.n} runs): median ${r.executableStartMs.median} ms (${r.executableStartMs.min}–${r.executableStartMs.max} ms).`,
      "",
    );
  lines.push("## Targets (Twinbeat)", "");
  lines.push("| Target | This run | Met |", "|---|---|---|");
  for (const t of TARGETS) {
    const c = t.check(r);
    lines.push(`| ${t.what} | ${c.value} | ${c.met === undefined ? "not measured" : c.met ? "yes" : "**MISSED**"} |`);
  }
  lines.push("");
  lines.push("## How each number is measured", "");
  for (const m of Object.keys(METRICS) as MetricName[]) lines.push(`- **${METRICS[m].title}**: ${METRICS[m].how}.`);
  lines.push(
    "- **Idle cost**: both nodes up and settled for 10 s, then every process of the node's tree read from /proc (RSS from status, PSS from smaps_rollup, utime+stime) at the start and end of the idle window; CPU per minute over the window.",
  );
  lines.push("");
  const errors = r.systems.flatMap((s) => s.errors.map((e) => `- ${s.name}: ${e}`));
  if (errors.length) lines.push("## Runs that failed", "", ...errors, "");
  lines.push(
    "## Not measured yet",
    "",
    "- False failovers over a 5-minute soak with 20 % loss on one link and both cores busy, and the fastest safe budget.",
    "- Memory over hours (the memory soak).",
    "- Each system at its own fastest safe setting, and at the seed's own timings (keepalive 2 s / deadtime 30 s).",
    "",
  );
  return lines.join("\n");
}

/** Failover times as dots, one row per system, with the median marked. */
export function renderSvg(r: BenchResults, metric: MetricName = "failoverCrashMs"): string {
  const rows = r.systems.map((s) => ({ name: s.name, xs: s.samples[metric] ?? [] }));
  const all = rows.flatMap((x) => x.xs);
  const maxMs = Math.max(1000, ...all) * 1.05;
  const W = 720,
    left = 110,
    right = 20,
    rowH = 50,
    top = 40,
    H = top + rows.length * rowH + 40;
  const x = (ms: number) => left + ((W - left - right) * ms) / maxMs;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(
    `<text x="${left}" y="20" font-size="14">${METRICS[metric].title} (s); dot = one run, bar = median; deadtime ${r.budget.deadtimeMs} ms dashed</text>`,
  );
  const step = maxMs > 4000 ? 1000 : maxMs > 2000 ? 500 : 250;
  for (let t = 0; t <= maxMs; t += step) {
    out.push(`<line x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${H - 30}" stroke="#ddd"/>`);
    out.push(`<text x="${x(t)}" y="${H - 14}" text-anchor="middle">${(t / 1000).toFixed(2)}</text>`);
  }
  out.push(`<line x1="${x(r.budget.deadtimeMs)}" y1="${top}" x2="${x(r.budget.deadtimeMs)}" y2="${H - 30}" stroke="#c00" stroke-dasharray="4 3"/>`);
  rows.forEach((row, i) => {
    const y = top + i * rowH + rowH / 2;
    out.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end">${row.name}</text>`);
    row.xs.forEach((v, j) =>
      out.push(`<circle cx="${x(v).toFixed(1)}" cy="${(y + ((j % 5) - 2) * 4).toFixed(1)}" r="3.5" fill="#1f77b4" fill-opacity="0.6"/>`),
    );
    const s = stats(row.xs);
    if (s) out.push(`<line x1="${x(s.median)}" y1="${y - 14}" x2="${x(s.median)}" y2="${y + 14}" stroke="black" stroke-width="2"/>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
