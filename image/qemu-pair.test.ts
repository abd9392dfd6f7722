// npm run test:image: two appliances booted in qemu from copies of dist/twinbeat-<v>.img, once with
// BIOS from virtio disks and once with UEFI (OVMF) from USB sticks (qemu-xhci + usb-storage), 256 MB
// of RAM each. Checks: pages through loopback port forwards, the VIP on the primary, failover when the
// primary's qemu is killed (time reported), Twinbeat restarted by init after a kill -9, graceful
// poweroff of the survivor (resources released, bounded log written to its config partition). About 3-4 minutes per mode on 2 cores (TCG).
// Then the factory image (safe state) and a recovery stick. TWINBEAT_IMAGE_MODES=bios,uefi-usb,factory
// (default all three) picks the runs.

import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  addressesOf,
  ApplianceVm,
  findImage,
  freePort,
  httpGet,
  prepareImage,
  readConfigPartition,
  STATUS_PAGE_ENABLED,
  until,
  VIP,
  type PairMode,
} from "./qemu-pair";

function findRepoRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = resolve(dir, "..")) {
      if (existsSync(join(dir, "image/build-image.sh")) && existsSync(join(dir, "package.json"))) return dir;
      if (resolve(dir, "..") === dir) break;
    }
  }
  throw new Error("repository root not found");
}

const repoRoot = findRepoRoot();
const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
const MODES: Record<string, PairMode> = { bios: { firmware: "bios", disk: "virtio" }, "uefi-usb": { firmware: "uefi", disk: "usb" } };
const wanted = (process.env.TWINBEAT_IMAGE_MODES ?? "bios,uefi-usb,factory").split(",");
const selected = wanted.filter((m) => m in MODES);
const resultsDir = join(repoRoot, "dist", "test-image");
const live: ApplianceVm[] = [];
const keepArtifacts = process.env.TWINBEAT_KEEP_ARTIFACTS === "1";

// Whatever happens (failure, deadline, Ctrl-C), every qemu started here is killed by its PID.
function killAll(): void {
  for (const vm of live) if (vm.running) vm.proc?.kill("SIGKILL");
}
process.once("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(sig === "SIGINT" ? 130 : 143);
  });
}

after(killAll);

function tail(text: string, lines = 60): string {
  return text.split("\n").slice(-lines).join("\n");
}

// Minutes of emulation: only when asked (image/test-image.sh sets it), never as part of npm test.
const skip = process.env.TWINBEAT_TEST_IMAGE === "1" ? false : "run by npm run test:image (TWINBEAT_TEST_IMAGE=1)";

