// The status page, /status.json, /metrics and cl_status of the seed's pair in namespaces, through a failover; and the page open in Chromium updating live.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { setUpSeedPair, vipHolders, type SeedPair } from "../../../scripts/lab/seed-pair";
import { LAB_ADDR } from "../../../scripts/lab/seed-topology";
import { statusSeen, waitFor, type RunningNode } from "../../../scripts/lab/lab-daemon";
import { clStatusCommand } from "../../src/cli/cl-status-command";
import type { DaemonStatus } from "../../src/status/daemon-status";
import { parsePrometheusText } from "../support/prometheus-text-parser";

const isRoot = process.getuid?.() === 0;
const STATUS_PORT = 8080;
/** Set (to a JSON ProbeConfig) when this file runs as the browser probe inside the client namespace. */
const PROBE_ENV = "TWINBEAT_STATUS_PAGE_PROBE";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The flags this machine needs (no sandbox as root, no background traffic on a closed network). */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where playwright-core is: PLAYWRIGHT_CORE_PATH, else the repository's node_modules. */
function playwrightCorePath(): string | undefined {
  if (process.env.PLAYWRIGHT_CORE_PATH) return process.env.PLAYWRIGHT_CORE_PATH;
  try {
    return require.resolve("playwright-core", { paths: [process.cwd(), __dirname] });
  } catch {
    return undefined;
  }
}

function browserMissing(): string | false {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (!playwrightCorePath()) return "playwright-core is not installed (a devDependency), nor PLAYWRIGHT_CORE_PATH set";
  return false;
}

/** Where screenshots go: lab-artifacts/ at the repository root (the tests run from there). */
const ARTIFACTS = resolve(process.cwd(), "lab-artifacts");

