// npm run test:image, mode "upgrade": A/B slots in qemu. A pair boots (BIOS); beta, the standby, gets
// update bundles from a USB stick typed on its serial console: a bad signature and a truncated file are
// refused with nothing written; a good bundle goes into slot b, boots on trial and becomes good once
// Twinbeat is active and alpha seen; a broken bundle (its daemon exits at start) goes into slot a, is
// not healthy within the trial limit and the box returns to slot b by itself. alpha serves the VIP throughout.

import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ApplianceVm, findImage, freePort, httpGet, prepareImage, until, type ApplianceStatus } from "./qemu-pair";

function findRepoRoot(): string {
  for (let dir = __dirname; resolve(dir, "..") !== dir; dir = resolve(dir, "..")) {
    if (existsSync(join(dir, "image/build-image.sh")) && existsSync(join(dir, "package.json"))) return dir;
  }
  throw new Error("repository root not found");
}

const repoRoot = findRepoRoot();
const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
const wanted = (process.env.TWINBEAT_IMAGE_MODES ?? "bios,uefi-usb,factory,upgrade").split(",");
const resultsDir = join(repoRoot, "dist", "test-image");
const keepArtifacts = process.env.TWINBEAT_KEEP_ARTIFACTS === "1";
const skip =
  process.env.TWINBEAT_TEST_IMAGE !== "1"
    ? "run by npm run test:image (TWINBEAT_TEST_IMAGE=1)"
    : !wanted.includes("upgrade")
      ? "TWINBEAT_IMAGE_MODES has no upgrade"
      : false;
/** The trial limit written into beta's network.conf (the default, 300 s, is long for a test). */
const TRIAL_LIMIT_S = 90;

const live: ApplianceVm[] = [];
const killAll = () => {
  for (const vm of live) if (vm.running) vm.proc?.kill("SIGKILL");
};
process.once("exit", killAll);
after(killAll);

type SlotStatus = ApplianceStatus & { readonly slot?: { readonly running: string; readonly role: string; readonly message: string }; readonly version: string };

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * A bundle made from this build's kernel, initramfs and squashfs, the initramfs extended by a
 * second cpio archive (the kernel unpacks both; later files win): a new release file, and for the
 * broken bundle a `heartbeat` that exits at start. Signed with the build's (development) key.
 */
function makeBundle(work: string, name: string, newVersion: string, extra: Record<string, string>): string {
  const dir = join(work, name);
  const overlay = join(dir, "overlay");
  mkdirSync(join(overlay, "etc"), { recursive: true });
  const release = readFileSync(join(repoRoot, "dist/image-work/root/etc/twinbeat-release"), "utf8").split("\n");
  writeFileSync(join(overlay, "etc/twinbeat-release"), [newVersion, ...release.slice(1)].join("\n"));
  for (const [path, content] of Object.entries(extra)) {
    mkdirSync(join(overlay, path, ".."), { recursive: true });
    writeFileSync(join(overlay, path), content);
    chmodSync(join(overlay, path), 0o755);
  }
  // One zstd stream holding both cpio archives (the kernel reads on after the first one's trailer).
  const initrd = join(repoRoot, `dist/twinbeat-${version}-initrd.img`);
  const cpio = spawnSync(
    "bash",
    [
      "-c",
      `set -o pipefail; { zstd -dc '${initrd}'; cd '${overlay}' && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet; } | zstd -q -3 -T0 > '${join(dir, "initrd.img")}'`,
    ],
    { encoding: "utf8" },
  );
  if (cpio.status !== 0) throw new Error(`initramfs for ${name}: ${cpio.stderr}`);
  symlinkSync(join(repoRoot, `dist/twinbeat-${version}-vmlinuz`), join(dir, "vmlinuz"));
  symlinkSync(join(repoRoot, `dist/twinbeat-${version}.sqfs`), join(dir, "twinbeat.sqfs"));
  const out = join(work, `${name}.update`);
  run(join(repoRoot, "dist/twinbeat"), [
    "update",
    "make",
    out,
    "--key",
    join(repoRoot, "dist/dev-update-key/update-key.pem"),
    "--dir",
    dir,
    "--version",
    newVersion,
  ]);
  return out;
}

