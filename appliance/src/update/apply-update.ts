// `twinbeat update apply`: verify the bundle, then write it into the slot that is not running and make that slot the next boot's trial.

import { verifyBundle } from "./bundle-reader";
import { afterWrite, applyTarget, beforeWrite, type SlotName } from "./boot-slots";
import { readSlots, withWritable, writeSlotParts, writeSlots } from "./boot-partition";
import type { TrustedKey } from "./update-keys";

export type ApplyResult =
  | { readonly ok: true; readonly slot: SlotName; readonly version: string; readonly message: string }
  | { readonly ok: false; readonly problem: string; readonly wroteNothing: boolean };

/** Nothing is written unless the bundle verifies and the record allows an update now. */
export function applyUpdate(bundlePath: string, bootDir: string, running: SlotName, trusted: readonly TrustedKey[]): ApplyResult {
  const verified = verifyBundle(bundlePath, trusted);
  if (!verified.ok) return { ok: false, problem: `refused: ${verified.problem}`, wroteNothing: true };
  const record = readSlots(bootDir);
  if (!record.ok) return { ok: false, problem: record.problem, wroteNothing: true };
  const target = applyTarget(record.value, running);
  if (!target.ok) return { ok: false, problem: target.problem, wroteNothing: true };
  const slot = target.value;
  const version = verified.manifest.version;
  try {
    withWritable(bootDir, () => {
      writeSlots(bootDir, beforeWrite(record.value, slot));
      writeSlotParts(bootDir, slot, verified);
      writeSlots(bootDir, afterWrite(beforeWrite(record.value, slot), slot, version));
    });
  } catch (err) {
    return {
      ok: false,
      problem: `writing slot ${slot} failed: ${(err as Error).message} (the good slot ${record.value.good} is untouched and stays the default)`,
      wroteNothing: false,
    };
  }
  return {
    ok: true,
    slot,
    version,
    message: `slot ${slot} now holds Twinbeat ${version} (signed by key ${verified.signer.id}); the next boot tries it once: reboot to start it. It becomes the default only once healthy, else the boot after returns to slot ${running} (${record.value.versions[running]})`,
  };
}
