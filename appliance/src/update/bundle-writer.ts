// Makes an update bundle from a slot's three files: hashes them, signs the manifest with the builder's Ed25519 key, writes the file.

import { createPublicKey, sign, type KeyObject } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, statSync, writeSync } from "node:fs";
import { SLOT_PARTS, encodeHeader, encodeManifest, type BundleManifest, type BundlePart } from "./bundle-format";
import { hashRange, readAt } from "./bundle-reader";
import { keyId } from "./update-keys";

export interface BundleSource {
  readonly version: string;
  readonly commit: string;
  /** ISO time without fractions, e.g. 2026-12-03T14:00:00Z. */
  readonly built: string;
  /** Path of each of SLOT_PARTS. */
  readonly files: Readonly<Record<string, string>>;
}

/** Writes the bundle to `out` (via `out.tmp` and a rename); returns its manifest. */
export function writeBundle(out: string, source: BundleSource, privateKey: KeyObject): BundleManifest {
  const parts: BundlePart[] = SLOT_PARTS.map((name) => {
    const file = source.files[name];
    if (!file) throw new Error(`no file given for part ${name}`);
    const fd = openSync(file, "r");
    try {
      const sizeBytes = statSync(file).size;
      return { name, sizeBytes, sha256: hashRange(fd, 0, sizeBytes) };
    } finally {
      closeSync(fd);
    }
  });
  const manifest: BundleManifest = { version: source.version, commit: source.commit, built: source.built, keyId: keyId(createPublicKey(privateKey)), parts };
  const manifestBytes = encodeManifest(manifest);
  const signature = sign(null, manifestBytes, privateKey);
  const tmp = `${out}.tmp`;
  const fd = openSync(tmp, "w", 0o644);
  try {
    for (const buf of [encodeHeader(manifestBytes.length), manifestBytes, signature]) writeSync(fd, buf);
    for (const part of parts) copyInto(fd, source.files[part.name]!, part.sizeBytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, out);
  return manifest;
}

function copyInto(outFd: number, file: string, sizeBytes: number): void {
  const fd = openSync(file, "r");
  try {
    for (let done = 0; done < sizeBytes;) {
      const chunk = readAt(fd, done, Math.min(1024 * 1024, sizeBytes - done));
      if (chunk.length === 0) throw new Error(`${file} shrank while being copied`);
      writeSync(outFd, chunk);
      done += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
}
