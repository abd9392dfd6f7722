// Ed25519 key pairs for update bundles: the builder's private key, the public keys an image trusts, key ids.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where the image keeps the public keys it accepts bundles from (one PEM per file). */
export const TRUSTED_KEYS_DIR = "/etc/twinbeat/update-keys";

export interface TrustedKey {
  readonly id: string;
  readonly key: KeyObject;
  /** The file it came from (for messages). */
  readonly source: string;
}

/** 16 hex digits of the SHA-256 of the public key (SPKI DER): short enough to print, long enough to tell keys apart. */
export function keyId(publicKey: KeyObject): string {
  return createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex")
    .slice(0, 16);
}

/** Reads a public key (PEM), or the public half of a private key (PEM); refuses anything that is not Ed25519. */
export function readPublicKey(path: string): TrustedKey {
  const pem = readFileSync(path, "utf8");
  const key = pem.includes("PRIVATE KEY") ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`${path}: an ${key.asymmetricKeyType} key, update bundles are signed with Ed25519`);
  return { id: keyId(key), key, source: path };
}

export function readPrivateKey(path: string): KeyObject {
  const key = createPrivateKey(readFileSync(path, "utf8"));
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`${path}: an ${key.asymmetricKeyType} key, update bundles are signed with Ed25519`);
  return key;
}

/** The keys given (files), or else every *.pem / *.pub in `dir`. */
export function loadTrustedKeys(files: readonly string[], dir = TRUSTED_KEYS_DIR): TrustedKey[] {
  if (files.length > 0) return files.map(readPublicKey);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(pem|pub)$/.test(f))
    .sort()
    .map((f) => readPublicKey(join(dir, f)));
}

/**
 * Makes a key pair in `dir`: `update-key.pem` (private, mode 0600) and `update-key.pub` (public).
 * `label` goes into a README.TXT beside them (e.g. that a development key must never sign a release).
 * Refuses to overwrite an existing private key.
 */
export function generateKeyPair(dir: string, label: string): { privatePath: string; publicPath: string; id: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privatePath = join(dir, "update-key.pem");
  const publicPath = join(dir, "update-key.pub");
  if (existsSync(privatePath)) throw new Error(`${privatePath} exists already: not overwritten`);
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(privatePath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(publicPath, publicKey.export({ type: "spki", format: "pem" }), { mode: 0o644 });
  const id = keyId(publicKey);
  writeFileSync(
    join(dir, "README.TXT"),
    `${label}\nkey id ${id}\nupdate-key.pem: private (signs bundles; keep it secret)\nupdate-key.pub: public (baked into images)\n`,
  );
  return { privatePath, publicPath, id };
}
