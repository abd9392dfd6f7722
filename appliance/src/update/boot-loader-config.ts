// The boot loaders' files generated from the slot record: syslinux.cfg (BIOS) and systemd-boot's loader.conf and entries (UEFI).

import { defaultSlot, SLOT_NAMES, type BootSlots, type SlotName } from "./boot-slots";

/** Paths on the boot partition (relative to its root), with their content. */
export type LoaderFiles = ReadonlyMap<string, string>;

export function slotDir(slot: SlotName): string {
  return `/twinbeat/${slot}`;
}

function describe(s: BootSlots, slot: SlotName): string {
  const role = s.good === slot ? "good" : s.trial?.slot === slot ? "on trial" : s.failed?.slot === slot ? "failed its trial" : "spare";
  return `Twinbeat ${s.versions[slot]} (slot ${slot}, ${role})`;
}

/**
 * Every file the loaders read, from the record alone (written whole on every change, so the
 * loaders can never disagree). Entries exist only for slots that hold a version. The label
 * `twinbeat` is always the default slot; `recovery` boots the good slot's recovery menu.
 */
export function loaderFiles(s: BootSlots): LoaderFiles {
  const files = new Map<string, string>();
  const def = defaultSlot(s);
  const slots = SLOT_NAMES.filter((n) => s.versions[n]);
  const append = (slot: SlotName, extra = "") => `${s.cmdline} twinbeat.slot=${slot}${extra}`;
  const sys = [
    "# BIOS boot (syslinux), generated from /twinbeat/slots.txt by twinbeat update: edits are overwritten.",
    "# No menu unless Shift/Alt is held (or a key on the serial port, 1 s); then type a label.",
    "SERIAL 0 115200",
    "PROMPT 0",
    "TIMEOUT 10",
    "DEFAULT twinbeat",
    `SAY Twinbeat: booting ${describe(s, def)} (hold Shift for the prompt: ${["twinbeat", ...slots.map((n) => `slot-${n}`), "recovery"].join(", ")})`,
    "",
    "LABEL twinbeat",
    `  KERNEL ${slotDir(def)}/vmlinuz`,
    `  APPEND initrd=${slotDir(def)}/initrd.img ${append(def)}`,
  ];
  for (const n of slots) {
    sys.push("", `LABEL slot-${n}`, `  KERNEL ${slotDir(n)}/vmlinuz`, `  APPEND initrd=${slotDir(n)}/initrd.img ${append(n)}`);
  }
  sys.push(
    "",
    "LABEL recovery",
    `  KERNEL ${slotDir(s.good)}/vmlinuz`,
    `  APPEND initrd=${slotDir(s.good)}/initrd.img ${append(s.good, " twinbeat.recovery")}`,
  );
  files.set("/syslinux/syslinux.cfg", sys.join("\n") + "\n");
  files.set(
    "/loader/loader.conf",
    [
      "# UEFI boot (systemd-boot), generated from /twinbeat/slots.txt by twinbeat update: edits are overwritten.",
      "# timeout 0: no menu unless a key (space) is held at power-on.",
      `default twinbeat-${def}.conf`,
      "timeout 0",
      "console-mode keep",
      "editor no",
    ].join("\n") + "\n",
  );
  for (const n of SLOT_NAMES) {
    const path = `/loader/entries/twinbeat-${n}.conf`;
    if (!s.versions[n]) {
      files.set(path, ""); // an empty entry is ignored by systemd-boot; the writer removes it
      continue;
    }
    files.set(
      path,
      [`title   ${describe(s, n)}`, `linux   ${slotDir(n)}/vmlinuz`, `initrd  ${slotDir(n)}/initrd.img`, `options ${append(n)}`].join("\n") + "\n",
    );
  }
  files.set(
    "/loader/entries/twinbeat-recovery.conf",
    [
      `title   Twinbeat ${s.versions[s.good]} recovery (config reset/restore menu on the console)`,
      `linux   ${slotDir(s.good)}/vmlinuz`,
      `initrd  ${slotDir(s.good)}/initrd.img`,
      `options ${append(s.good, " twinbeat.recovery")}`,
    ].join("\n") + "\n",
  );
  return files;
}