describe("the appliance image in qemu: a pair, failover, graceful poweroff", { timeout: 30 * 60_000, skip }, () => {
  for (const modeName of selected) {
    const mode = MODES[modeName]!;
    it(`${modeName}: both boot in 256 MB, alpha serves the VIP, beta takes it over when alpha's qemu is killed`, { timeout: 12 * 60_000 }, async (t) => {
      const work = mkdtempSync(join(tmpdir(), `tb-image-${modeName}-`));
      const base = findImage(repoRoot, version);
      const result: Record<string, unknown> = { mode: modeName, image: base, imageBytes: statSync(base).size, memoryMb: 256 };
      const lanPort = await freePort();
      const a = new ApplianceVm({ name: "alpha", image: join(work, "alpha.img"), workDir: work, mode, lan: { listen: lanPort }, macIndex: 1 });
      const b = new ApplianceVm({ name: "beta", image: join(work, "beta.img"), workDir: work, mode, lan: { connect: lanPort }, macIndex: 2 });
      const started = Date.now();
      try {
        prepareImage(repoRoot, base, "alpha", a.opts.image);
        prepareImage(repoRoot, base, "beta", b.opts.image);
        live.push(a, b);
        await a.start(); // listens on the LAN socket: first
        await b.start();

        // 1. Both boot: the page answers through the port forward, the config is valid, Twinbeat runs.
        for (const vm of [a, b]) {
          const s = await until(`${vm.opts.name}'s page (state ok, daemon running)`, 240_000, async () => {
            const st = await vm.status();
            if (!vm.running) throw new Error(`${vm.opts.name}'s qemu exited: ${vm.qemuStderr()}\n${tail(vm.serial())}`);
            return st?.state === "ok" && st.daemon.running ? st : undefined;
          }).catch((e: Error) => assert.fail(`${e.message}\n--- serial:\n${tail(vm.serial())}`));
          const bootMs = Date.now() - vm.startedAt;
          result[`${vm.opts.name}BootMs`] = bootMs;
          result[`${vm.opts.name}KernelToReadyS`] = Number(/boot scripts done ([\d.]+) s/.exec(vm.serial())?.[1] ?? NaN);
          t.diagnostic(`${vm.opts.name}: page and daemon up ${(bootMs / 1000).toFixed(1)} s after qemu started (node ${s.node})`);
          const page = await httpGet(vm.urls.page);
          assert.equal(page.status, 200);
          assert.match(page.body ?? "", /State: <b id="state">ok<\/b>/);
        }
        if (STATUS_PAGE_ENABLED) {
          for (const vm of [a, b]) {
            const r = await until(`${vm.opts.name}'s Twinbeat status page ${vm.urls.twinbeatStatus}`, 60_000, async () => {
              const x = await httpGet(vm.urls.twinbeatStatus);
              return x.status === 200 ? x : undefined;
            });
            assert.doesNotThrow(() => JSON.parse(r.body ?? ""), "status.json is JSON");
          }
        }

        // 2. alpha (the home node) holds and serves the VIP; beta does not have it.
        const vipAt = await until("the VIP served by alpha", 120_000, async () => ((await a.vipServedBy()) === "alpha" ? Date.now() : undefined)).catch(
          async (e: Error) =>
            assert.fail(`${e.message}\n--- alpha log:\n${(await httpGet(a.urls.log)).body ?? ""}\n--- beta log:\n${(await httpGet(b.urls.log)).body ?? ""}`),
        );
        result.vipServedAfterAlphaStartMs = vipAt - a.startedAt;
        const aStatus = await a.status();
        assert.ok(addressesOf(aStatus).includes(VIP), "alpha has the VIP");
        result.alphaMemTotalKb = aStatus?.mem_total_kb;
        result.alphaMemAvailableKb = aStatus?.mem_available_kb;
        assert.ok(!addressesOf(await b.status()).includes(VIP), "beta does not have the VIP");
        assert.equal(await b.vipServedBy(), undefined, "beta does not answer on the VIP");
        // Twinbeat dies on the standby (kill -9 typed on its console): init restarts it.
        const before = await b.status();
        await b.type(["kill -9 $(cat /run/heartbeat/heartbeat.pid)"]);
        const restarted = await until("beta's Twinbeat restarted by init", 90_000, async () => {
          const st = await b.status();
          return st && st.daemon.running && st.daemon.starts > (before?.daemon.starts ?? 1) ? st : undefined;
        }).catch(async (e: Error) => assert.fail(`${e.message}\n${(await httpGet(b.urls.log)).body ?? ""}`));
        t.diagnostic(`beta: Twinbeat killed with -9 and restarted by init (start number ${restarted.daemon.starts}, pid ${restarted.daemon.pid})`);
        assert.match(b.serial(), /Twinbeat console of beta\. Password: /, "the console asked for the password (console-password is set)");
        result.respawned = true;
        // The tools work on the console with their defaults (/etc/ha.d, /var/run/heartbeat).
        await b.type(["heartbeat -s"]);
        await until("heartbeat -s on beta's console", 30_000, async () =>
          /heartbeat OK \[pid \d+ et al\] is running on beta/.test(b.serial()) ? true : undefined,
        ).catch((e: Error) => assert.fail(`${e.message}\n${tail(b.serial())}`));
        // Both running for a while: peers see each other again (beta stays standby).
        await new Promise((r) => setTimeout(r, 8000));
        assert.equal(await a.vipServedBy(), "alpha", "alpha kept the VIP while beta's daemon restarted");
        assert.ok(!addressesOf(await b.status()).includes(VIP), "beta still standby");

        // 3. The primary's power cord: SIGKILL to its qemu. beta must take the VIP over.
        const killedAt = Date.now();
        await a.kill();
        const takenAt = await until("beta serving the VIP", 60_000, async () => ((await b.vipServedBy()) === "beta" ? Date.now() : undefined), 200).catch(
          async (e: Error) => assert.fail(`${e.message}\n--- beta log:\n${(await httpGet(b.urls.log)).body ?? ""}`),
        );
        result.failoverMs = takenAt - killedAt;
        t.diagnostic(`failover: beta served the VIP ${((takenAt - killedAt) / 1000).toFixed(1)} s after alpha's qemu was killed (deadtime 5 s)`);
        assert.ok(addressesOf(await b.status()).includes(VIP), "beta has the VIP");

        // 4. Graceful poweroff of beta (ACPI power button): resources released, log saved, qemu ends by itself.
        const offAt = Date.now();
        await b.monitor("system_powerdown");
        const exited = await b.waitExit(120_000);
        result.poweroffMs = Date.now() - offAt;
        const serial = b.serial();
        assert.ok(exited, `beta did not power off within 120 s\n${tail(serial)}`);
        assert.match(serial, /twinbeat: stopping: releasing resources, telling the peer/);
        assert.match(serial, /twinbeat: stopped/);
        assert.match(serial, /config partition unmounted/);
        readConfigPartition(repoRoot, b.opts.image, join(work, "beta-cfg"));
        const saved = readFileSync(join(work, "beta-cfg", "logs", "messages"), "utf8");
        assert.match(saved, /Resource group released: vipweb|All HA resources relinquished/, "the release is in the log saved on the config partition");
        assert.ok(saved.length <= 600 * 1024, `saved log bounded (${saved.length} bytes)`);
        result.savedLogBytes = saved.length;
        result.totalMs = Date.now() - started;
        t.diagnostic(JSON.stringify(result));
      } catch (err) {
        result.error = (err as Error).message.split("\n")[0];
        throw err;
      } finally {
        await a.kill();
        await b.kill();
        mkdirSync(resultsDir, { recursive: true });
        writeFileSync(join(resultsDir, `${modeName}.json`), JSON.stringify(result, null, 2) + "\n");
        for (const vm of [a, b]) writeFileSync(join(resultsDir, `${modeName}-${vm.opts.name}.serial.log`), vm.serial());
        if (!keepArtifacts) rmSync(work, { recursive: true, force: true });
      }
    });
  }

  it(
    "factory image: safe state with what to fill in; a recovery stick (action reset) resets a configured disk",
    { timeout: 8 * 60_000, skip: !wanted.includes("factory") },
    async (t) => {
      const work = mkdtempSync(join(tmpdir(), "tb-image-factory-"));
      const base = findImage(repoRoot, version);
      const result: Record<string, unknown> = { mode: "factory+recovery", memoryMb: 256 };
      const bios: PairMode = { firmware: "bios", disk: "virtio" };
      try {
        // 1. The image as written by dd, config partition untouched: nothing starts, the page and the console say what to fill in.
        const fresh = new ApplianceVm({
          name: "factory",
          image: join(work, "factory.img"),
          workDir: work,
          mode: bios,
          lan: { listen: await freePort() },
          macIndex: 3,
        });
        prepareImage(repoRoot, base, undefined, fresh.opts.image);
        live.push(fresh);
        await fresh.start();
        const st = await until("the factory image's page", 240_000, async () => {
          const x = await fresh.status();
          return x?.state ? x : undefined;
        }).catch((e: Error) => assert.fail(`${e.message}\n${tail(fresh.serial())}`));
        result.factoryBootMs = Date.now() - fresh.startedAt;
        assert.equal(st.state, "unconfigured");
        assert.equal(st.daemon.running, false, "Twinbeat is not started");
        const page = await until("the first-boot page", 30_000, async () => {
          const x = await httpGet(fresh.urls.page);
          return x.status === 200 ? x : undefined;
        });
        assert.match(page.body ?? "", /Nothing is started/);
        assert.match(page.body ?? "", /What to fill in/);
        assert.match(page.body ?? "", /ha\.d\/ha\.cf/);
        const serial = await until("the console banner with the page's address", 60_000, async () =>
          /What to fill in/.test(fresh.serial()) && /status page: http:\/\/203\.0\.113\.15:80\//.test(fresh.serial()) ? fresh.serial() : undefined,
        ).catch((e: Error) => assert.fail(`${e.message}\n${tail(fresh.serial())}`));
        assert.match(serial, /state unconfigured/);
        assert.match(serial, /NOTHING IS STARTED/);
        assert.match(serial, /status page: http:\/\/203\.0\.113\.15:80\//, "address from DHCP (qemu's user-mode network) shown on the console");
        // No console password: the console shows the status only, and the page says how to set one.
        assert.match(page.body ?? "", /Console: <b>status only<\/b>/);
        const before = fresh.serial().length;
        await fresh.type(["id"]);
        const consoleOut = await until("the status-only console", 30_000, async () =>
          /Console: STATUS ONLY/.test(fresh.serial().slice(before)) ? fresh.serial().slice(before) : undefined,
        ).catch((e: Error) => assert.fail(`${e.message}\n${tail(fresh.serial())}`));
        assert.match(consoleOut, /console-password on the\s+TWINCFG/);
        assert.doesNotMatch(consoleOut, /uid=0/, "no shell: `id` typed there did not run");
        t.diagnostic(`factory image: safe state, page up ${(Number(result.factoryBootMs) / 1000).toFixed(1)} s after qemu started; console status only`);
        await fresh.kill();

        // 2. A configured appliance disk plus the same image on a stick with recovery.txt "action reset", booted from the stick.
        const stickCfg = join(work, "stick-cfg");
        mkdirSync(stickCfg, { recursive: true });
        writeFileSync(join(stickCfg, "recovery.txt"), "# reset the appliance's configuration\r\naction reset\r\n");
        const rec = new ApplianceVm({
          name: "recovery",
          image: join(work, "appliance.img"),
          workDir: work,
          mode: bios,
          lan: { listen: await freePort() },
          macIndex: 4,
          stick: { image: join(work, "stick.img"), bootFirst: true },
        });
        prepareImage(repoRoot, base, "alpha", rec.opts.image);
        prepareImage(repoRoot, base, stickCfg, rec.opts.stick!.image);
        live.push(rec);
        await rec.start();
        const off = await rec.waitExit(240_000);
        result.recoveryMs = Date.now() - rec.startedAt;
        const rserial = rec.serial();
        assert.ok(off, `the recovery boot did not power off by itself\n${tail(rserial)}`);
        assert.match(rserial, /Twinbeat RECOVERY/);
        assert.match(rserial, /recovery finished: ok/);
        readConfigPartition(repoRoot, rec.opts.image, join(work, "appliance-after"));
        readConfigPartition(repoRoot, rec.opts.stick!.image, join(work, "stick-after"));
        const haCf = readFileSync(join(work, "appliance-after", "ha.d", "ha.cf"), "utf8");
        assert.ok(!/^\s*node\s/m.test(haCf), `the appliance's ha.cf is back to the factory template:\n${haCf}`);
        assert.ok(existsSync(join(work, "stick-after", "recovery.done")), "recovery.txt renamed recovery.done (one shot)");
        assert.match(readFileSync(join(work, "stick-after", "recovery.log"), "utf8"), /reset to factory/);
        const backups = join(work, "stick-after", "backups");
        const saved = readdirSync(backups);
        assert.equal(saved.length, 1, `one backup on the stick: ${saved.join(", ")}`);
        assert.match(readFileSync(join(backups, saved[0]!, "ha.d", "ha.cf"), "utf8"), /node alpha beta/, "the previous configuration was saved on the stick");
        t.diagnostic(`recovery stick: reset done and powered off ${(Number(result.recoveryMs) / 1000).toFixed(1)} s after qemu started`);
      } finally {
        for (const vm of live) await vm.kill();
        mkdirSync(resultsDir, { recursive: true });
        writeFileSync(join(resultsDir, "factory-recovery.json"), JSON.stringify(result, null, 2) + "\n");
        if (!keepArtifacts) rmSync(work, { recursive: true, force: true });
      }
    },
  );
});
