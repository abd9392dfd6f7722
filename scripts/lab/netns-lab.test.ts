// Tests the lab library: seed config generation (always), and the seed topology in real namespaces (root only).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { assertLabCidr, isLabAddress, macForIpv4, NetnsLab } from "./netns-lab";
import { buildSeedTopology, LAB_ADDR, loadSeedConfig, mapSeedText, renderNodeConfig, SEED_ADDRESS_MAP, writeSeedConfigs } from "./seed-topology";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** Running (a zombie waiting for its reaper counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function netnsWithPrefix(prefix: string): Promise<string[]> {
  const r = await new Promise<string>((resolve, reject) => {
    const c = spawn("ip", ["netns", "list"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    c.stdout.on("data", (d: Buffer) => (out += d.toString()));
    c.on("error", reject);
    c.on("close", () => resolve(out));
  });
  return r
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(`${prefix}-`));
}

// ---------------------------------------------------------------------------
// No root needed.

test("lab addresses: only the documentation ranges are accepted", () => {
  for (const ok of ["192.0.2.5", "198.51.100.100", "203.0.113.9", "2001:db8::5"]) assert.ok(isLabAddress(ok), ok);
  for (const bad of ["192.168.8.5", "10.0.0.1", "172.16.0.1", "8.8.8.8", "127.0.0.1", "2001:4860::1", "fe80::1"]) {
    assert.equal(isLabAddress(bad), false, bad);
  }
  assertLabCidr("198.51.100.5/24");
  assert.throws(() => assertLabCidr("192.168.8.5/24"));
  assert.throws(() => assertLabCidr("198.51.100.5"));
  assert.equal(macForIpv4("192.0.2.5"), "02:00:c0:00:02:05");
  for (const e of SEED_ADDRESS_MAP) assert.ok(isLabAddress(e.lab), e.lab);
});

test("seed: address mapping keeps host parts and refuses stray private addresses", () => {
  assert.equal(mapSeedText("ping 192.168.8.2 192.168.9.7"), "ping 198.51.100.2 192.0.2.7");
  assert.equal(mapSeedText("IPaddr::192.168.8.100/32"), "IPaddr::198.51.100.100/32");
  assert.throws(() => mapSeedText("ucast eth1 192.168.1.6"));
});

test("seed: config files per node, from the tutorial", () => {
  const seed = loadSeedConfig();
  const embedded = loadSeedConfig(null);
  if (seed.source !== "embedded") {
    // the embedded fallback must be the same lines the tutorial gives
    assert.deepEqual({ h: embedded.haCf, r: embedded.haresources, k: embedded.authkeys }, { h: seed.haCf, r: seed.haresources, k: seed.authkeys });
  }
  const srv5 = renderNodeConfig(seed, "srv5");
  const srv6 = renderNodeConfig(seed, "srv6", { nodeNames: "short", comments: "strip", haCfOverrides: { keepalive: "200ms", respawn: null } });
  assert.match(srv5.haCf, /^ucast eth1 192\.0\.2\.6 /m);
  assert.match(srv6.haCf, /^ucast eth1 192\.0\.2\.5$/m);
  assert.match(srv5.haCf, /^node srv5\.localdomain /m);
  assert.match(srv6.haCf, /^node srv5$/m);
  assert.match(srv6.haCf, /^node srv6$/m);
  assert.match(srv5.haCf, /^ping 198\.51\.100\.2 192\.0\.2\.7 /m);
  assert.match(srv6.haCf, /^keepalive 200ms$/m);
  assert.doesNotMatch(srv6.haCf, /respawn|#/);
  assert.equal(srv5.haresources, "srv5.localdomain IPaddr::198.51.100.100/32\n");
  assert.equal(srv6.haresources, "srv5 IPaddr::198.51.100.100/32\n");
  assert.equal(srv5.authkeys, "auth 1\n1 crc\n");
  assert.doesNotMatch(srv5.haCf + srv6.haCf, /192\.168\./);

  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tb-seedcfg-"));
  try {
    const w = writeSeedConfigs(out, { nodeNames: "short", twinbeatCf: (n) => [`status_http 127.0.0.1:${n === "srv5" ? 8005 : 8006}`] });
    for (const node of ["srv5", "srv6"] as const) {
      const dir = w.dirs[node];
      assert.equal(fs.statSync(path.join(dir, "authkeys")).mode & 0o777, 0o600);
      const ha = fs.readFileSync(path.join(dir, "ha.cf"), "utf8");
      assert.match(ha, new RegExp(`^logfile ${w.logDirs[node]}/ha-log`, "m"));
      assert.ok(fs.existsSync(w.logDirs[node]!));
      assert.ok(fs.existsSync(path.join(dir, "haresources")));
      assert.match(fs.readFileSync(path.join(dir, "twinbeat.cf"), "utf8"), /^status_http 127\.0\.0\.1:800[56]$/m);
    }
    assert.deepEqual(w.nodeNames, { srv5: "srv5", srv6: "srv6" });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------
// Root: real namespaces.

test("netns lab: seed topology, cable pulls, loss, processes, cleanup", { timeout: 20_000 }, async (t) => {
  if (!isRoot) {
    t.skip("needs root (ip netns)");
    return;
  }
  const t0 = Date.now();
  let prefix = "";
  const pids: number[] = [];

  await NetnsLab.withLab(
    async (lab) => {
      prefix = lab.prefix;
      const topo = await buildSeedTopology(lab, { nodeNames: "short" });
      assert.deepEqual(topo.nodeNames, { srv5: "srv5", srv6: "srv6" });

      // everything reachable on both networks
      const pings = await Promise.all([
        lab.ping("srv5", LAB_ADDR.srv6.eth1),
        lab.ping("srv5", LAB_ADDR.srv6.eth0),
        lab.ping("client", LAB_ADDR.gateway),
        lab.ping("srv6", LAB_ADDR.witness),
        lab.ping("srv5", LAB_ADDR.gateway),
      ]);
      pings.forEach((p, i) => assert.ok(p.ok, `ping #${i}`));

      // per-host identity
      assert.equal((await lab.exec("srv5", ["uname", "-n"], { check: true })).stdout.trim(), "srv5");
      assert.equal(await lab.macOf("srv6", "eth1"), macForIpv4(LAB_ADDR.srv6.eth1));
      assert.equal(await lab.neighbour("srv5", LAB_ADDR.srv6.eth1), macForIpv4(LAB_ADDR.srv6.eth1));
      const addrs = await lab.addresses("srv5", "eth0");
      assert.ok(addrs.some((a) => a.cidr === "198.51.100.5/24" && a.family === "inet"));

      // pull srv5's heartbeat cable: heartbeat net gone, public net still fine
      await lab.unplug("srv5", "eth1");
      assert.equal(await lab.carrier("srv5", "eth1"), false);
      const [hbDown, pubUp] = await Promise.all([lab.ping("srv5", LAB_ADDR.srv6.eth1, { waitS: 1 }), lab.ping("srv5", LAB_ADDR.srv6.eth0)]);
      assert.equal(hbDown.ok, false, "heartbeat net should be down after unplug");
      assert.ok(pubUp.ok, "public net should still work");
      await lab.plug("srv5", "eth1");
      assert.ok((await lab.ping("srv5", LAB_ADDR.srv6.eth1, { count: 3, intervalS: 0.1 })).ok, "back after plug");

      // 100 % loss on srv6's heartbeat cable: nothing gets through; cleared: back
      await lab.setLoss("srv6", "eth1", 100);
      const [lost, other] = await Promise.all([lab.ping("srv5", LAB_ADDR.srv6.eth1, { waitS: 1 }), lab.ping("srv5", LAB_ADDR.srv6.eth0)]);
      assert.equal(lost.ok, false, "100% loss");
      assert.ok(other.ok);
      // partial loss: some but not all of 40 echoes come back
      await lab.setLoss("srv6", "eth1", 50);
      const some = await lab.ping("srv5", LAB_ADDR.srv6.eth1, { count: 40, intervalS: 0.01, waitS: 1 });
      assert.ok(some.received > 0 && some.received < 40, `50% loss: ${some.received}/40`);
      await lab.clearLoss("srv6", "eth1");
      assert.ok((await lab.ping("srv5", LAB_ADDR.srv6.eth1)).ok, "loss cleared");

      // a server in srv5, reached through the VIP from the client by the sampling helper
      const server = lab.spawn("srv5", [
        process.execPath,
        "-e",
        `require("http").createServer((q,s)=>s.end(require("os").hostname())).listen(8080,()=>console.log("listening"))`,
      ]);
      pids.push(server.pid!);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("server did not start")), 5000);
        server.stdout!.on("data", (d: Buffer) => {
          if (d.toString().includes("listening")) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await lab.ip("srv5", ["addr", "add", `${LAB_ADDR.vip}/32`, "dev", "eth0", "label", "eth0:0"]);
      assert.ok((await lab.addresses("srv5", "eth0")).some((a) => a.address === LAB_ADDR.vip && a.label === "eth0:0"));
      const viaVip = await lab.httpGet("client", `http://${LAB_ADDR.vip}:8080/`, 1000);
      assert.equal(viaVip.ok, true, viaVip.error);
      assert.equal(viaVip.body, "srv5");
      assert.equal(viaVip.localAddress, LAB_ADDR.client);
      const samples = await Promise.all(Array.from({ length: 5 }, () => lab.httpGet("client", `http://${LAB_ADDR.srv5.eth0}:8080/`, 1000)));
      assert.ok(samples.every((s) => s.body === "srv5"));
      const refused = await lab.httpGet("client", `http://${LAB_ADDR.srv6.eth0}:8080/`, 1000);
      assert.equal(refused.ok, false);
      assert.equal(refused.error, "ECONNREFUSED");

      // exec timeouts kill; spawned processes are tracked until cleanup
      const slow = await lab.exec("srv6", ["sleep", "5"], { timeoutMs: 200 });
      assert.equal(slow.timedOut, true);
      assert.ok(slow.ms < 2000);
      const sleeper = lab.spawn("witness", ["sleep", "60"], { stdio: "ignore" });
      pids.push(sleeper.pid!);
      const stubborn = lab.spawn("gateway", ["sh", "-c", "trap '' TERM; sleep 60 & wait"], { stdio: "ignore" });
      pids.push(stubborn.pid!);
      assert.equal(lab.liveProcesses().length >= 3, true);
    },
    { tag: "t", killGraceMs: 300, deadlineMs: 18_000 },
  );

  assert.deepEqual(await netnsWithPrefix(prefix), [], "no namespace left");
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still alive`);
  t.diagnostic(`topology test took ${Date.now() - t0} ms`);
});

test("netns lab: cleans up when the body throws or overruns its deadline", { timeout: 10_000 }, async (t) => {
  if (!isRoot) {
    t.skip("needs root (ip netns)");
    return;
  }
  let prefix = "";
  await assert.rejects(
    NetnsLab.withLab(async (lab) => {
      prefix = lab.prefix;
      await lab.addHost("a");
      await lab.addSwitch("sw");
      await lab.connect("a", "eth0", "sw", { addresses: ["203.0.113.1/24"] });
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.deepEqual(await netnsWithPrefix(prefix), []);
  await assert.rejects(
    NetnsLab.withLab(
      async (lab) => {
        prefix = lab.prefix;
        await lab.addHost("a");
        await new Promise((r) => setTimeout(r, 800));
      },
      { deadlineMs: 300 },
    ),
    /deadline/,
  );
  assert.deepEqual(await netnsWithPrefix(prefix), []);
  await assert.rejects(
    NetnsLab.withLab(async (lab) => {
      await lab.addHost("b");
      await lab.addSwitch("sw");
      await lab.connect("b", "eth0", "sw", { addresses: ["192.168.8.5/24"] });
    }),
    /labs may only use/,
  );
});

test("netns lab: SIGTERM to a process using a lab cleans up and exits", { timeout: 10_000 }, async (t) => {
  if (!isRoot) {
    t.skip("needs root (ip netns)");
    return;
  }
  const libPath = path.join(__dirname, "netns-lab.js");
  const script = `
    const { NetnsLab } = require(${JSON.stringify(libPath)});
    (async () => {
      const lab = new NetnsLab({ tag: "sig", killGraceMs: 300 });
      await lab.addHost("h");
      const p = lab.spawn("h", ["sleep", "60"], { stdio: "ignore" });
      console.log(JSON.stringify({ prefix: lab.prefix, pid: p.pid }));
      setInterval(() => {}, 1000);
    })();`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const info = await new Promise<{ prefix: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not report: ${stderr}`)), 5000);
    child.stdout.on("data", (d: Buffer) => {
      clearTimeout(timer);
      resolve(JSON.parse(d.toString().trim()) as { prefix: string; pid: number });
    });
  });
  assert.equal((await netnsWithPrefix(info.prefix)).length, 1);
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  child.kill("SIGTERM");
  assert.equal(await exited, 143);
  assert.deepEqual(await netnsWithPrefix(info.prefix), []);
  assert.equal(alive(info.pid), false);
});

test("netns lab: sweepStale removes what a SIGKILLed run left behind", { timeout: 10_000 }, async (t) => {
  if (!isRoot) {
    t.skip("needs root (ip netns)");
    return;
  }
  const libPath = path.join(__dirname, "netns-lab.js");
  const script = `
    const { NetnsLab } = require(${JSON.stringify(libPath)});
    (async () => {
      const lab = new NetnsLab({ tag: "kill" });
      await lab.addHost("h");
      const p = lab.spawn("h", ["sleep", "60"], { stdio: "ignore" });
      console.log(JSON.stringify({ prefix: lab.prefix, pid: p.pid }));
      setInterval(() => {}, 1000);
    })();`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const info = await new Promise<{ prefix: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("child did not report")), 5000);
    child.stdout.on("data", (d: Buffer) => {
      clearTimeout(timer);
      resolve(JSON.parse(d.toString().trim()) as { prefix: string; pid: number });
    });
  });
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  child.kill("SIGKILL"); // no chance to clean up
  await exited;
  assert.equal((await netnsWithPrefix(info.prefix)).length, 1, "namespace survives a SIGKILL");
  assert.equal(alive(info.pid), true, "its detached process too");
  const removed = await NetnsLab.sweepStale();
  assert.ok(removed.includes(`${info.prefix}-h`), `swept: ${removed.join(" ")}`);
  assert.deepEqual(await netnsWithPrefix(info.prefix), []);
  for (let i = 0; i < 50 && alive(info.pid); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(info.pid), false);
});
