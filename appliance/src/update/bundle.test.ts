// Update bundles: a good one is accepted; a bad signature, a wrong key, a changed manifest, a changed or truncated part are refused by name.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeBundle } from "./bundle-writer";
import { verifyBundle } from "./bundle-reader";
import { generateKeyPair, readPrivateKey, readPublicKey } from "./update-keys";

interface Fixture {
  dir: string;
  bundle: string;
  files: Record<string, string>;
  cleanup(): void;
}

function fixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), "tb-bundle-"));
  const files: Record<string, string> = {};
  // Sizes across chunk boundaries (1 MiB) and an empty-ish one.
  const sizes: Record<string, number> = { vmlinuz: 70_001, "initrd.img": 3, "twinbeat.sqfs": 2 * 1024 * 1024 + 17 };
  for (const [name, size] of Object.entries(sizes)) {
    files[name] = join(dir, name);
    writeFileSync(files[name]!, randomBytes(size));
  }
  generateKeyPair(join(dir, "key"), "test key");
  const bundle = join(dir, "twinbeat-9.9.9.update");
  writeBundle(bundle, { version: "9.9.9", commit: "abc1234", built: "2026-12-03T14:00:00Z", files }, readPrivateKey(join(dir, "key", "update-key.pem")));
  return { dir, bundle, files, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function trusted(f: Fixture) {
  return [readPublicKey(join(f.dir, "key", "update-key.pub"))];
}

/** Overwrites bytes of the bundle at an offset. */
function patch(path: string, offset: number, bytes: Buffer): void {
  const data = readFileSync(path);
  bytes.copy(data, offset);
  writeFileSync(path, data);
}

test("a good bundle verifies: manifest, parts, offsets and the signer", () => {
  const f = fixture();
  try {
    const r = verifyBundle(f.bundle, trusted(f));
    assert.ok(r.ok, r.ok ? "" : r.problem);
    assert.equal(r.manifest.version, "9.9.9");
    assert.deepEqual(
      r.manifest.parts.map((p) => [p.name, p.sizeBytes]),
      [
        ["vmlinuz", 70_001],
        ["initrd.img", 3],
        ["twinbeat.sqfs", 2 * 1024 * 1024 + 17],
      ],
    );
    // Each part's bytes are where the offsets say.
    const data = readFileSync(f.bundle);
    for (const p of r.manifest.parts) {
      const at = r.offsets.get(p.name)!;
      assert.ok(data.subarray(at, at + p.sizeBytes).equals(readFileSync(f.files[p.name]!)), p.name);
    }
    assert.equal(r.signer.id, r.manifest.keyId);
    // The header is plain text anyone can read with head.
    assert.match(data.subarray(0, 60).toString("latin1"), /^twinbeat-update 1\nmanifest-bytes \d+\nsignature-bytes 64\n\n/);
  } finally {
    f.cleanup();
  }
});

test("a damaged signature is refused as a bad signature", () => {
  const f = fixture();
  try {
    const ok = verifyBundle(f.bundle, trusted(f));
    assert.ok(ok.ok);
    const sigAt = ok.header.manifestOffset + ok.header.manifestBytes;
    const byte = readFileSync(f.bundle)[sigAt + 10]!;
    patch(f.bundle, sigAt + 10, Buffer.from([byte ^ 0x01]));
    const r = verifyBundle(f.bundle, trusted(f));
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.problem, /^bad signature: /);
  } finally {
    f.cleanup();
  }
});

test("a manifest changed after signing (another hash, same length) is refused as a bad signature", () => {
  const f = fixture();
  try {
    const ok = verifyBundle(f.bundle, trusted(f));
    assert.ok(ok.ok);
    const data = readFileSync(f.bundle);
    const manifest = data.subarray(ok.header.manifestOffset, ok.header.manifestOffset + ok.header.manifestBytes).toString("utf8");
    const sqfs = ok.manifest.parts.find((p) => p.name === "twinbeat.sqfs")!;
    const forged = manifest.replace(sqfs.sha256, "0".repeat(64));
    assert.notEqual(forged, manifest);
    patch(f.bundle, ok.header.manifestOffset, Buffer.from(forged, "utf8"));
    const r = verifyBundle(f.bundle, trusted(f));
    assert.match(r.ok ? "" : r.problem, /^bad signature: /);
  } finally {
    f.cleanup();
  }
});

test("a bundle signed by another key is refused as the wrong key, naming both ids", () => {
  const f = fixture();
  try {
    const other = generateKeyPair(join(f.dir, "other"), "other key");
    const r = verifyBundle(f.bundle, [readPublicKey(other.publicPath)]);
    assert.equal(r.ok, false);
    const mine = readPublicKey(join(f.dir, "key", "update-key.pub")).id;
    assert.match(r.ok ? "" : r.problem, new RegExp(`^wrong key: the bundle says it is signed by key ${mine}, this appliance trusts only ${other.id}$`));
    // With both keys trusted, the right one is found.
    const both = verifyBundle(f.bundle, [readPublicKey(other.publicPath), ...trusted(f)]);
    assert.ok(both.ok);
    // And with none, nothing can be verified.
    assert.match((verifyBundle(f.bundle, []) as { problem: string }).problem, /trusts no update key/);
  } finally {
    f.cleanup();
  }
});

test("a truncated bundle is refused, naming the part that is cut and how much is missing", () => {
  const f = fixture();
  try {
    const full = statSync(f.bundle).size;
    truncateSync(f.bundle, full - 1000);
    const r = verifyBundle(f.bundle, trusted(f));
    assert.match(r.ok ? "" : r.problem, /^truncated: part twinbeat\.sqfs needs bytes \d+\.\.\d+ of the file, which ends at \d+ \(1000 bytes missing in all\)$/);
    // Cut inside the manifest: still a clear message, not a crash.
    truncateSync(f.bundle, 100);
    assert.match((verifyBundle(f.bundle, trusted(f)) as { problem: string }).problem, /^truncated: the file ends at byte 100, inside the manifest/);
    // Cut inside the header.
    truncateSync(f.bundle, 25);
    assert.match((verifyBundle(f.bundle, trusted(f)) as { problem: string }).problem, /header is cut short/);
  } finally {
    f.cleanup();
  }
});

test("a changed byte in a part is refused by that part's name; extra bytes and foreign files too", () => {
  const f = fixture();
  try {
    const ok = verifyBundle(f.bundle, trusted(f));
    assert.ok(ok.ok);
    const at = ok.offsets.get("initrd.img")!;
    const byte = readFileSync(f.bundle)[at]!;
    patch(f.bundle, at, Buffer.from([byte ^ 0xff]));
    assert.match(
      (verifyBundle(f.bundle, trusted(f)) as { problem: string }).problem,
      /^part initrd\.img is damaged: its SHA-256 is [0-9a-f]{64}, the signed manifest says [0-9a-f]{64}$/,
    );
    patch(f.bundle, at, Buffer.from([byte]));
    writeFileSync(f.bundle, Buffer.concat([readFileSync(f.bundle), Buffer.from("junk")]));
    assert.match((verifyBundle(f.bundle, trusted(f)) as { problem: string }).problem, /^4 unexpected bytes after the last part/);
    writeFileSync(f.bundle, "hello\n");
    assert.match((verifyBundle(f.bundle, trusted(f)) as { problem: string }).problem, /^not a Twinbeat update bundle/);
  } finally {
    f.cleanup();
  }
});
