// StatusService as the daemon uses it: fed the core's actions and log lines, it serves the page, times failovers and runs the notify script.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClusterAction, LogLevel } from "../cluster/cluster-actions";
import type { MembershipSnapshot } from "../cluster/cluster-node";
import type { DaemonStatus } from "../status/daemon-status";
import { StatusService } from "./status-service";
import { millis } from "../cluster/time";
import { seedConfig, seedSnapshot, sourceFile, SRV5, SRV6, VIP_KEY } from "../../test/support/status-fixtures";

function getJson(port: number, path: string): Promise<DaemonStatus> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(JSON.parse(body) as DaemonStatus));
    }).on("error", reject);
  });
}

describe("StatusService", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tb-service-"));
    copyFileSync(sourceFile("appliance/src/adapters/testdata/notify-record.sh"), join(dir, "notify.sh"));
    chmodSync(join(dir, "notify.sh"), 0o755);
    process.env.NOTIFY_LOG = join(dir, "runs.log");
    writeFileSync(process.env.NOTIFY_LOG, "");
  });
  after(() => {
    delete process.env.NOTIFY_LOG;
    rmSync(dir, { recursive: true, force: true });
  });

  it("follows a takeover on the standby: page, failover timing, events and the notify script", async () => {
    let snap: MembershipSnapshot = seedSnapshot({ localNode: SRV6 });
    let mono = 10_000;
    const logs: [LogLevel, string][] = [];
    const config = seedConfig({ localNode: SRV6, twinbeat: { statusHttp: { address: "127.0.0.1", port: 0 }, notify: join(dir, "notify.sh") } });
    const svc = new StatusService({ config, snapshot: () => snap, log: (l, t) => logs.push([l, t]), monotonicNow: () => millis(mono), http: { cacheMs: 0 } });
    await svc.start();
    try {
      const port = svc.httpAddress!.port;
      assert.ok(
        logs.some(([, t]) => t === `Status page on http://127.0.0.1:${port}/`),
        JSON.stringify(logs),
      );
      const before = await getJson(port, "/status.json");
      assert.equal(before.localNode, SRV6);
      assert.equal(before.groups[0]!.holder, SRV5);

      const step = (actions: ClusterAction[], next: MembershipSnapshot, at: number) => {
        snap = next;
        mono = at;
        for (const a of actions) if (a.type === "log") svc.recordLog(a.level, a.text);
        svc.observe(actions);
      };
      step([{ type: "send", body: [] }], snap, 10_200);
      const rev0 = svc.status().revision;
      step(
        [
          { type: "log", level: "warn", text: `node ${SRV5}: is dead` },
          { type: "start-group", key: VIP_KEY },
        ],
        seedSnapshot({ localNode: SRV6, peerStatus: "dead", groupState: "starting", rscStatus: "transition" }),
        11_000,
      );
      step(
        [{ type: "report-transition", key: VIP_KEY, state: "acquired", reason: "" }],
        seedSnapshot({ localNode: SRV6, peerStatus: "dead", groupState: "running", rscStatus: "all" }),
        11_035,
      );

      const after = svc.status();
      assert.ok(after.revision > rev0);
      assert.equal(after.failovers.total, 1);
      assert.deepEqual(
        { from: after.failovers.last!.from, to: after.failovers.last!.to, ms: after.failovers.last!.durationMs, cause: after.failovers.last!.cause },
        { from: SRV5, to: SRV6, ms: 35, cause: "deadtime" },
      );
      assert.deepEqual(
        after.events.map((e) => e.text),
        [`node ${SRV5}: is dead`],
      );
      const served = await getJson(port, "/status.json");
      assert.equal(served.groups[0]!.holder, SRV6);
      assert.equal(served.failovers.last?.durationMs, 35);
      assert.equal(served.uptimeMs, 1035);
    } finally {
      await svc.close();
    }
    assert.deepEqual(readFileSync(process.env.NOTIFY_LOG!, "utf8").trim().split("\n"), [
      `begin ${VIP_KEY} ACQUIRED ${SRV6} env=${VIP_KEY}/ACQUIRED/${SRV6}`,
      `end ${VIP_KEY}`,
    ]);
  });

  it("a status port that cannot be bound is logged, not fatal; the rest works", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as { port: number }).port;
    const logs: [LogLevel, string][] = [];
    const svc = new StatusService({
      config: seedConfig({ twinbeat: { statusHttp: { address: "127.0.0.1", port } } }),
      snapshot: () => seedSnapshot(),
      log: (l, t) => logs.push([l, t]),
    });
    try {
      await svc.start();
      assert.equal(svc.httpAddress, undefined);
      assert.ok(
        logs.some(([l, t]) => l === "error" && t.startsWith(`status_http 127.0.0.1:${port}: cannot serve the status page:`) && t.includes("EADDRINUSE")),
        JSON.stringify(logs),
      );
      assert.equal(svc.status().localNode, SRV5);
    } finally {
      await svc.close();
      blocker.close();
    }
  });

  it("never throws into the daemon's step, and says so once", () => {
    const logs: [LogLevel, string][] = [];
    const svc = new StatusService({
      config: seedConfig(),
      snapshot: () => {
        throw new Error("boom");
      },
      log: (l, t) => logs.push([l, t]),
    });
    for (let i = 0; i < 3; i++) svc.observe([{ type: "log", level: "info", text: "x" }]);
    svc.observe([]);
    assert.deepEqual(logs, [["error", "status: boom (status output may be stale)"]]);
  });

  it("without status_http nor notify it starts nothing", async () => {
    const svc = new StatusService({ config: seedConfig(), snapshot: () => seedSnapshot(), log: () => undefined });
    await svc.start();
    assert.equal(svc.httpAddress, undefined);
    svc.recordLog("debug", "not kept");
    svc.recordLog("info", "kept");
    assert.deepEqual(
      svc.status().events.map((e) => e.text),
      ["kept"],
    );
    await svc.close();
  });
});
