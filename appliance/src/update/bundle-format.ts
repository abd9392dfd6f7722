// The update bundle's layout: a short text header, the signed manifest, its Ed25519 signature, then the parts.

/*
 * A bundle is one file, readable with `head`:
 *
 *   twinbeat-update 1\n
 *   manifest-bytes N\n
 *   signature-bytes 64\n
 *   \n
 *   <manifest: N bytes of text>  <signature: 64 bytes, Ed25519 over exactly the manifest bytes>
 *   <the parts, concatenated in the manifest's order>
 *
 * The manifest names every part with its size and SHA-256, so the signature covers all of it:
 *
 *   twinbeat-update 1
 *   version 0.2.0
 *   commit 1a2b3c4
 *   built 2026-12-03T14:00:00Z
 *   key 0123456789abcdef            (id of the signing key: which key the appliance needs)
 *   part vmlinuz 8123456 <sha256>
 *   part initrd.img 7234567 <sha256>
 *   part twinbeat.sqfs 26543210 <sha256>
 *
 * The header is not signed: it only says where the manifest ends, and a wrong length makes the
 * signature fail. Nothing here does I/O; reading and hashing are in bundle-reader.ts.
 */

export const BUNDLE_MAGIC = "twinbeat-update 1";
/** Ed25519 signatures are always 64 bytes. */
export const SIGNATURE_BYTES = 64;
/** A manifest is a few hundred bytes; anything far larger is not one of ours. */
export const MAX_MANIFEST_BYTES = 64 * 1024;
/** The header is four short lines; read this much to find it. */
export const MAX_HEADER_BYTES = 256;
/** What a slot holds, in the order the bundle carries them. */
export const SLOT_PARTS: readonly string[] = ["vmlinuz", "initrd.img", "twinbeat.sqfs"];

export interface BundlePart {
  readonly name: string;
  readonly sizeBytes: number;
  /** Lower-case hex. */
  readonly sha256: string;
}

export interface BundleManifest {
  readonly version: string;
  readonly commit: string;
  readonly built: string;
  /** Id of the key that signed it (keyId() of the public key). */
  readonly keyId: string;
  readonly parts: readonly BundlePart[];
}

export interface BundleHeader {
  readonly manifestBytes: number;
  readonly signatureBytes: number;
  /** Offset of the manifest in the file (the header's length). */
  readonly manifestOffset: number;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export function encodeHeader(manifestBytes: number): Buffer {
  return Buffer.from(`${BUNDLE_MAGIC}\nmanifest-bytes ${manifestBytes}\nsignature-bytes ${SIGNATURE_BYTES}\n\n`, "ascii");
}

/** Parses the header from the first bytes of a file (at most MAX_HEADER_BYTES are looked at). */
export function parseHeader(head: Buffer): Parsed<BundleHeader> {
  const text = head.subarray(0, MAX_HEADER_BYTES).toString("latin1");
  if (!text.startsWith(BUNDLE_MAGIC + "\n")) {
    return { ok: false, problem: `not a Twinbeat update bundle (it does not start with "${BUNDLE_MAGIC}")` };
  }
  const end = text.indexOf("\n\n");
  if (end < 0) return { ok: false, problem: "the bundle's header is cut short or damaged (no blank line after it)" };
  const fields = new Map<string, string>();
  for (const line of text.slice(BUNDLE_MAGIC.length + 1, end).split("\n")) {
    const m = /^([a-z-]+) (\d{1,9})$/.exec(line);
    if (!m) return { ok: false, problem: `the bundle's header has a line that is not "name number": "${line.slice(0, 40)}"` };
    fields.set(m[1]!, m[2]!);
  }
  const manifestBytes = Number(fields.get("manifest-bytes"));
  const signatureBytes = Number(fields.get("signature-bytes"));
  if (!Number.isInteger(manifestBytes) || manifestBytes <= 0 || manifestBytes > MAX_MANIFEST_BYTES) {
    return { ok: false, problem: `the bundle's header gives no sensible manifest-bytes (1..${MAX_MANIFEST_BYTES})` };
  }
  if (signatureBytes !== SIGNATURE_BYTES) {
    return {
      ok: false,
      problem: `the bundle's header gives signature-bytes ${fields.get("signature-bytes") ?? "(none)"}, an Ed25519 signature is ${SIGNATURE_BYTES}`,
    };
  }
  return { ok: true, value: { manifestBytes, signatureBytes, manifestOffset: end + 2 } };
}

export function encodeManifest(m: BundleManifest): Buffer {
  const lines = [BUNDLE_MAGIC, `version ${m.version}`, `commit ${m.commit}`, `built ${m.built}`, `key ${m.keyId}`];
  for (const p of m.parts) lines.push(`part ${p.name} ${p.sizeBytes} ${p.sha256}`);
  return Buffer.from(lines.join("\n") + "\n", "utf8");
}

const WORD = /^[A-Za-z0-9._+:~-]{1,64}$/;

/** Parses a manifest (only after its signature was checked: its content is then trusted). */
export function parseManifest(bytes: Buffer): Parsed<BundleManifest> {
  const lines = bytes.toString("utf8").split("\n");
  if (lines[0] !== BUNDLE_MAGIC) return { ok: false, problem: `the manifest does not start with "${BUNDLE_MAGIC}"` };
  const fields = new Map<string, string>();
  const parts: BundlePart[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const words = line.split(" ");
    if (words[0] === "part") {
      const [, name, size, sha] = words;
      if (words.length !== 4 || !WORD.test(name ?? "") || !/^\d{1,12}$/.test(size ?? "") || !/^[0-9a-f]{64}$/.test(sha ?? "")) {
        return { ok: false, problem: `manifest line ${i + 1}: expected "part NAME SIZE SHA256", got "${line.slice(0, 80)}"` };
      }
      if (parts.some((p) => p.name === name)) return { ok: false, problem: `manifest line ${i + 1}: part ${name} twice` };
      parts.push({ name: name!, sizeBytes: Number(size), sha256: sha! });
    } else if (words.length === 2 && ["version", "commit", "built", "key"].includes(words[0]!) && WORD.test(words[1]!)) {
      fields.set(words[0]!, words[1]!);
    } else {
      return { ok: false, problem: `manifest line ${i + 1}: not understood: "${line.slice(0, 80)}"` };
    }
  }
  for (const f of ["version", "commit", "built", "key"]) {
    if (!fields.has(f)) return { ok: false, problem: `the manifest has no "${f}" line` };
  }
  for (const name of SLOT_PARTS) {
    if (!parts.some((p) => p.name === name)) return { ok: false, problem: `the manifest lists no part "${name}" (a slot needs ${SLOT_PARTS.join(", ")})` };
  }
  const extra = parts.find((p) => !SLOT_PARTS.includes(p.name));
  if (extra) return { ok: false, problem: `the manifest lists a part "${extra.name}" this version does not know` };
  return { ok: true, value: { version: fields.get("version")!, commit: fields.get("commit")!, built: fields.get("built")!, keyId: fields.get("key")!, parts } };
}

/** Where each part lies in the file, and how long the whole file must be. */
export function partLayout(header: BundleHeader, manifest: BundleManifest): { offsets: ReadonlyMap<string, number>; totalBytes: number } {
  let offset = header.manifestOffset + header.manifestBytes + header.signatureBytes;
  const offsets = new Map<string, number>();
  for (const p of manifest.parts) {
    offsets.set(p.name, offset);
    offset += p.sizeBytes;
  }
  return { offsets, totalBytes: offset };
}
