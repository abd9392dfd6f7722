// `twinbeat update verify|make|keygen …`: checks, makes and signs update bundles (appliance and release side).

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { basename, join } from "node:path";
import { verifyBundle } from "../update/bundle-reader";
import { writeBundle } from "../update/bundle-writer";
import { SLOT_PARTS } from "../update/bundle-format";
import { generateKeyPair, loadTrustedKeys, readPrivateKey, readPublicKey, TRUSTED_KEYS_DIR } from "../update/update-keys";
import { UsageError } from "./cli-options";
import { TWINBEAT_VERSION } from "./version";

export const UPDATE_USAGE = `usage: twinbeat update <sub-command> …
  verify BUNDLE [--key PUB]...   check the signature and every part; writes nothing (exit 0 = good)
  make OUT --key PRIVATE --dir DIR [--version V] [--commit C]
                                 bundle DIR/{${SLOT_PARTS.join(",")}} signed with PRIVATE (PEM, Ed25519)
  keygen DIR [--label TEXT]      make a key pair: DIR/update-key.pem (private), DIR/update-key.pub
  pubkey KEY OUT                 write the public half of KEY (private or public PEM) to OUT; print its id
Trusted keys: --key files, else every *.pem/*.pub in ${TRUSTED_KEYS_DIR} (baked into the image).`;

function parse(args: readonly string[], options: Record<string, { type: "string"; multiple?: boolean }>) {
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

export function updateCommand(args: readonly string[]): number {
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
  process.stdout.write(`${basename(path)}: good: Twinbeat ${m.version} (commit ${m.commit}, built ${m.built}), signed by key ${r.signer.id} (${r.signer.source})\n`);
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
