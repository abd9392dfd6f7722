// The demo: the tutorial's hot-standby pair in namespaces; a client watches http://VIP/ while the primary dies and returns, then the tutorial's cable test.
// Usage (root): node .out/scripts/lab/demo.js [--non-interactive] [--auto-failback on|off|legacy]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "./netns-lab";
import { breakHttpd, httpCheckLines, killHttpd, ServiceSampler, setUpSeedPair, vipHolders, type ServiceSample } from "./seed-pair";
import { statusSeen, waitFor } from "./lab-daemon";

interface DemoOptions {
  interactive: boolean;
  autoFailback: "on" | "off" | "legacy";
}

function parseArgs(argv: readonly string[]): DemoOptions {
  const opts: DemoOptions = { interactive: process.stdout.isTTY === true, autoFailback: "on" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--non-interactive") opts.interactive = false;
    else if (a === "--auto-failback") {
      const v = argv[++i];
      if (v !== "on" && v !== "off" && v !== "legacy") throw new Error(`--auto-failback takes on, off or legacy, not "${v}"`);
      opts.autoFailback = v;
    } else if (a === "-h" || a === "--help") {
      process.stdout.write("usage: demo [--non-interactive] [--auto-failback on|off|legacy]\n");
      process.exit(0);
    } else throw new Error(`Unknown argument "${a}"`);
  }
  return opts;
}

const bold = (s: string, on: boolean) => (on ? `\x1b[1m${s}\x1b[0m` : s);

