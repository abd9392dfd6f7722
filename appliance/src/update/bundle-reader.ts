// Checks an update bundle before anything is written: signature against the trusted keys, then every part's size and SHA-256.

import { verify } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import { MAX_HEADER_BYTES, parseHeader, parseManifest, partLayout, type BundleHeader, type BundleManifest } from "./bundle-format";
import type { TrustedKey } from "./update-keys";

export interface VerifiedBundle {
  readonly ok: true;
  readonly path: string;
  readonly header: BundleHeader;
  readonly manifest: BundleManifest;
  /** Offset of each part in the file. */
  readonly offsets: ReadonlyMap<string, number>;
  /** The trusted key that verified the signature. */
  readonly signer: TrustedKey;
}

/** Why a bundle is refused: one sentence naming what is wrong. */
export interface RefusedBundle {
  readonly ok: false;
  readonly problem: string;
}

const CHUNK_BYTES = 1024 * 1024;

/** Reads exactly `length` bytes at `position` (fewer only at the end of the file). */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** SHA-256 of `length` bytes at `position`, read in chunks (a squashfs is tens of MB). */
export function hashRange(fd: number, position: number, length: number, onChunk?: (chunk: Buffer) => void): string {
  const hash = createHash("sha256");
  let done = 0;
  while (done < length) {
    const chunk = readAt(fd, position + done, Math.min(CHUNK_BYTES, length - done));
    if (chunk.length === 0) break;
    hash.update(chunk);
    onChunk?.(chunk);
    done += chunk.length;
  }
  return hash.digest("hex");
}

/**
 * The whole check, reading only: header, signature (by one of `trusted`), manifest, the file's
 * exact length, each part's SHA-256. A remote file's faults are values (RefusedBundle), never throws,
 * except for a file that cannot be opened at all.
 */
export function verifyBundle(path: string, trusted: readonly TrustedKey[]): VerifiedBundle | RefusedBundle {
  const fd = openSync(path, "r");
  try {
    return verifyOpenBundle(fd, path, trusted);
  } finally {
    closeSync(fd);
  }
}

function verifyOpenBundle(fd: number, path: string, trusted: readonly TrustedKey[]): VerifiedBundle | RefusedBundle {
  const fileBytes = fstatSync(fd).size;
  const header = parseHeader(readAt(fd, 0, MAX_HEADER_BYTES));
  if (!header.ok) return refuse(header.problem);
  const { manifestOffset, manifestBytes, signatureBytes } = header.value;
  const signedEnd = manifestOffset + manifestBytes + signatureBytes;
  if (fileBytes < signedEnd) {
    return refuse(`truncated: the file ends at byte ${fileBytes}, inside the manifest and signature (bytes ${manifestOffset}..${signedEnd})`);
  }
  const manifestRaw = readAt(fd, manifestOffset, manifestBytes);
  const signature = readAt(fd, manifestOffset + manifestBytes, signatureBytes);
  if (trusted.length === 0) return refuse("this appliance trusts no update key (none in /etc/twinbeat/update-keys): nothing can be verified");
  const signer = trusted.find((k) => verify(null, manifestRaw, k.key, signature));
  if (!signer) {
    // The manifest is not trusted yet, but its key line tells a wrong key from a damaged signature.
    const claimed = /^key ([0-9a-f]{16})$/m.exec(manifestRaw.toString("utf8"))?.[1];
    const ids = trusted.map((k) => k.id).join(", ");
    if (claimed && !trusted.some((k) => k.id === claimed)) {
      return refuse(`wrong key: the bundle says it is signed by key ${claimed}, this appliance trusts only ${ids}`);
    }
    return refuse(
      `bad signature: the manifest does not match its signature under key ${ids} (the manifest was changed after signing, or the signature is damaged)`,
    );
  }
  const manifest = parseManifest(manifestRaw);
  if (!manifest.ok) return refuse(`signed but not understood: ${manifest.problem}`);
  const { offsets, totalBytes } = partLayout(header.value, manifest.value);
  for (const part of manifest.value.parts) {
    const start = offsets.get(part.name)!;
    const end = start + part.sizeBytes;
    if (fileBytes < end) {
      return refuse(
        `truncated: part ${part.name} needs bytes ${start}..${end} of the file, which ends at ${fileBytes} (${totalBytes - fileBytes} bytes missing in all)`,
      );
    }
  }
  if (fileBytes > totalBytes) return refuse(`${fileBytes - totalBytes} unexpected bytes after the last part (the manifest accounts for ${totalBytes})`);
  for (const part of manifest.value.parts) {
    const sha = hashRange(fd, offsets.get(part.name)!, part.sizeBytes);
    if (sha !== part.sha256) return refuse(`part ${part.name} is damaged: its SHA-256 is ${sha}, the signed manifest says ${part.sha256}`);
  }
  return { ok: true, path, header: header.value, manifest: manifest.value, offsets, signer };
}

function refuse(problem: string): RefusedBundle {
  return { ok: false, problem };
}