describe("A/B slots in qemu: refused bundles, a trial that becomes good, a broken one rolled back", { timeout: 30 * 60_000, skip }, () => {
  it("upgrade: beta (standby) is updated from a USB stick while alpha keeps serving the VIP", { timeout: 25 * 60_000 }, async (t) => {
    const work = mkdtempSync(join(tmpdir(), "tb-image-upgrade-"));
    const result: Record<string, unknown> = { mode: "upgrade", trialLimitS: TRIAL_LIMIT_S };
    const bios = { firmware: "bios", disk: "virtio" } as const;
    const lanPort = await freePort();
    const a = new ApplianceVm({
      name: "alpha",
      image: join(work, "alpha.img"),
      workDir: work,
      mode: bios,
      lan: { listen: lanPort },
      macIndex: 1,
      stick: { image: join(work, "updates-alpha.img"), bootFirst: false },
    });
    const b = new ApplianceVm({
      name: "beta",
      image: join(work, "beta.img"),
      workDir: work,
      mode: bios,
      lan: { connect: lanPort },
      macIndex: 2,
      stick: { image: join(work, "updates.img"), bootFirst: false },
    });
    let vipPolling = true;
    const vipGaps: number[] = [];
    try {
      // The bundles and the stick (a bare FAT file system labelled TWINUPD: neither TWINBOOT nor TWINCFG).
      const good = makeBundle(work, "good", "0.1.1-test", {});
      const broken = makeBundle(work, "broken", "0.1.2-broken", {
        "usr/sbin/heartbeat": "#!/bin/sh\necho 'heartbeat: deliberately broken build: exiting at start' >&2\nexit 1\n",
      });
      const badSig = join(work, "badsig.update");
      copyFileSync(good, badSig);
      const text = readFileSync(badSig);
      const sigAt = text.indexOf("\n\n") + 2 + Number(/manifest-bytes (\d+)/.exec(text.subarray(0, 100).toString())![1]);
      text[sigAt + 5]! ^= 0xff;
      writeFileSync(badSig, text);
      const truncated = join(work, "truncated.update");
      copyFileSync(good, truncated);
      truncateSync(truncated, statSync(good).size - 4096);
      const stick = b.opts.stick!.image;
      const stickKiB = Math.ceil((statSync(good).size * 4) / 1024 / 1024 + 16) * 1024;
      run("mkfs.vfat", ["-C", "-n", "TWINUPD", stick, String(stickKiB)]);
      for (const f of [good, broken, badSig, truncated]) run("mcopy", ["-i", stick, f, "::/"]);
      const alphaStick = a.opts.stick!.image;
      run("mkfs.vfat", ["-C", "-n", "TWINUPD", alphaStick, String(Math.ceil(statSync(good).size / 1024 / 1024 + 16) * 1024)]);
      run("mcopy", ["-i", alphaStick, good, "::/"]);

      // The pair, with a shorter trial limit on beta.
      const betaCfg = join(work, "beta-cfg");
      cpSync(join(repoRoot, "image/test-pair/beta"), betaCfg, { recursive: true });
      appendFileSync(join(betaCfg, "network.conf"), `trial_limit ${TRIAL_LIMIT_S}\n`);
      const base = findImage(repoRoot, version);
      prepareImage(repoRoot, base, "alpha", a.opts.image);
      prepareImage(repoRoot, base, betaCfg, b.opts.image);
      live.push(a, b);
      await a.start();
      await b.start();
      const bStatus = async () => (await b.status()) as SlotStatus | undefined;
      for (const vm of [a, b]) {
        await until(`${vm.opts.name} up`, 300_000, async () => {
          const st = await vm.status();
          return st?.state === "ok" && st.daemon.running ? st : undefined;
        }).catch((e: Error) => assert.fail(`${e.message}\n${vm.serial().slice(-3000)}`));
      }
      await until("the VIP served by alpha", 120_000, async () => ((await a.vipServedBy()) === "alpha" ? true : undefined));
      const first = await bStatus();
      assert.equal(first?.slot?.running, "a");
      assert.equal(first?.slot?.role, "good");
      // From here on, the VIP is polled every 200 ms: it must never stop answering (alpha is not touched).
      void (async () => {
        let downSince: number | undefined;
        while (vipPolling) {
          const ok = (await a.vipServedBy()) === "alpha";
          if (!ok && downSince === undefined) downSince = Date.now();
          if (ok && downSince !== undefined) {
            vipGaps.push(Date.now() - downSince);
            downSince = undefined;
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      })();

      const typed = async (marker: string, command: string, timeoutMs = 240_000): Promise<string> => {
        const from = b.serial().length;
        await b.type([`${command}; echo ${marker}-RC=$?`]);
        return until(`${marker} on beta's console`, timeoutMs, async () => {
          const out = b.serial().slice(from);
          return new RegExp(`${marker}-RC=\\d`).test(out) ? out : undefined;
        }).catch((e: Error) => assert.fail(`${e.message}\n${b.serial().slice(-3000)}`));
      };
      await typed("MNT", "mkdir -p /mnt/upd && mount -o ro /dev/sda /mnt/upd && ls /mnt/upd", 60_000);

      // 1. Refused: a bad signature and a truncated file; nothing written (the record still says slot a only).
      let out = await typed("BADSIG", "twinbeat update apply /mnt/upd/badsig.update");
      assert.match(out, /refused: bad signature: .*\(nothing was written\)/);
      assert.match(out, /BADSIG-RC=1/);
      out = await typed("TRUNC", "twinbeat update apply /mnt/upd/truncated.update");
      assert.match(
        out,
        /refused: truncated: part twinbeat\.sqfs needs bytes \d+\.\.\d+ of the file, which ends at \d+ \(4096 bytes missing in all\) \(nothing was written\)/,
      );
      out = await typed("STATUS1", "twinbeat update status");
      assert.match(out, /next boot a/);
      assert.doesNotMatch(out, /trial/);
      t.diagnostic("beta: bad signature and truncated bundle refused, nothing written");

      // 2. The good bundle: slot b, a trial boot, good once healthy.
      let t0 = Date.now();
      out = await typed("GOOD", "twinbeat update apply /mnt/upd/good.update");
      assert.match(out, /slot b now holds Twinbeat 0\.1\.1-test/);
      assert.match(out, /GOOD-RC=0/);
      result.applyGoodMs = Date.now() - t0;
      t0 = Date.now();
      await b.type(["reboot"]);
      const trial = await until("beta on trial in slot b", 300_000, async () => {
        const st = await bStatus();
        return st?.slot?.running === "b" ? st : undefined;
      }).catch((e: Error) => assert.fail(`${e.message}\n${b.serial().slice(-3000)}`));
      assert.equal(trial.slot?.role, "trial");
      assert.equal(trial.version, "0.1.1-test");
      result.rebootToTrialMs = Date.now() - t0;
      const goodAt = await until("slot b marked good", (TRIAL_LIMIT_S + 30) * 1000, async () => {
        const st = await bStatus();
        return st?.slot?.role === "good" ? Date.now() : undefined;
      }).catch(async (e: Error) => assert.fail(`${e.message}\n${(await httpGet(b.urls.log)).body ?? ""}`));
      result.trialToGoodMs = goodAt - t0;
      const page = await httpGet(b.urls.page);
      assert.match(page.body ?? "", /Firmware slot: <b id="slot">b<\/b> \(<span id="slot-role">good<\/span>\)/);
      t.diagnostic(
        `beta: slot b (0.1.1-test) on trial ${(Number(result.rebootToTrialMs) / 1000).toFixed(0)} s after reboot, good ${((goodAt - t0) / 1000).toFixed(0)} s after reboot`,
      );

      // 3. The broken bundle: slot a, a trial that never becomes healthy, back to slot b by itself.
      await typed("MNT2", "mkdir -p /mnt/upd && mount -o ro /dev/sda /mnt/upd", 60_000);
      out = await typed("BROKEN", "twinbeat update apply /mnt/upd/broken.update");
      assert.match(out, /slot a now holds Twinbeat 0\.1\.2-broken/);
      t0 = Date.now();
      await b.type(["reboot"]);
      await until("beta on trial in slot a (broken)", 300_000, async () => {
        const st = await bStatus();
        return st?.slot?.running === "a" && st.slot.role === "trial" ? st : undefined;
      }).catch((e: Error) => assert.fail(`${e.message}\n${b.serial().slice(-3000)}`));
      const back = await until("beta back in slot b after the failed trial", (TRIAL_LIMIT_S + 300) * 1000, async () => {
        const st = await bStatus();
        return st?.slot?.running === "b" && st.state === "ok" ? st : undefined;
      }).catch((e: Error) => assert.fail(`${e.message}\n${b.serial().slice(-4000)}`));
      result.brokenRollbackMs = Date.now() - t0;
      assert.equal(back.slot?.role, "fallback");
      assert.match(back.slot?.message ?? "", /slot a \(0\.1\.2-broken\) failed its trial .* back on slot b \(0\.1\.1-test\)/);
      assert.match(b.serial(), /slot a was not healthy within 90 s: rebooting into the good slot/);
      await until("beta's Twinbeat running again", 120_000, async () => ((await bStatus())?.daemon.running ? true : undefined));
      t.diagnostic(`beta: broken slot a rolled back to slot b ${(Number(result.brokenRollbackMs) / 1000).toFixed(0)} s after the reboot into it`);

      vipPolling = false;
      await new Promise((r) => setTimeout(r, 300));
      result.vipGapsMs = vipGaps;
      // alpha is never touched: a gap would be a poll lost to the load of two emulated machines, not an outage.
      assert.ok(
        vipGaps.every((g) => g < 2000),
        `alpha served the VIP while beta was updated (gaps ${vipGaps.join(", ")} ms)`,
      );

      // 4. The rolling upgrade's second step on alpha, which holds the VIP: `twinbeat upgrade` hands the
      // group to beta (hb_standby), applies, reboots into its trial. A client polls the VIP every 50 ms
      // through both appliances' forwards (the VIP answers through the one that holds it).
      // One poller per forward, each every 50 ms: a forward whose VM does not hold the VIP answers
      // nothing (its poll waits for the timeout), the other keeps its own pace.
      const served: { atMs: number; by: string | undefined }[] = [];
      let clientPolling = true;
      const pollOne = async (vm: ApplianceVm) => {
        while (clientPolling) {
          const by = await vm.vipServedBy();
          if (by) served.push({ atMs: Date.now(), by });
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const client = Promise.all([pollOne(a), pollOne(b)]);
      const aTyped = async (marker: string, command: string, timeoutMs = 120_000): Promise<string> => {
        const from = a.serial().length;
        await a.type([`${command}; echo ${marker}-RC=$?`]);
        return until(`${marker} on alpha's console`, timeoutMs, async () => {
          const out = a.serial().slice(from);
          return new RegExp(`${marker}-RC=\\d`).test(out) ? out : undefined;
        }).catch((e: Error) => assert.fail(`${e.message}\n${a.serial().slice(-3000)}`));
      };
      await aTyped("AMNT", "mkdir -p /mnt/upd && mount -o ro /dev/sda /mnt/upd");
      const upgradeFrom = a.serial().length;
      t0 = Date.now();
      await a.type(["twinbeat upgrade /mnt/upd/good.update"]);
      await until("alpha's upgrade rebooting", 300_000, async () => (/rebooting now/.test(a.serial().slice(upgradeFrom)) ? true : undefined)).catch(
        (e: Error) => assert.fail(`${e.message}\n${a.serial().slice(-3000)}`),
      );
      const upgradeOut = a.serial().slice(upgradeFrom);
      assert.match(upgradeOut, /upgrade: beta is active: handing .* over \(hb_standby\)/);
      assert.match(upgradeOut, /upgrade: beta holds .*: applying here/);
      result.alphaUpgradeToRebootMs = Date.now() - t0;
      await until("alpha on slot b, good", 420_000, async () => {
        const st = (await a.status()) as SlotStatus | undefined;
        return st?.slot?.running === "b" && st.slot.role === "good" ? st : undefined;
      }).catch((e: Error) => assert.fail(`${e.message}\n${a.serial().slice(-3000)}`));
      // auto_failback on in the test pair: alpha, the home node, takes its group back once it is up.
      await until("alpha serving the VIP again (auto_failback)", 180_000, async () => ((await a.vipServedBy()) === "alpha" ? true : undefined));
      await new Promise((r) => setTimeout(r, 5000));
      clientPolling = false;
      await client;
      const gaps: { fromMs: number; ms: number; before: string | undefined; after: string | undefined }[] = [];
      served.sort((x, y) => x.atMs - y.atMs);
      for (let i = 1; i < served.length; i++) {
        const [p, q] = [served[i - 1]!, served[i]!];
        // Over 1 s without an answer: a gap (a single slow poll of an emulated machine takes up to ~0.5 s).
        if (q.atMs - p.atMs > 1000) gaps.push({ fromMs: p.atMs - t0, ms: q.atMs - p.atMs, before: p.by, after: q.by });
      }
      result.rollingGaps = gaps;
      result.rollingPolls = served.length;
      t.diagnostic(`rolling upgrade of alpha: ${served.length} polls; gaps over 1 s: ${JSON.stringify(gaps)}`);
      const aFinal = (await a.status()) as SlotStatus | undefined;
      const bFinal = (await b.status()) as SlotStatus | undefined;
      assert.equal(aFinal?.version, "0.1.1-test");
      assert.equal(bFinal?.version, "0.1.1-test");
      // One handover to beta and, with auto_failback on, one back to alpha: at most two gaps, each a few
      // seconds of emulated process starts (release here, the standby message, addresses, arping and
      // the page's start there); the figures are in upgrade.json.
      assert.ok(gaps.length <= 2, `at most two gaps (handover and failback): ${JSON.stringify(gaps)}`);
      assert.ok(
        gaps.every((g) => g.ms < 15_000),
        `every gap under 15 s on emulated machines: ${JSON.stringify(gaps)}`,
      );
      t.diagnostic(JSON.stringify(result));
    } catch (err) {
      result.error = (err as Error).message.split("\n")[0];
      throw err;
    } finally {
      vipPolling = false;
      await a.kill();
      await b.kill();
      mkdirSync(resultsDir, { recursive: true });
      writeFileSync(join(resultsDir, "upgrade.json"), JSON.stringify(result, null, 2) + "\n");
      for (const vm of [a, b]) writeFileSync(join(resultsDir, `upgrade-${vm.opts.name}.serial.log`), vm.serial());
      if (!keepArtifacts) rmSync(work, { recursive: true, force: true });
    }
  });
});