/** The longest run (ms) of samples in [fromMs, toMs) where both nodes held the VIP; a single sample counts as one interval. */
function longestDoubleHolding(samples: readonly ServiceSample[], fromMs: number, toMs: number): number {
  let longest = 0;
  let since: number | undefined;
  for (const s of samples.filter((x) => x.atMs >= fromMs && x.atMs < toMs)) {
    if (s.holders.length > 1) since ??= s.atMs;
    else if (since !== undefined) {
      longest = Math.max(longest, s.atMs - since);
      since = undefined;
    }
  }
  return longest;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error("The demo builds network namespaces: run it as root");
  const say = (s: string) => process.stdout.write(s + "\n");
  const step = (s: string) => say("\n" + bold(s, opts.interactive));
  const work = mkdtempSync(join(tmpdir(), "twinbeat-demo-"));
  try {
    await NetnsLab.withLab(
      async (lab) => {
        step("1. The tutorial's network, in network namespaces");
        const pair = await setUpSeedPair(lab, work, { autoFailback: opts.autoFailback, twinbeatCf: () => httpCheckLines("198.51.100.100") });
        say(`   srv5 (NodeA)  eth0 198.51.100.5  eth1 192.0.2.5      VIP ${pair.vip}`);
        say(`   srv6 (NodeB)  eth0 198.51.100.6  eth1 192.0.2.6      gateway 198.51.100.2, witness 192.0.2.7`);
        say(`   client        eth0 198.51.100.50                      (the tutorial's 192.168.8.x / 192.168.9.x mapped to documentation ranges)`);
        say(`   configs: the tutorial's ha.cf, haresources and authkeys, with httpd added to the VIP group,`);
        say(`            timings shortened to keepalive 200ms, deadtime 1 s; auto_failback ${opts.autoFailback}`);
        say(`   twinbeat.cf: ${httpCheckLines("198.51.100.100").join("; ")}`);
        say(`   files:   ${pair.cfg.dirs.srv5}  ${pair.cfg.dirs.srv6}`);

        step("2. Starting Twinbeat on both nodes");
        const t0 = Date.now();
        const srv5 = pair.start("srv5");
        const srv6 = pair.start("srv6");
        let last = "";
        const show = (s: ServiceSample) => {
          const line = `client reads http://${pair.vip}/ → ${s.page === "-" ? "(no answer)" : s.page}   VIP on: ${s.holders.join(" + ") || "nobody"}`;
          if (line !== last) say(`   [${(s.atMs / 1000).toFixed(1).padStart(5)} s] ${line}`);
          last = line;
        };
        const sampler = new ServiceSampler(lab, pair.vip, 100, show);
        try {
          const servedAt = await sampler.waitForPage("NodeA", 20_000);
          say(`   → serving NodeA ${((Date.now() - t0) / 1000).toFixed(1)} s after start (Heartbeat waits a fixed 10 s before acquiring)`);
          void servedAt;
          await waitFor("srv6 to see srv5 active", async () => (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "active", 10_000);
          await new Promise((r) => setTimeout(r, opts.interactive ? 4000 : 5500));

          step("3. The primary dies: kill -9 of srv5's heartbeat, and its cables pulled");
          const killedAt = sampler.now();
          process.kill(srv5.proc.pid!, "SIGKILL");
          await lab.unplug("srv5", "eth0");
          await lab.unplug("srv5", "eth1");
          const failoverAt = await sampler.waitForPage("NodeB", 15_000);
          const failoverMs = failoverAt - killedAt;
          say(`   → the client reads NodeB ${failoverMs} ms after the kill (deadtime 1000 ms)`);
          await new Promise((r) => setTimeout(r, 2000));

          step(`4. srv5 comes back (cables in, heartbeat restarted); auto_failback ${opts.autoFailback}`);
          await lab.waitExit(srv5.proc, 5000);
          await lab.plug("srv5", "eth0");
          await lab.plug("srv5", "eth1");
          const backAt = sampler.now();
          const srv5Back = pair.start("srv5");
          let failbackMs: number | undefined;
          if (opts.autoFailback === "off") {
            await new Promise((r) => setTimeout(r, 5000));
            say("   → with auto_failback off the service stays on NodeB");
          } else {
            failbackMs = (await sampler.waitForPage("NodeA", 20_000)) - backAt;
            say(`   → the client reads NodeA again ${failbackMs} ms after srv5's restart`);
          }
          await new Promise((r) => setTimeout(r, 1500));

          // The tutorial's own test: pull the primary's heartbeat cable, then plug it back.
          step("5. The tutorial's test: srv5's heartbeat cable (eth1) pulled");
          const holderBefore = (await vipHolders(lab, pair.vip)).join(" + ") || "nobody";
          say(`   VIP on ${holderBefore}; srv5 still reaches the gateway on eth0, srv6 reaches the gateway and the witness`);
          // A node advertises a longer deadtime for its first 5 s; let srv5's restart age past it.
          await waitFor("srv6 to see srv5 active", async () => (await statusSeen(srv6, pair.cfg.nodeNames.srv5)) === "active", 10_000);
          await new Promise((r) => setTimeout(r, 5500));
          const cutAt = sampler.now();
          await lab.unplug("srv5", "eth1");
          let cutMs: number | undefined;
          if (opts.autoFailback === "off") {
            await new Promise((r) => setTimeout(r, 3000));
          } else {
            await waitFor("only srv6 holds the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv6", 8000);
            cutMs = (await sampler.waitForPage("NodeB", 5000)) - cutAt;
          }
          await new Promise((r) => setTimeout(r, 1500));
          const onlyNow = (await vipHolders(lab, pair.vip)).join(" + ") || "nobody";
          if (cutMs !== undefined) say(`   → only ${onlyNow} holds the VIP; the client reads NodeB ${cutMs} ms after the cut`);
          else say(`   → the VIP stays on ${onlyNow} (srv6 already served it)`);
          const why = lab
            .outputOf(srv5Back.proc)
            .split("\n")
            .filter((l) => /give way|Releasing every resource group|Arbitration/.test(l));
          say(`   srv5's log says why it gave way:`);
          for (const l of why.slice(0, 3)) say(`     ${l}`);
          if (why.length === 0) say("     (srv5 did not hold the VIP, so it had nothing to give)");

          step("6. The cable plugged back: the heal, as the client sees it");
          const plugAt = sampler.now();
          await lab.plug("srv5", "eth1");
          const wantBack = opts.autoFailback === "off" ? "NodeB" : "NodeA";
          let healMs: number | undefined;
          if (opts.autoFailback !== "off") healMs = (await sampler.waitForPage(wantBack, 15_000)) - plugAt;
          await new Promise((r) => setTimeout(r, 2000));
          const healView = sampler.samples.filter((s) => s.atMs >= plugAt);
          const healUnanswered = healView.filter((s) => s.page === "-").length;
          say(
            `   → ${healMs !== undefined ? `the client reads ${wantBack} again ${healMs} ms after the plug` : `the service stays on NodeB`}; ${healUnanswered} of ${healView.length} samples unanswered since`,
          );
          say(
            `   VIP on: ${(await vipHolders(lab, pair.vip)).join(" + ") || "nobody"}; srv6's view of srv5: ${await statusSeen(srv6, pair.cfg.nodeNames.srv5)}`,
          );

          const holder = (await vipHolders(lab, pair.vip))[0] ?? "srv5";
          const other = holder === "srv5" ? "srv6" : "srv5";
          const pageOf = (n: string) => (n === "srv5" ? "NodeA" : "NodeB");
          step(`7. A service crash: httpd killed on ${holder} (the built-in http check: every 500 ms, fall 2, on-fail restart)`);
          const crashAt = sampler.now();
          killHttpd(pair, holder);
          await sampler.waitForPage("-", 3000).catch(() => undefined);
          const restartMs = (await sampler.waitForPage(pageOf(holder), 10_000)) - crashAt;
          say(`   → the client reads ${pageOf(holder)} again ${restartMs} ms after the crash: httpd restarted in place, the VIP never moved`);
          await new Promise((r) => setTimeout(r, 2000));

          step(`8. httpd broken for good on ${holder} (its document root gone): the group moves to ${other}`);
          breakHttpd(pair, holder);
          const brokenAt = sampler.now();
          killHttpd(pair, holder);
          const moveMs = (await sampler.waitForPage(pageOf(other), 15_000)) - brokenAt;
          say(`   → the client reads ${pageOf(other)} ${moveMs} ms after the crash (restart failed, group handed over by the standby handshake)`);
          await new Promise((r) => setTimeout(r, 1500));
          await sampler.stop();

          step("9. What happened");
          const unanswered = sampler.samples.filter((s) => s.page === "-" && s.atMs > 2000).length;
          const doubled = longestDoubleHolding(sampler.samples, 0, cutAt);
          const doubledInCableTest = longestDoubleHolding(sampler.samples, cutAt, Infinity);
          say(`   failover:  ${failoverMs} ms from the kill to the client reading NodeB`);
          if (failbackMs !== undefined) say(`   failback:  ${failbackMs} ms from srv5's restart to the client reading NodeA`);
          say(`   restart:   ${restartMs} ms from the httpd crash to the client served again`);
          say(`   move:      ${moveMs} ms from the final httpd crash to the client served by ${other}`);
          say(`   samples:   ${sampler.samples.length} (every 100 ms), ${unanswered} without an answer after start-up`);
          say(`   VIP held by two nodes at once: ${doubled === 0 ? "never" : `${doubled} ms at most`}`);
          // Sampled every 100 ms: a handover where the releasing node is still stopping httpd while the
          // other has added the VIP shows as one sample with both (the chaos campaign measures it exactly).
          say(
            `   VIP held by two nodes at once during the cable test: ${doubledInCableTest === 0 ? "never seen" : `seen for ${doubledInCableTest} ms (a sample with both)`}`,
          );
          say(`   srv6's log of the takeover:`);
          for (const l of lab
            .outputOf(srv6.proc)
            .split("\n")
            .filter((l) => /is dead|mach_down|Takeover of|auto failback|Standby/.test(l))
            .slice(0, 8))
            say(`     ${l}`);
          say(`   ${holder}'s log of the monitoring:`);
          for (const l of lab
            .outputOf(pair.nodes[holder]!.proc)
            .split("\n")
            .filter((l) => /failed 2 check|Restarting resource|restarted|Moving resource group|moved to the peer/.test(l))
            .slice(0, 8))
            say(`     ${l}`);
        } finally {
          await sampler.stop();
        }
      },
      { deadlineMs: 240_000 },
    );
    step("Cleaned up: namespaces and processes gone.");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
