// Heartbeat's packet digests (authkeys methods crc, md5, sha1) and the "<n> <hex>" auth string (spec §3.2).

import { createHmac, timingSafeEqual } from "node:crypto";
import type { AuthMethod } from "../config/cluster-config";

/** Bytes to digest: one buffer, or several hashed back to back as if concatenated (saves a copy). */
export type DigestInput = Buffer | readonly Buffer[];

/** Largest authkeys index accepted by Heartbeat's code (`MAXAUTH` = 16, so 0…15). */
export const MAX_AUTH_INDEX = 15;

/**
 * CRC table for the CRC-32/POSIX ("cksum") polynomial 0x04C11DB7, MSB-first
 * (not reflected): entry i is the register after shifting byte i through it.
 */
const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let bit = 0; bit < 8; bit++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/**
 * Heartbeat's unkeyed `crc` method: CRC-32 with poly 0x04C11DB7, MSB-first, init 0,
 * final XOR 0xFFFFFFFF and — unlike POSIX `cksum` — no length suffix.
 * Check value of "123456789" is 0x765e7680.
 */
export function crc32(data: DigestInput): number {
  let crc = 0;
  const parts: readonly Buffer[] = Buffer.isBuffer(data) ? [data] : data;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ part[i]) & 0xff];
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The digest text Heartbeat puts after the index: 40 lowercase hex digits for sha1
 * (HMAC-SHA1), 32 for md5 (HMAC-MD5), and for crc the CRC printed as lowercase hex
 * WITHOUT leading zeros (`%lx`), because receivers compare the text exactly.
 *
 * The HMAC key is the authkeys token, UTF-8 encoded (the same bytes the file holds
 * when the config loader read it as UTF-8). Keys longer than the hash block are
 * hashed first, as RFC 2104 says; node:crypto does that.
 *
 * Throws TypeError for an unknown method or a keyed method without a key: that is a
 * configuration bug on the signing side, never caused by received data.
 */
export function computeDigest(method: AuthMethod, key: string | undefined, data: DigestInput): string {
  if (method === "crc") return crc32(data).toString(16);
  if (method !== "md5" && method !== "sha1") throw new TypeError(`unknown auth method ${String(method)}`);
  if (typeof key !== "string") throw new TypeError(`auth method ${method} needs a key`);
  const hmac = createHmac(method, key);
  if (Buffer.isBuffer(data)) hmac.update(data);
  else for (const part of data) hmac.update(part);
  return hmac.digest("hex");
}

/**
 * True when `digestText` is exactly what `computeDigest(method, key, data)` gives.
 * Never throws: an unknown method or a missing key simply fails verification.
 * The comparison does not stop at the first differing byte.
 */
export function verifyDigest(method: AuthMethod, key: string | undefined, data: DigestInput, digestText: string): boolean {
  if (method !== "crc" && (typeof key !== "string" || (method !== "md5" && method !== "sha1"))) return false;
  if (typeof digestText !== "string") return false;
  const expected = Buffer.from(computeDigest(method, key, data), "latin1");
  const received = Buffer.from(digestText, "latin1");
  // Lengths are public (fixed per method, or a crc's digit count): no secret leaks by returning early.
  if (expected.length !== received.length) return false;
  return timingSafeEqual(expected, received);
}

/** Heartbeat's auth string: decimal index, one space, digest text ("1 377776d5…"). */
export function formatAuth(index: number, digest: string): string {
  if (!Number.isInteger(index) || index < 0 || index > MAX_AUTH_INDEX) {
    throw new RangeError(`auth index ${index} outside 0..${MAX_AUTH_INDEX}`);
  }
  if (!/^[0-9a-f]{1,128}$/.test(digest)) throw new RangeError("digest must be lowercase hex");
  return `${index} ${digest}`;
}

/** A parsed auth string. */
export interface ParsedAuth {
  readonly index: number;
  readonly digest: string;
}

/**
 * Parses "<n> <hex>" strictly, exactly as we and Heartbeat write it: canonical decimal
 * index (no sign, no leading zero), one space, lowercase hex. Anything else → undefined.
 * The index is not range-checked here: an index missing from authkeys is the caller's
 * "unknown key index", not a syntax error.
 */
export function parseAuth(text: string): ParsedAuth | undefined {
  const m = /^(0|[1-9][0-9]{0,2}) ([0-9a-f]{1,128})$/.exec(text);
  if (m === null) return undefined;
  return { index: Number(m[1]), digest: m[2] };
}