async function withPair<T>(fn: (pair: SeedPair, lab: NetnsLab) => Promise<T>): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), "tb-e2e-status-"));
  try {
    return await NetnsLab.withLab(
      async (lab) => {
        const pair = await setUpSeedPair(lab, work, { autoFailback: "on" });
        // Each node serves its page on its public address: loopback inside a namespace is its own.
        for (const node of ["srv5", "srv6"] as const) {
          writeFileSync(join(pair.cfg.dirs[node], "twinbeat.cf"), `status_http ${LAB_ADDR[node].eth0}:${STATUS_PORT}\n`);
        }
        return fn(pair, lab);
      },
      { deadlineMs: 120_000, tag: "stat" },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function bothActive(pair: SeedPair, srv5: RunningNode, srv6: RunningNode): Promise<void> {
  const { srv5: n5, srv6: n6 } = pair.cfg.nodeNames;
  await waitFor(
    "both nodes active and the VIP on srv5",
    async () =>
      (await statusSeen(srv6, n5)) === "active" && (await statusSeen(srv5, n6)) === "active" && (await vipHolders(pair.lab, pair.vip)).join() === "srv5",
    20_000,
  );
}

async function statusJson(lab: NetnsLab, node: "srv5" | "srv6"): Promise<DaemonStatus> {
  const url = `http://${LAB_ADDR[node].eth0}:${STATUS_PORT}/status.json`;
  let last = "";
  for (let i = 0; i < 50; i++) {
    const r = await lab.httpGet("client", url, 1000);
    if (r.ok) return JSON.parse(r.body) as DaemonStatus;
    last = r.error ?? `HTTP ${r.status}`;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${url} from the client: ${last} (is the StatusService wired into the daemon?)`);
}

/** Runs cl_status in this process against the node's control socket (a file: no namespace needed). */
async function clStatus(node: RunningNode, ...args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const code = await clStatusCommand(["--run-dir", node.runDir, ...args], { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } });
  return { code, stdout };
}

/** Kills the primary as a machine dies: the daemon at once, then both cables. Returns when (Date.now()). */
async function killPrimary(lab: NetnsLab, srv5: RunningNode): Promise<number> {
  const at = Date.now();
  process.kill(srv5.proc.pid!, "SIGKILL");
  await lab.unplug("srv5", "eth0");
  await lab.unplug("srv5", "eth1");
  return at;
}

if (process.env[PROBE_ENV]) {
  void runProbe(JSON.parse(process.env[PROBE_ENV]!) as ProbeConfig);
} else {
  describe("the status surface of the seed's pair", { skip: !isRoot && "needs root for network namespaces" }, () => {
    it("status.json, metrics and cl_status agree before and after the primary dies", async () => {
      await withPair(async (pair, lab) => {
        const srv5 = pair.start("srv5");
        const srv6 = pair.start("srv6");
        const { srv5: n5, srv6: n6 } = pair.cfg.nodeNames;
        await bothActive(pair, srv5, srv6);

        const before = await statusJson(lab, "srv6");
        assert.equal(before.localNode, n6);
        assert.deepEqual(
          before.nodes.filter((n) => n.type === "normal").map((n) => [n.name, n.status]),
          [
            [n5, "active"],
            [n6, "active"],
          ],
        );
        assert.equal(before.groups[0]!.holder, n5);
        assert.deepEqual(before.groups[0]!.addresses, [pair.vip]);
        const primary = await statusJson(lab, "srv5");
        assert.equal(primary.groups[0]!.heldHere, true);
        const metrics = await lab.httpGet("client", `http://${LAB_ADDR.srv5.eth0}:${STATUS_PORT}/metrics`);
        const fams = parsePrometheusText(metrics.body);
        assert.equal(fams.get("twinbeat_resource_group_held")?.samples[0]?.value, 1);
        const page = await lab.httpGet("client", `http://${LAB_ADDR.srv6.eth0}:${STATUS_PORT}/`);
        assert.match(page.body, new RegExp(`data-node="${n5.replace(/\./g, "\\.")}" data-status="active"`));

        assert.deepEqual(await clStatus(srv6, "nodestatus", n5), { code: 0, stdout: "active\n" });
        assert.deepEqual(await clStatus(srv5, "rscstatus"), { code: 0, stdout: "local\n" });
        // A node homing no group says `local` once stable (Heartbeat's held bits; see resource-manager.ts).
        assert.deepEqual(await clStatus(srv6, "rscstatus"), { code: 0, stdout: "local\n" });
        assert.deepEqual(await clStatus(srv6, "hbparameter", "-p", "deadtime"), { code: 0, stdout: "1\n" });
        assert.deepEqual(await clStatus(srv6, "listhblinks", "-v", n5), { code: 0, stdout: "\teth1\tup\n" });

        await new Promise((r) => setTimeout(r, 5500)); // past the start-up dt grace
        const killedAt = await killPrimary(lab, srv5);
        await waitFor("srv6 to hold the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv6", 5000);
        let after = await statusJson(lab, "srv6");
        await waitFor(
          "the takeover to complete (every resource of the group started)",
          async () => (after = await statusJson(lab, "srv6")).failovers.total > 0,
          5000,
        );
        assert.equal(after.nodes.find((n) => n.name === n5)?.status, "dead");
        assert.equal(after.groups[0]!.holder, n6);
        assert.equal(after.failovers.total, 1);
        const f = after.failovers.last!;
        assert.deepEqual([f.from, f.to, f.cause], [n5, n6, "deadtime"]);
        assert.ok(f.durationMs < 2000, `takeover took ${f.durationMs} ms`);
        assert.ok(Date.parse(f.at) - killedAt < 2500, `declared dead ${Date.parse(f.at) - killedAt} ms after the kill`);
        const m2 = parsePrometheusText((await lab.httpGet("client", `http://${LAB_ADDR.srv6.eth0}:${STATUS_PORT}/metrics`)).body);
        assert.equal(m2.get("twinbeat_failovers_total")?.samples[0]?.value, 1);
        assert.equal(m2.get("twinbeat_takeover_duration_seconds")?.samples.find((s) => s.name.endsWith("_count"))?.value, 1);
        assert.deepEqual(await clStatus(srv6, "nodestatus", n5), { code: 1, stdout: "dead\n" });
        assert.deepEqual(await clStatus(srv6, "rscstatus"), { code: 0, stdout: "all\n" });
        assert.deepEqual(await clStatus(srv5, "hbstatus"), { code: 1, stdout: "Heartbeat is stopped on this machine.\n" });
      });
    });

    it("the page, open in Chromium on the client, shows the takeover without a reload within 2 s", { skip: browserMissing() }, async () => {
      await withPair(async (pair, lab) => {
        const srv5 = pair.start("srv5");
        const srv6 = pair.start("srv6");
        const { srv5: n5, srv6: n6 } = pair.cfg.nodeNames;
        await bothActive(pair, srv5, srv6);
        await statusJson(lab, "srv6");
        await new Promise((r) => setTimeout(r, 5500)); // past the start-up dt grace
        mkdirSync(ARTIFACTS, { recursive: true });
        const probe = startProbe(lab, {
          url: `http://${LAB_ADDR.srv6.eth0}:${STATUS_PORT}/`,
          primary: n5,
          standby: n6,
          chromium: CHROMIUM,
          playwright: playwrightCorePath()!,
          screenshot: join(ARTIFACTS, "status-page.png"),
          screenshotBefore: join(ARTIFACTS, "status-page-before.png"),
          screenshotPhone: join(ARTIFACTS, "status-page-phone.png"),
        });
        const ready = await probe.next(45_000);
        assert.equal(ready.ready, true, JSON.stringify(ready));
        const killedAt = await killPrimary(lab, srv5);
        probe.send("go");
        const done = await probe.next(20_000);
        assert.equal(done.error, undefined, String(done.error));
        const shownMs = (done.shownAt as number) - killedAt;
        process.stdout.write(`# the page showed ${n5} dead and the takeover ${shownMs} ms after the kill (takeover ${done.takeoverMs} ms)\n`);
        assert.equal(done.reloaded, false, "the page reloaded");
        assert.ok(shownMs <= 2000, `the page showed the takeover ${shownMs} ms after the kill`);
        assert.ok(existsSync(join(ARTIFACTS, "status-page.png")));
      });
    });
  });
}

