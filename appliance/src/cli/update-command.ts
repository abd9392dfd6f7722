// `twinbeat update verify|make|keygen …`: checks, makes and signs update bundles (appliance and release side).

import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { basename, join } from "node:path";
import { verifyBundle } from "../update/bundle-reader";
import { writeBundle } from "../update/bundle-writer";
import { SLOT_PARTS } from "../update/bundle-format";
import { generateKeyPair, loadTrustedKeys, readPrivateKey, readPublicKey, TRUSTED_KEYS_DIR } from "../update/update-keys";
import { applyUpdate } from "../update/apply-update";
import { BOOT_MOUNT, readSlots, withWritable, writeSlots } from "../update/boot-partition";
import { atBoot, defaultSlot, markGood, type BootSlots, type SlotName } from "../update/boot-slots";
import { observeTrial, startTrialWatch, DEFAULT_TRIAL_LIMIT_MS, type TrialObservation } from "../update/trial-watch";
import { askDaemon } from "./cl-status-command";
import { defaultOptions, UsageError } from "./cli-options";
import { execFileSync } from "node:child_process";
import { TWINBEAT_VERSION } from "./version";

/** Where the image's boot script writes the slot it booted from ("a" or "b"). */
export const RUNNING_SLOT_FILE = "/run/twinbeat/slot";

export const UPDATE_USAGE = `usage: twinbeat update <sub-command> …
  verify BUNDLE [--key PUB]...   check the signature and every part; writes nothing (exit 0 = good)
  make OUT --key PRIVATE --dir DIR [--version V] [--commit C]
                                 bundle DIR/{${SLOT_PARTS.join(",")}} signed with PRIVATE (PEM, Ed25519)
  apply BUNDLE [--key PUB]...    verify, then write the slot that is not running; the next boot tries it once
  status                         the slots: which is good, which runs, which is on trial or failed
  boot | mark-good | watch-trial [--limit-s N]
                                 (the image's boot scripts) spend a trial boot; make the trial slot good;
                                 watch a trial and mark it good when healthy, else reboot
  init-slots DIR --version V --cmdline TEXT
                                 (build) slot a's record and the loader files under DIR
  Common: [--boot-dir DIR] (default ${BOOT_MOUNT}) [--slot a|b] (default: ${RUNNING_SLOT_FILE})
  keygen DIR [--label TEXT]      make a key pair: DIR/update-key.pem (private), DIR/update-key.pub
  pubkey KEY OUT                 write the public half of KEY (private or public PEM) to OUT; print its id
Trusted keys: --key files, else every *.pem/*.pub in ${TRUSTED_KEYS_DIR} (baked into the image).`;

function parse(args: readonly string[], options: Record<string, { type: "string" | "boolean"; multiple?: boolean }>) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ""));
  }
}

