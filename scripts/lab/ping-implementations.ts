// Lists the ping programs the tests can run Twinbeat against (iputils, GNU inetutils, busybox), wherever install-ping-implementations.sh put them.

import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { implementationFromVersionText, PING_IMPLEMENTATIONS, type PingImplementation } from "../../appliance/src/adapters/ping-implementation";

export interface AvailablePing {
  readonly name: PingImplementation;
  /** An absolute path to a program that runs as `ping` (for busybox: a link named ping). */
  readonly path: string;
}

/** Where install-ping-implementations.sh unpacks the implementations that are not the system's. */
export const LAB_PING_DIR = process.env.TWINBEAT_LAB_PING_DIR ?? "/var/lib/twinbeat-lab/ping";

const PACKAGE: Record<PingImplementation, string | undefined> = { iputils: "iputils-ping", inetutils: "inetutils-ping", busybox: undefined };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The ping program an installed Debian package provides, or undefined. */
function fromPackage(pkg: string): string | undefined {
  try {
    const status = execFileSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    if (status.trim() !== "install ok installed") return undefined;
    const files = execFileSync("dpkg-query", ["-L", pkg], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n");
    return files.find((f) => /\/bin\/ping$/.test(f) && executable(f));
  } catch {
    return undefined;
  }
}

/** What `path -V` says it is (busybox answers with its usage text). */
export function identifyPing(path: string): PingImplementation | undefined {
  try {
    const out = execFileSync(path, ["-V"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 3000 });
    return implementationFromVersionText(out);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return implementationFromVersionText(`${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/**
 * Each implementation found on this machine, in a fixed order (iputils, inetutils, busybox):
 * the installed package's ping when the package is installed, else the private copy. Each
 * candidate is run once with -V, so a path that is not what its name says is left out.
 * Looked up once per process.
 */
export function availablePings(): AvailablePing[] {
  cached ??= findPings();
  return [...cached];
}

let cached: AvailablePing[] | undefined;

function findPings(): AvailablePing[] {
  const found: AvailablePing[] = [];
  for (const name of PING_IMPLEMENTATIONS) {
    const pkg = PACKAGE[name];
    const candidates = [pkg ? fromPackage(pkg) : undefined, join(LAB_PING_DIR, name, "bin", "ping")];
    const path = candidates.find((p): p is string => p !== undefined && executable(p) && identifyPing(p) === name);
    if (path) found.push({ name, path });
  }
  return found;
}

/**
 * The ping the labs use when a test names none: iputils if present (wherever it is), else the
 * first implementation found; undefined when there is none. The machine's own `ping` is never
 * assumed to be any particular one.
 */
export function defaultLabPing(): AvailablePing | undefined {
  return availablePings()[0];
}

/** The implementations the e2e tests run against, with a skip reason for each one missing. */
export function pingMatrix(): { name: PingImplementation; path: string | undefined; skip: string | false }[] {
  const have = availablePings();
  return PING_IMPLEMENTATIONS.map((name) => {
    const p = have.find((x) => x.name === name);
    return { name, path: p?.path, skip: p ? false : `no ${name} ping here (bash scripts/lab/install-ping-implementations.sh)` };
  });
}

if (require.main === module) {
  for (const p of availablePings()) process.stdout.write(`${p.name}\t${p.path}\n`);
}