// ---- the browser probe, run as `node <this file>` inside the client's namespace ----------

interface ProbeConfig {
  readonly url: string;
  readonly primary: string;
  readonly standby: string;
  readonly chromium: string;
  readonly playwright: string;
  readonly screenshot: string;
  readonly screenshotBefore: string;
  readonly screenshotPhone: string;
}

type ProbeMessage = Record<string, unknown>;

/** Starts the probe in the client namespace; its messages are `PROBE {json}` lines on stdout. */
function startProbe(lab: NetnsLab, cfg: ProbeConfig): { next(timeoutMs: number): Promise<ProbeMessage>; send(line: string): void; proc: ChildProcess } {
  const proc = lab.spawn("client", [process.execPath, __filename], { env: { ...process.env, [PROBE_ENV]: JSON.stringify(cfg) }, stdio: "pipe" });
  const queue: ProbeMessage[] = [];
  const waiters: ((m: ProbeMessage) => void)[] = [];
  let buf = "";
  proc.stdout!.setEncoding("utf8");
  proc.stdout!.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.startsWith("PROBE ")) continue;
      const msg = JSON.parse(line.slice(6)) as ProbeMessage;
      const w = waiters.shift();
      if (w) w(msg);
      else queue.push(msg);
    }
  });
  return {
    proc,
    send: (line) => proc.stdin!.write(`${line}\n`),
    next: (timeoutMs) =>
      new Promise((resolveMsg, reject) => {
        const queued = queue.shift();
        if (queued) return resolveMsg(queued);
        const timer = setTimeout(
          () => reject(new Error(`the browser probe said nothing for ${timeoutMs} ms; its output:\n${lab.outputOf(proc).slice(-3000)}`)),
          timeoutMs,
        );
        waiters.push((m) => {
          clearTimeout(timer);
          resolveMsg(m);
        });
      }),
  };
}

