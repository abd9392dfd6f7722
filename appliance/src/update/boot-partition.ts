// Reads and writes the boot partition's slot record, loader files and slot contents (the I/O around boot-slots.ts).

import { execFileSync } from "node:child_process";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { atBoot, encodeSlots, parseSlots, type BootSlots, type Parsed, type SlotName } from "./boot-slots";
import { loaderFiles, slotDir } from "./boot-loader-config";
import { hashRange, readAt, type VerifiedBundle } from "./bundle-reader";
import { SLOT_PARTS } from "./bundle-format";

/** Where the appliance mounts its boot partition (read-only, except while this code writes). */
export const BOOT_MOUNT = "/mnt/boot";
export const SLOTS_FILE = "/twinbeat/slots.txt";

export function readSlots(bootDir: string): Parsed<BootSlots> {
  const path = join(bootDir, SLOTS_FILE);
  if (!existsSync(path)) {
    return { ok: false, problem: `${path} is missing: this boot partition has no A/B slots (an image from before them: write a new image once with dd)` };
  }
  return parseSlots(readFileSync(path, "utf8"), path);
}

/** Writes a file via a temporary, fsync and rename (FAT: the old or the new content after a power cut, at worst a stray .tmp). */
export function writeFileDurably(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o644);
  try {
    writeSync(fd, typeof content === "string" ? Buffer.from(content, "utf8") : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Where the files of a spent trial wait (the same tree: twinbeat/slots.txt, syslinux/…, loader/…):
 * the trial slot's early boot copies them into place with busybox `cp` alone, so the trial's one
 * boot is spent even if the new slot's executable cannot run at all.
 */
export const SPENT_TRIAL_DIR = "/twinbeat/on-trial-boot";

/** The record first, then every loader file generated from it; with a trial pending, also the files its boot puts in place. */
export function writeSlots(bootDir: string, s: BootSlots): void {
  const spentDir = join(bootDir, SPENT_TRIAL_DIR);
  rmSync(spentDir, { recursive: true, force: true });
  writeTree(bootDir, s);
  if (s.trial && s.trial.bootsLeft > 0) writeTree(spentDir, atBoot(s, s.trial.slot).slots);
}

function writeTree(root: string, s: BootSlots): void {
  writeFileDurably(join(root, SLOTS_FILE), encodeSlots(s));
  for (const [path, content] of loaderFiles(s)) {
    if (content === "") rmSync(join(root, path), { force: true });
    else writeFileDurably(join(root, path), content);
  }
}

/**
 * Runs `fn` with `dir` writable: when it is a read-only mount point (the appliance's /mnt/boot),
 * remounts it read-write and back to read-only afterwards, whatever happens.
 */
export function withWritable<T>(dir: string, fn: () => T, mountsText = safeRead("/proc/mounts")): T {
  const entry = mountsText
    .split("\n")
    .map((l) => l.split(" "))
    .find((f) => f[1] === dir);
  const readOnly = entry !== undefined && (entry[3] ?? "").split(",").includes("ro");
  if (!readOnly) return fn();
  execFileSync("mount", ["-o", "remount,rw", dir]);
  try {
    return fn();
  } finally {
    execFileSync("sync");
    execFileSync("mount", ["-o", "remount,ro", dir]);
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * Copies the verified bundle's parts into the slot's folder: the old files go first (room on the
 * partition), each part is hashed again while it is copied (the bundle could change after the
 * check) and renamed into place only when its hash is the manifest's. Throws naming the part.
 */
export function writeSlotParts(bootDir: string, slot: SlotName, bundle: VerifiedBundle): void {
  const dir = join(bootDir, slotDir(slot));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const inFd = openSync(bundle.path, "r");
  try {
    for (const part of bundle.manifest.parts) {
      const target = join(dir, part.name);
      const outFd = openSync(`${target}.tmp`, "w", 0o644);
      let sha: string;
      try {
        sha = hashRange(inFd, bundle.offsets.get(part.name)!, part.sizeBytes, (chunk) => writeSync(outFd, chunk));
        fsyncSync(outFd);
      } finally {
        closeSync(outFd);
      }
      if (sha !== part.sha256) throw new Error(`${part.name} changed while it was copied (SHA-256 ${sha}, manifest ${part.sha256}): slot ${slot} left empty`);
      renameSync(`${target}.tmp`, target);
    }
  } finally {
    closeSync(inFd);
  }
  // Read back what is on the partition: a failing medium shows here, not at the next boot.
  for (const part of bundle.manifest.parts) {
    const fd = openSync(join(dir, part.name), "r");
    try {
      const sha = hashRange(fd, 0, part.sizeBytes);
      if (sha !== part.sha256 || readAt(fd, part.sizeBytes, 1).length !== 0)
        throw new Error(`${slotDir(slot)}/${part.name} reads back wrong from the boot partition: slot ${slot} is not bootable`);
    } finally {
      closeSync(fd);
    }
  }
  if (SLOT_PARTS.some((p) => !existsSync(join(dir, p)))) throw new Error(`slot ${slot} is missing a part after the copy`);
}
