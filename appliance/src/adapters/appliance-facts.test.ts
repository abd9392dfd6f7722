// ApplianceFactsSampler on a fake /sys/class/net and /proc/meminfo: what it reads, that current() never waits, and how often it samples.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApplianceFactsSampler } from "./appliance-facts";

describe("ApplianceFactsSampler", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tb-facts-"));
    for (const [name, state] of [
      ["lo", "unknown"],
      ["eth1", "down"],
      ["eth0", "up"],
    ]) {
      mkdirSync(join(dir, "net", name!), { recursive: true });
      writeFileSync(join(dir, "net", name!, "operstate"), `${state}\n`);
    }
    mkdirSync(join(dir, "net", "bond0")); // no operstate file
    writeFileSync(join(dir, "meminfo"), "MemTotal:        2048 kB\nMemFree:          100 kB\nMemAvailable:    1024 kB\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads link states, memory, load and uptime; leaves lo out", async () => {
    const s = new ApplianceFactsSampler({ sysClassNet: join(dir, "net"), procMeminfo: join(dir, "meminfo") });
    const f = await s.refresh();
    assert.deepEqual(
      f.interfaces.map((i) => [i.name, i.operstate]),
      [
        ["bond0", "unknown"],
        ["eth0", "up"],
        ["eth1", "down"],
      ],
    );
    assert.deepEqual(f.memory, { totalBytes: 2048 * 1024, availableBytes: 1024 * 1024 });
    assert.equal(f.loadavg.length, 3);
    assert.ok(f.uptimeSeconds > 0);
    assert.ok(f.hostname.length > 0);
    assert.ok(!Number.isNaN(Date.parse(f.sampledAt)));
  });

  it("current() returns at once (null before the first sample) and samples at most once per interval", async () => {
    let now = 0;
    let reads = 0;
    const s = new ApplianceFactsSampler({ sysClassNet: join(dir, "net"), procMeminfo: join(dir, "meminfo"), minIntervalMs: 5000, now: () => now });
    const orig = s.refresh.bind(s);
    s.refresh = () => {
      reads++;
      return orig();
    };
    const t0 = performance.now();
    assert.equal(s.current(), null);
    assert.ok(performance.now() - t0 < 20, "current() does no sampling work itself");
    await new Promise((r) => setTimeout(r, 50));
    assert.notEqual(s.current(), null);
    for (let i = 0; i < 100; i++) s.current();
    assert.equal(reads, 1);
    now = 5000;
    s.current();
    assert.equal(reads, 2);
  });

  it("falls back to the kernel's interface list and libuv's memory numbers", async () => {
    const s = new ApplianceFactsSampler({ sysClassNet: join(dir, "nowhere"), procMeminfo: join(dir, "nowhere") });
    const f = await s.refresh();
    assert.ok(f.memory.totalBytes > 0);
    assert.ok(f.interfaces.every((i) => i.name !== "lo"));
  });
});