function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one ${what}, got ${positionals.length}`);
  return positionals[0]!;
}

export function updateCommand(args: readonly string[]): number | Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(UPDATE_USAGE + "\n");
      return 0;
    case "verify":
      return verifyCommand(rest);
    case "make":
      return makeCommand(rest);
    case "apply":
      return applyCommand(rest);
    case "status":
      return statusCommand(rest);
    case "boot":
      return bootCommand(rest);
    case "mark-good":
      return markGoodCommand(rest);
    case "watch-trial":
      return watchTrialCommand(rest);
    case "init-slots":
      return initSlotsCommand(rest);
    case "keygen":
      return keygenCommand(rest);
    case "pubkey":
      return pubkeyCommand(rest);
    default:
      throw new UsageError(sub === undefined ? "a sub-command is needed" : `unknown sub-command "${sub}"`);
  }
}

function verifyCommand(args: readonly string[]): number {
  const { values, positionals } = parse(args, { key: { type: "string", multiple: true } });
  const path = onePositional(positionals, "bundle");
  const r = verifyBundle(path, loadTrustedKeys((values.key as string[] | undefined) ?? []));
  if (!r.ok) {
    process.stderr.write(`twinbeat update: ${basename(path)} refused: ${r.problem}\n`);
    return 1;
  }
  const m = r.manifest;
  process.stdout.write(
    `${basename(path)}: good: Twinbeat ${m.version} (commit ${m.commit}, built ${m.built}), signed by key ${r.signer.id} (${r.signer.source})\n`,
  );
  for (const p of m.parts) process.stdout.write(`  ${p.name} ${p.sizeBytes} bytes sha256 ${p.sha256}\n`);
  return 0;
}

function makeCommand(args: readonly string[]): number {
  const { values, positionals } = parse(args, { key: { type: "string" }, dir: { type: "string" }, version: { type: "string" }, commit: { type: "string" } });
  const out = onePositional(positionals, "output file");
  if (typeof values.key !== "string") throw new UsageError("make needs --key PRIVATE (the release key, PEM)");
  if (typeof values.dir !== "string") throw new UsageError(`make needs --dir DIR (holding ${SLOT_PARTS.join(", ")})`);
  const dir = values.dir;
  const files = Object.fromEntries(SLOT_PARTS.map((name) => [name, join(dir, name)]));
  const built = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const m = writeBundle(
    out,
    { version: (values.version as string | undefined) ?? TWINBEAT_VERSION, commit: (values.commit as string | undefined) ?? "unknown", built, files },
    readPrivateKey(values.key as string),
  );
  process.stdout.write(`${out}: Twinbeat ${m.version}, signed by key ${m.keyId}, ${m.parts.map((p) => `${p.name} ${p.sizeBytes}`).join(", ")}\n`);
  return 0;
}

function keygenCommand(args: readonly string[]): number {
  const { values, positionals } = parse(args, { label: { type: "string" } });
  const dir = onePositional(positionals, "directory");
  const k = generateKeyPair(dir, (values.label as string | undefined) ?? "Twinbeat update signing key");
  process.stdout.write(`key ${k.id}: private ${k.privatePath} (keep it secret), public ${k.publicPath} (bake it into the image: TWINBEAT_UPDATE_KEY)\n`);
  return 0;
}

function pubkeyCommand(args: readonly string[]): number {
  const { positionals } = parse(args, {});
  if (positionals.length !== 2) throw new UsageError("pubkey needs KEY and OUT");
  const k = readPublicKey(positionals[0]!);
  writeFileSync(positionals[1]!, k.key.export({ type: "spki", format: "pem" }), { mode: 0o644 });
  process.stdout.write(`${k.id}\n`);
  return 0;
}

/** Where the boot script keeps this boot's role (good, trial, fallback, other) and its message, for the status page. */
const SLOT_STATUS_FILE = "/run/twinbeat/slot-status";

const SLOT_OPTIONS = { "boot-dir": { type: "string" as const }, slot: { type: "string" as const } };

function bootDirOf(values: Record<string, unknown>): string {
  return typeof values["boot-dir"] === "string" ? values["boot-dir"] : BOOT_MOUNT;
}

function runningSlot(values: Record<string, unknown>): SlotName {
  let slot = values.slot;
  if (typeof slot !== "string") {
    try {
      slot = readFileSync(RUNNING_SLOT_FILE, "utf8").trim();
    } catch {
      throw new UsageError(`which slot runs is unknown (no ${RUNNING_SLOT_FILE}): give --slot a|b`);
    }
  }
  if (slot !== "a" && slot !== "b") throw new UsageError(`--slot must be a or b, not "${slot as string}"`);
  return slot;
}

function record(bootDir: string): BootSlots {
  const r = readSlots(bootDir);
  if (!r.ok) throw new UsageError(r.problem, 1);
  return r.value;
}

function applyCommand(args: readonly string[]): number {
  const { values, positionals } = parse(args, { ...SLOT_OPTIONS, key: { type: "string", multiple: true } });
  const path = onePositional(positionals, "bundle");
  const r = applyUpdate(path, bootDirOf(values), runningSlot(values), loadTrustedKeys((values.key as string[] | undefined) ?? []));
  if (!r.ok) {
    process.stderr.write(`twinbeat update: ${basename(path)}: ${r.problem}${r.wroteNothing ? " (nothing was written)" : ""}\n`);
    return 1;
  }
  process.stdout.write(`twinbeat update: ${r.message}\n`);
  return 0;
}

function statusCommand(args: readonly string[]): number {
  const { values } = parse(args, SLOT_OPTIONS);
  const s = record(bootDirOf(values));
  let running: string = "?";
  try {
    running = runningSlot(values);
  } catch {
    // not on an appliance (or before the boot script ran): the record alone
  }
  const lines = [`good ${s.good} (${s.versions[s.good]})`, `running ${running}${running !== "?" ? ` (${s.versions[running as SlotName] ?? "?"})` : ""}`];
  if (s.trial) lines.push(`trial ${s.trial.slot} (${s.versions[s.trial.slot]}): ${s.trial.bootsLeft > 0 ? "the next boot tries it" : "being tried now"}`);
  if (s.failed) lines.push(`failed ${s.failed.slot} (${s.failed.version}): its last trial did not prove itself`);
  lines.push(`next boot ${defaultSlot(s)}`);
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

function bootCommand(args: readonly string[]): number {
  const { values } = parse(args, SLOT_OPTIONS);
  const bootDir = bootDirOf(values);
  const before = record(bootDir);
  const d = atBoot(before, runningSlot(values));
  if (d.slots !== before) withWritable(bootDir, () => writeSlots(bootDir, d.slots));
  process.stdout.write(`role ${d.role}\nmessage ${d.message}\n`);
  return 0;
}

function markGoodCommand(args: readonly string[]): number {
  const { values } = parse(args, SLOT_OPTIONS);
  const bootDir = bootDirOf(values);
  const slot = runningSlot(values);
  const before = record(bootDir);
  const after = markGood(before, slot);
  if (after === before) {
    process.stdout.write(`slot ${slot} is not on trial: nothing to do (good: ${before.good})\n`);
    return 0;
  }
  withWritable(bootDir, () => writeSlots(bootDir, after));
  process.stdout.write(`slot ${slot} (${after.versions[slot]}) is good: it is the default from now on\n`);
  return 0;
}

/**
 * Watches the trial every few seconds; healthy: marks the slot good; at the limit: says why and
 * reboots (init's shutdown releases the groups; the boot loaders start the good slot). Started in
 * the background by the boot script only when this boot is a trial.
 */
async function watchTrialCommand(args: readonly string[]): Promise<number> {
  const { values } = parse(args, { ...SLOT_OPTIONS, "limit-s": { type: "string" }, "interval-s": { type: "string" }, "no-reboot": { type: "boolean" } });
  const bootDir = bootDirOf(values);
  const slot = runningSlot(values);
  const limitMs = typeof values["limit-s"] === "string" ? Number(values["limit-s"]) * 1000 : DEFAULT_TRIAL_LIMIT_MS;
  const intervalMs = typeof values["interval-s"] === "string" ? Number(values["interval-s"]) * 1000 : 3000;
  if (!Number.isFinite(limitMs) || limitMs <= 0 || !Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new UsageError("--limit-s and --interval-s need positive numbers");
  const t0 = Date.now();
  let state = startTrialWatch(0, limitMs);
  const opts = defaultOptions();
  for (;;) {
    const answer = await askDaemon(opts, 5000);
    const daemon: TrialObservation["daemon"] =
      answer !== "timeout" && answer.kind === "up"
        ? {
            localStatus: answer.status.localStatus,
            peers: answer.status.nodes.filter((n) => n.type === "normal" && !n.local).map((n) => ({ name: n.name, status: n.status })),
          }
        : null;
    let applianceState = "ok";
    try {
      applianceState = readFileSync("/run/twinbeat/state", "utf8").trim();
    } catch {
      // off the appliance: judge by the daemon alone
    }
    const r = observeTrial(state, { atMs: Date.now() - t0, applianceState, daemon });
    state = r.state;
    if (r.verdict.kind === "good") {
      const after = markGood(record(bootDir), slot);
      withWritable(bootDir, () => writeSlots(bootDir, after));
      const line = `slot ${slot} (${after.versions[slot]}) passed its trial (${r.verdict.reason}): it is the default from now on`;
      writeStatus("good", line);
      process.stdout.write(line + "\n");
      return 0;
    }
    if (r.verdict.kind === "failed") {
      const s = record(bootDir);
      const line = `slot ${slot} failed its trial (${r.verdict.reason}): rebooting into slot ${s.good} (${s.versions[s.good]})`;
      writeStatus("trial-failed", line);
      process.stdout.write(line + "\n");
      if (values["no-reboot"] !== true) execFileSync("reboot");
      return 1;
    }
    await new Promise((res) => setTimeout(res, intervalMs));
  }
}

function writeStatus(role: string, message: string): void {
  try {
    writeFileSync(SLOT_STATUS_FILE, `role ${role}\nmessage ${message}\n`);
  } catch {
    // off the appliance: stdout says it
  }
}

function initSlotsCommand(args: readonly string[]): number {
  const { values, positionals } = parse(args, { version: { type: "string" }, cmdline: { type: "string" } });
  const dir = onePositional(positionals, "directory");
  if (typeof values.version !== "string" || typeof values.cmdline !== "string") throw new UsageError("init-slots needs --version and --cmdline");
  writeSlots(dir, { cmdline: values.cmdline, good: "a", versions: { a: values.version } });
  return 0;
}