/** The part of playwright-core's API the probe uses (it is loaded at run time, not compiled against). */
interface PwPage {
  goto(url: string, o?: { waitUntil?: string; timeout?: number }): Promise<unknown>;
  /** Functions, not strings: the page's CSP forbids eval, which string predicates need. */
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, o?: { timeout?: number; polling?: number }): Promise<unknown>;
  evaluate<A, R>(fn: (arg: A) => R, arg: A): Promise<R>;
  screenshot(o: { path: string; fullPage?: boolean }): Promise<unknown>;
  setViewportSize(s: { width: number; height: number }): Promise<void>;
}
interface PwBrowser {
  newPage(o?: { viewport?: { width: number; height: number }; deviceScaleFactor?: number }): Promise<PwPage>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(o: { executablePath: string; headless: boolean; args: string[]; chromiumSandbox?: boolean; timeout?: number }): Promise<PwBrowser> };
}

async function runProbe(cfg: ProbeConfig): Promise<void> {
  const say = (m: ProbeMessage) => process.stdout.write(`PROBE ${JSON.stringify(m)}\n`);
  const lines: string[] = [];
  const lineWaiters: ((l: string) => void)[] = [];
  process.stdin.setEncoding("utf8");
  let inBuf = "";
  process.stdin.on("data", (c: string) => {
    inBuf += c;
    let nl: number;
    while ((nl = inBuf.indexOf("\n")) >= 0) {
      const l = inBuf.slice(0, nl);
      inBuf = inBuf.slice(nl + 1);
      const w = lineWaiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  const nextLine = () => new Promise<string>((r) => (lines.length ? r(lines.shift()!) : lineWaiters.push(r)));
  let browser: PwBrowser | undefined;
  try {
    const pw = require(cfg.playwright) as Playwright;
    browser = await pw.chromium.launch({ executablePath: cfg.chromium, headless: true, chromiumSandbox: false, args: CHROMIUM_ARGS, timeout: 30_000 });
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await page.goto(cfg.url, { waitUntil: "load", timeout: 15_000 });
    // These run in the page: only the DOM, reached through globalThis (this project compiles without the DOM lib).
    const names = { p: JSON.stringify(cfg.primary), s: JSON.stringify(cfg.standby) };
    // Both nodes active, the VIP's group held by the primary, and the live connection up.
    await page.waitForFunction(
      (n: { p: string; s: string }) => {
        const d = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
        return !!(
          d.querySelector(`[data-node=${n.p}][data-status="active"]`) &&
          d.querySelector(`[data-node=${n.s}][data-status="active"]`) &&
          d.querySelector(`tr[data-group][data-holder=${n.p}]`) &&
          d.querySelector("#live.on")
        );
      },
      names,
      { timeout: 15_000, polling: 50 },
    );
    await page.evaluate(() => ((globalThis as unknown as { __tbSamePage: number }).__tbSamePage = 1), undefined);
    await page.screenshot({ path: cfg.screenshotBefore, fullPage: true });
    say({ ready: true });
    await nextLine(); // "go": the primary was just killed
    await page.waitForFunction(
      (n: { p: string; s: string }) => {
        const d = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
        return !!(
          d.querySelector(`[data-node=${n.p}][data-status="dead"]`) &&
          d.querySelector(`tr[data-group][data-holder=${n.s}][data-state="running"]`) &&
          d.querySelector(`#failover[data-from=${n.p}]`)
        );
      },
      names,
      { timeout: 15_000, polling: 20 },
    );
    const shownAt = Date.now();
    const reloaded = await page.evaluate(() => (globalThis as unknown as { __tbSamePage?: number }).__tbSamePage !== 1, undefined);
    const takeoverMs = Number(
      await page.evaluate(
        () =>
          (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string | null } | null } }).document
            .querySelector("#failover")
            ?.getAttribute("data-duration-ms"),
        undefined,
      ),
    );
    await page.screenshot({ path: cfg.screenshot, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: cfg.screenshotPhone, fullPage: false });
    say({ done: true, shownAt, reloaded, takeoverMs });
  } catch (err) {
    say({ error: (err as Error).stack ?? String(err) });
  } finally {
    await browser?.close().catch(() => undefined);
    process.exit(0);
  }
}
