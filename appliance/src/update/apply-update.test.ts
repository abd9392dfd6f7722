// `twinbeat update apply` on a boot partition in a folder: writes only the other slot, and nothing at all for a bad bundle.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyUpdate } from "./apply-update";
import { readSlots, writeSlots } from "./boot-partition";
import { writeBundle } from "./bundle-writer";
import { generateKeyPair, readPrivateKey, readPublicKey } from "./update-keys";
import { atBoot } from "./boot-slots";

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "tb-apply-"));
  const boot = join(dir, "boot");
  mkdirSync(join(boot, "twinbeat", "a"), { recursive: true });
  for (const p of ["vmlinuz", "initrd.img", "twinbeat.sqfs"]) writeFileSync(join(boot, "twinbeat", "a", p), `old ${p}`);
  writeSlots(boot, { cmdline: "quiet", good: "a", versions: { a: "0.1.0" } });
  const src = join(dir, "src");
  mkdirSync(src);
  for (const p of ["vmlinuz", "initrd.img", "twinbeat.sqfs"]) writeFileSync(join(src, p), randomBytes(50_000));
  const key = generateKeyPair(join(dir, "key"), "test");
  const bundle = join(dir, "new.update");
  writeBundle(
    bundle,
    {
      version: "0.2.0",
      commit: "c",
      built: "2026-12-03T14:00:00Z",
      files: Object.fromEntries(["vmlinuz", "initrd.img", "twinbeat.sqfs"].map((p) => [p, join(src, p)])),
    },
    readPrivateKey(key.privatePath),
  );
  return { dir, boot, src, bundle, trusted: [readPublicKey(key.publicPath)], cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every file under the boot folder with its bytes, to compare before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(p).toString("base64");
    }
  };
  walk(dir);
  return out;
}

test("a good bundle goes into slot b only; the record and loader files make b the next boot's trial", () => {
  const t = setup();
  try {
    const r = applyUpdate(t.bundle, t.boot, "a", t.trusted);
    assert.ok(r.ok, r.ok ? "" : r.problem);
    assert.equal(r.slot, "b");
    for (const p of ["vmlinuz", "initrd.img", "twinbeat.sqfs"]) {
      assert.ok(readFileSync(join(t.boot, "twinbeat", "b", p)).equals(readFileSync(join(t.src, p))), p);
      assert.equal(readFileSync(join(t.boot, "twinbeat", "a", p), "utf8"), `old ${p}`);
    }
    const s = readSlots(t.boot);
    assert.ok(s.ok);
    assert.deepEqual(s.value.trial, { slot: "b", bootsLeft: 1 });
    assert.match(readFileSync(join(t.boot, "loader", "loader.conf"), "utf8"), /default twinbeat-b\.conf/);
    assert.ok(!readdirSync(join(t.boot, "twinbeat", "b")).some((f) => f.endsWith(".tmp")));
    // The files the trial's early boot copies into place (busybox cp, no executable needed): the default back to a.
    const spent = join(t.boot, "twinbeat", "on-trial-boot");
    assert.match(readFileSync(join(spent, "loader", "loader.conf"), "utf8"), /default twinbeat-a\.conf/);
    assert.match(readFileSync(join(spent, "syslinux", "syslinux.cfg"), "utf8"), /LABEL twinbeat\n {2}KERNEL \/twinbeat\/a\/vmlinuz/);
    assert.match(readFileSync(join(spent, "twinbeat", "slots.txt"), "utf8"), /^trial b 0$/m);
    // On trial in b, a second apply is refused and changes nothing.
    writeSlots(t.boot, atBoot(s.value, "b").slots);
    assert.equal(existsSync(join(t.boot, "twinbeat", "on-trial-boot")), false);
    const before = snapshot(t.boot);
    const again = applyUpdate(t.bundle, t.boot, "b", t.trusted);
    assert.match(again.ok ? "" : again.problem, /on trial/);
    assert.deepEqual(snapshot(t.boot), before);
  } finally {
    t.cleanup();
  }
});

test("a truncated bundle or one with a bad signature is refused and nothing on the boot partition changes", () => {
  const t = setup();
  try {
    const before = snapshot(t.boot);
    truncateSync(t.bundle, statSync(t.bundle).size - 10);
    const r = applyUpdate(t.bundle, t.boot, "a", t.trusted);
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.problem, /^refused: truncated: part twinbeat\.sqfs/);
    assert.ok(!r.ok && r.wroteNothing);
    const other = generateKeyPair(join(t.dir, "other"), "other");
    const r2 = applyUpdate(t.bundle, t.boot, "a", [readPublicKey(other.publicPath)]);
    assert.match(r2.ok ? "" : r2.problem, /^refused: wrong key/);
    assert.deepEqual(snapshot(t.boot), before);
    assert.equal(existsSync(join(t.boot, "twinbeat", "b")), false);
  } finally {
    t.cleanup();
  }
});
