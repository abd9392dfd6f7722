// The A/B slots of the boot partition: which slot is good, which is on trial, and how boot, health and apply move them (pure).

/*
 * /twinbeat/slots.txt on the boot partition is the one record; the boot loaders' files are
 * generated from it (boot-loader-config.ts). A trial is "boot once": `twinbeat update apply` makes
 * the new slot the loaders' default with one boot left; the early boot of that slot spends the boot
 * at once (the default goes back to the good slot), so whatever happens next (panic, hang, a daemon
 * that dies, a power cut), the next boot is the good slot's. Only the health watch makes the trial
 * slot good. Neither syslinux nor the firmware has to write anything.
 *
 *   # Twinbeat boot slots (twinbeat update writes this file; the boot loader files follow it)
 *   cmdline console=tty0 console=ttyS0,115200n8 quiet loglevel=3 panic=10
 *   good a
 *   trial b 1                   (slot, boots left: 1 = the next boot tries it, 0 = it is being tried)
 *   failed b 0.2.0              (the last trial that did not prove itself; for the status page)
 *   version a 0.1.0
 *   version b 0.2.0
 */

export type SlotName = "a" | "b";
export const SLOT_NAMES: readonly SlotName[] = ["a", "b"];

export interface BootSlots {
  readonly cmdline: string;
  readonly good: SlotName;
  readonly trial?: { readonly slot: SlotName; readonly bootsLeft: number };
  readonly failed?: { readonly slot: SlotName; readonly version: string };
  /** What each slot holds; a slot without a version is empty or being written (never booted). */
  readonly versions: Readonly<Partial<Record<SlotName, string>>>;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export function otherSlot(s: SlotName): SlotName {
  return s === "a" ? "b" : "a";
}

function isSlot(s: string | undefined): s is SlotName {
  return s === "a" || s === "b";
}

export function encodeSlots(s: BootSlots): string {
  const lines = ["# Twinbeat boot slots (twinbeat update writes this file; the boot loader files follow it)", `cmdline ${s.cmdline}`, `good ${s.good}`];
  if (s.trial) lines.push(`trial ${s.trial.slot} ${s.trial.bootsLeft}`);
  if (s.failed) lines.push(`failed ${s.failed.slot} ${s.failed.version}`);
  for (const n of SLOT_NAMES) if (s.versions[n]) lines.push(`version ${n} ${s.versions[n]}`);
  return lines.join("\n") + "\n";
}

/** Parses slots.txt; `source` names the file in messages (file:line). */
export function parseSlots(text: string, source: string): Parsed<BootSlots> {
  let cmdline: string | undefined;
  let good: SlotName | undefined;
  let trial: BootSlots["trial"];
  let failed: BootSlots["failed"];
  const versions: Partial<Record<SlotName, string>> = {};
  const lines = text.replace(/\r/g, "").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [key, ...words] = line.split(/\s+/);
    const bad = (why: string): Parsed<BootSlots> => ({ ok: false, problem: `${source}:${i + 1}: ${why}: "${line.slice(0, 80)}"` });
    if (key === "cmdline") cmdline = line.slice("cmdline".length).trim();
    else if (key === "good" && words.length === 1 && isSlot(words[0])) good = words[0];
    else if (key === "trial" && words.length === 2 && isSlot(words[0]) && /^\d$/.test(words[1]!)) trial = { slot: words[0], bootsLeft: Number(words[1]) };
    else if (key === "failed" && words.length === 2 && isSlot(words[0])) failed = { slot: words[0], version: words[1]! };
    else if (key === "version" && words.length === 2 && isSlot(words[0])) versions[words[0]] = words[1]!;
    else return bad("not understood (cmdline TEXT, good SLOT, trial SLOT N, failed SLOT VERSION, version SLOT VERSION; slots are a and b)");
  }
  if (cmdline === undefined) return { ok: false, problem: `${source}: no "cmdline" line` };
  if (good === undefined) return { ok: false, problem: `${source}: no "good" line` };
  if (!versions[good]) return { ok: false, problem: `${source}: the good slot ${good} has no "version" line` };
  if (trial && (trial.slot === good || !versions[trial.slot]))
    return { ok: false, problem: `${source}: the trial slot ${trial.slot} is the good one or holds nothing` };
  return { ok: true, value: { cmdline, good, ...(trial ? { trial } : {}), ...(failed ? { failed } : {}), versions } };
}

