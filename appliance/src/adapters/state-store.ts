// The persistent identity of this node: its 16-byte UUID and the generation raised at every start (spec §4.6).

import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface NodeIdentity {
  readonly uuid: Buffer;
  readonly generation: number;
}

/**
 * Reads `hb_uuid` (16 raw bytes, created on first start) and `hb_generation`
 * (15-char right-aligned decimal + newline), raises the generation and writes it
 * back durably before anything is sent, so it strictly increases across restarts
 * even after a crash. `method: "time"` uses the wall clock instead, like Heartbeat.
 */
export function loadNodeIdentity(stateDir: string, method: "file" | "time" = "file", nowSec = Math.floor(Date.now() / 1000)): NodeIdentity {
  mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  const uuidPath = join(stateDir, "hb_uuid");
  let uuid: Buffer;
  try {
    uuid = readFileSync(uuidPath);
    if (uuid.length !== 16) throw new Error(`${uuidPath} holds ${uuid.length} bytes, expected 16`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    uuid = randomBytes(16);
    writeDurably(uuidPath, uuid, 0o644);
  }
  const genPath = join(stateDir, "hb_generation");
  let previous: number | undefined;
  try {
    const text = readFileSync(genPath, "utf8").trim();
    if (!/^\d+$/.test(text)) throw new Error(`${genPath} does not hold a decimal generation number: "${text.slice(0, 20)}"`);
    previous = Number(text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  let generation = method === "time" ? nowSec : previous === undefined ? nowSec + 1 : previous + 1;
  // Never go backwards, whichever method was used last time.
  if (previous !== undefined && generation <= previous) generation = previous + 1;
  writeDurably(genPath, Buffer.from(String(generation).padStart(15, " ") + "\n"), 0o644);
  return { uuid, generation };
}

/** Writes a file via a temporary and rename, with fsync, so a crash leaves the old or the new content. */
function writeDurably(path: string, data: Buffer, mode: number): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
