// Slot selection: a new slot boots once on trial, becomes good only when healthy, and the boot after a failed trial returns to the old slot.

import { test } from "node:test";
import assert from "node:assert/strict";
import { afterWrite, applyTarget, atBoot, beforeWrite, defaultSlot, encodeSlots, markGood, parseSlots, type BootSlots } from "./boot-slots";
import { loaderFiles } from "./boot-loader-config";

const CMDLINE = "console=ttyS0,115200n8 quiet panic=10";
const factory: BootSlots = { cmdline: CMDLINE, good: "a", versions: { a: "0.1.0" } };

/** Applies an update from slot a to b the way apply-update.ts does. */
function applied(s: BootSlots, version = "0.2.0"): BootSlots {
  const t = applyTarget(s, s.good);
  assert.ok(t.ok);
  return afterWrite(beforeWrite(s, t.value), t.value, version);
}

test("the record survives its text form; damaged records are refused with file:line", () => {
  const s = applied(factory);
  const back = parseSlots(encodeSlots(s), "slots.txt");
  assert.ok(back.ok);
  assert.deepEqual(back.value, s);
  assert.match((parseSlots("cmdline x\ngood c\nversion a 1\n", "/b/slots.txt") as { problem: string }).problem, /^\/b\/slots\.txt:2: not understood/);
  assert.match((parseSlots("cmdline x\ngood a\n", "s") as { problem: string }).problem, /good slot a has no "version"/);
  assert.match((parseSlots("cmdline x\ngood a\nversion a 1\ntrial b 1\n", "s") as { problem: string }).problem, /trial slot b .* holds nothing/);
});

test("apply: the other slot becomes the next boot's default with one boot, the good slot stays good", () => {
  const s = applied(factory);
  assert.equal(s.good, "a");
  assert.deepEqual(s.trial, { slot: "b", bootsLeft: 1 });
  assert.equal(defaultSlot(s), "b");
  // While slot b is written, it is nobody's default and has no entry.
  const writing = beforeWrite(s, "b");
  assert.equal(defaultSlot(writing), "a");
  assert.equal(writing.versions.b, undefined);
  assert.equal(loaderFiles(writing).get("/loader/entries/twinbeat-b.conf"), "");
});

test("a trial that becomes healthy is good from then on", () => {
  const s = applied(factory);
  const boot = atBoot(s, "b");
  assert.equal(boot.role, "trial");
  // The early boot spends the trial: the default is the old slot again until health says otherwise.
  assert.equal(defaultSlot(boot.slots), "a");
  const good = markGood(boot.slots, "b");
  assert.equal(good.good, "b");
  assert.equal(good.trial, undefined);
  assert.equal(defaultSlot(good), "b");
  assert.equal(atBoot(good, "b").role, "good");
  // The next update goes to slot a.
  const again = applyTarget(good, "b");
  assert.deepEqual(again, { ok: true, value: "a" });
});

test("a trial that never becomes healthy: the next boot is the old slot, which records the failure", () => {
  const s = applied(factory);
  const trialBoot = atBoot(s, "b").slots; // then a crash, a hang or a reboot at the time limit
  assert.equal(defaultSlot(trialBoot), "a");
  const back = atBoot(trialBoot, "a");
  assert.equal(back.role, "fallback");
  assert.equal(back.slots.good, "a");
  assert.equal(back.slots.trial, undefined);
  assert.deepEqual(back.slots.failed, { slot: "b", version: "0.2.0" });
  assert.match(back.message, /slot b \(0\.2\.0\) failed its trial .* back on slot a \(0\.1\.0\)/);
  // Later boots stay on a and keep saying what failed; a new update clears it.
  const later = atBoot(back.slots, "a");
  assert.equal(later.role, "good");
  assert.match(later.message, /slot b \(0\.2\.0\) failed its last trial/);
  assert.equal(applied(back.slots, "0.2.1").failed, undefined);
});

test("health on the good slot changes nothing; a trial slot is never made good by another slot's health", () => {
  const s = applied(factory);
  assert.equal(markGood(s, "a"), s);
  assert.equal(markGood(factory, "a"), factory);
});

test("no update while on trial or on a slot picked by hand", () => {
  const onTrial = atBoot(applied(factory), "b").slots;
  const r = applyTarget(onTrial, "b");
  assert.equal(r.ok, false);
  assert.match((r as { problem: string }).problem, /running slot b is on trial/);
  const good = markGood(onTrial, "b"); // good b, a holds 0.1.0
  const picked = atBoot(good, "a");
  assert.equal(picked.role, "other");
  assert.equal(picked.slots, good);
  assert.match((applyTarget(good, "a") as { problem: string }).problem, /not the good one \(b\)/);
});

test("a trial still waiting for its boot is kept when the good slot was booted by hand", () => {
  const s = applied(factory);
  const d = atBoot(s, "a");
  assert.equal(d.role, "good");
  assert.deepEqual(d.slots.trial, { slot: "b", bootsLeft: 1 });
});

test("loader files: syslinux and systemd-boot agree on the default slot and pass the slot on the command line", () => {
  const s = applied(factory);
  const f = loaderFiles(s);
  const sys = f.get("/syslinux/syslinux.cfg")!;
  assert.match(sys, /^DEFAULT twinbeat$/m);
  assert.match(
    sys,
    /LABEL twinbeat\n {2}KERNEL \/twinbeat\/b\/vmlinuz\n {2}APPEND initrd=\/twinbeat\/b\/initrd\.img console=ttyS0,115200n8 quiet panic=10 twinbeat\.slot=b\n/,
  );
  assert.match(sys, /LABEL recovery\n {2}KERNEL \/twinbeat\/a\/vmlinuz\n {2}APPEND initrd=\/twinbeat\/a\/initrd\.img .* twinbeat\.slot=a twinbeat\.recovery\n/);
  assert.match(f.get("/loader/loader.conf")!, /^default twinbeat-b\.conf$/m);
  assert.match(f.get("/loader/entries/twinbeat-b.conf")!, /^title {3}Twinbeat 0\.2\.0 \(slot b, on trial\)$/m);
  assert.match(f.get("/loader/entries/twinbeat-a.conf")!, /^options .* twinbeat\.slot=a$/m);
  const spent = loaderFiles(atBoot(s, "b").slots);
  assert.match(spent.get("/loader/loader.conf")!, /^default twinbeat-a\.conf$/m);
  assert.match(spent.get("/syslinux/syslinux.cfg")!, /LABEL twinbeat\n {2}KERNEL \/twinbeat\/a\/vmlinuz/);
});