/** The slot the boot loaders start when nobody picks one from the menu. */
export function defaultSlot(s: BootSlots): SlotName {
  return s.trial && s.trial.bootsLeft > 0 ? s.trial.slot : s.good;
}

/**
 * How this boot relates to the record:
 * - `good`: the good slot, nothing pending (or a trial still waiting for its boot: booted by hand);
 * - `trial`: the slot on trial; it must become healthy within the limit, else reboot (to the good slot);
 * - `fallback`: the good slot after a trial boot that did not prove itself: the trial is over, failed;
 * - `other`: the slot that is neither (picked from the boot menu); the record is left alone.
 */
export type BootRole = "good" | "trial" | "fallback" | "other";

export interface BootDecision {
  readonly role: BootRole;
  /** The record to write back (the same object when nothing changes). */
  readonly slots: BootSlots;
  readonly message: string;
}

/** What the early boot does with the record, given the slot it booted from. */
export function atBoot(s: BootSlots, booted: SlotName): BootDecision {
  const version = s.versions[booted] ?? "?";
  if (s.trial && booted === s.trial.slot) {
    // Spend the one boot: from now on the loaders' default is the good slot again.
    const slots = s.trial.bootsLeft > 0 ? { ...s, trial: { slot: s.trial.slot, bootsLeft: 0 } } : s;
    return {
      role: "trial",
      slots,
      message: `slot ${booted} (${version}) is on trial: it becomes the default once healthy; otherwise the next boot is slot ${s.good} (${s.versions[s.good]})`,
    };
  }
  if (booted === s.good) {
    if (s.trial && s.trial.bootsLeft === 0) {
      const failed = { slot: s.trial.slot, version: s.versions[s.trial.slot] ?? "?" };
      const { trial: _trial, ...rest } = s;
      return {
        role: "fallback",
        slots: { ...rest, failed },
        message: `slot ${failed.slot} (${failed.version}) failed its trial (not healthy in time, or it did not boot): back on slot ${booted} (${version})`,
      };
    }
    const failedNote = s.failed ? `; slot ${s.failed.slot} (${s.failed.version}) failed its last trial` : "";
    return { role: "good", slots: s, message: `slot ${booted} (${version}) is good${failedNote}` };
  }
  return { role: "other", slots: s, message: `slot ${booted} (${version}) was picked by hand: the default stays slot ${defaultSlot(s)}` };
}

/** The trial proved itself (healthy in time): it becomes the good slot. Not on trial: no change. */
export function markGood(s: BootSlots, booted: SlotName): BootSlots {
  if (!s.trial || s.trial.slot !== booted) return s;
  const { trial: _trial, failed: _failed, ...rest } = s;
  return { ...rest, good: booted };
}

/** Why an update may not be applied now, or the slot it goes to. */
export function applyTarget(s: BootSlots, running: SlotName): Parsed<SlotName> {
  if (s.trial && s.trial.slot === running) {
    return {
      ok: false,
      problem: `the running slot ${running} is on trial: wait until it is marked good (or reboot to slot ${s.good}) before applying another update`,
    };
  }
  if (running !== s.good) return { ok: false, problem: `the running slot ${running} is not the good one (${s.good}): boot the good slot first` };
  return { ok: true, value: otherSlot(running) };
}

/** Before the target slot's files are overwritten: it is nobody's default and holds nothing. */
export function beforeWrite(s: BootSlots, target: SlotName): BootSlots {
  const versions = { ...s.versions };
  delete versions[target];
  const { trial: _trial, failed, ...rest } = s;
  return { ...rest, ...(failed && failed.slot !== target ? { failed } : {}), versions };
}

/** After the target slot was written and checked: it holds `version` and the next boot tries it once. */
export function afterWrite(s: BootSlots, target: SlotName, version: string): BootSlots {
  return { ...s, trial: { slot: target, bootsLeft: 1 }, versions: { ...s.versions, [target]: version } };
}
