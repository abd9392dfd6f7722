// `twinbeat export pacemaker`: writes corosync.conf, authkey, the CIB (XML, crm and pcs forms) and a README from /etc/ha.d.

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfigDir } from "../config/load-config-dir";
import { formatDiagnostic } from "../config/format-diagnostic";
import { exportPacemaker } from "../export/pacemaker-export";
import { findingPlace } from "../export/export-readme";
import type { ScriptOrigin } from "../export/pacemaker-model";
import { DEFAULT_OCF_ROOT, findAgentInProviders, parseOcfInstanceFile } from "../resources/ocf-agent";
import { locateResource } from "../resources/resource-locator";
import { defaultOptions, resolveNodeName, takeCommonOptions, UsageError } from "./cli-options";
import { normalizeNodeName, type NodeName } from "../cluster/time";

export const EXPORT_USAGE =
  "usage: twinbeat export pacemaker [--config-dir DIR] [--out DIR] [--node-name NAME] [--address NODE=ADDR[,ADDR…]]… [--cluster-name NAME]";

/** Exit 0 when the files were written (warnings allowed), 1 on an error (nothing written). */
export function exportCommand(args: readonly string[]): number {
  const opts = defaultOptions();
  const rest = takeCommonOptions(args, opts);
  if (rest[0] !== "pacemaker") throw new UsageError(`Unknown export target "${rest[0] ?? ""}" (only "pacemaker")`);
  let outDir = "pacemaker-export";
  let clusterName: string | undefined;
  const addresses = new Map<NodeName, string[]>();
  for (let i = 1; i < rest.length; i++) {
    const a = rest[i]!;
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      const v = eq > 0 ? a.slice(eq + 1) : rest[++i];
      if (v === undefined || v === "") throw new UsageError(`Option ${name} needs a value`);
      return v;
    };
    if (name === "--out") outDir = value();
    else if (name === "--cluster-name") clusterName = value();
    else if (name === "--address") {
      const v = value();
      const at = v.indexOf("=");
      if (at <= 0) throw new UsageError(`--address ${v}: expected NODE=ADDR[,ADDR…]`);
      addresses.set(normalizeNodeName(v.slice(0, at)), v.slice(at + 1).split(","));
    } else throw new UsageError(`Unexpected argument "${a}"`);
  }
  const localNode = resolveNodeName(opts);
  const loaded = loadConfigDir(opts.configDir, { localNode, missingResources: "warning" });
  for (const d of loaded.diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
  if (loaded.config === undefined) {
    process.stderr.write(`${opts.configDir}: not valid, nothing exported\n`);
    return 1;
  }
  const dirs = { configDir: opts.configDir, initDir: "/etc/init.d", ocfRoot: DEFAULT_OCF_ROOT };
  const result = exportPacemaker({
    config: loaded.config,
    addresses,
    scriptOrigin: (spec): ScriptOrigin => {
      const where = locateResource(spec, dirs);
      if (where.kind === "script") return where.scriptKind === "lsb" ? "lsb" : "resource.d";
      return "missing";
    },
    ocfInstance: (type, instance) => {
      const found = findAgentInProviders(DEFAULT_OCF_ROOT, type);
      try {
        const text = fs.readFileSync(path.join(opts.configDir, "conf", "OCF", type, instance), "utf8");
        return { provider: found?.provider ?? "heartbeat", params: parseOcfInstanceFile(text).vars };
      } catch {
        return undefined;
      }
    },
    // IPv4 first: Heartbeat's media are IPv4.
    localInterfaces: new Map(
      Object.entries(os.networkInterfaces()).map(([dev, list]) => [
        dev,
        (list ?? [])
          .filter((i) => !i.internal)
          .sort((a, b) => (a.family === b.family ? 0 : a.family === "IPv4" ? -1 : 1))
          .map((i) => i.address),
      ]),
    ),
    randomKey: crypto.randomBytes(256),
    ...(clusterName !== undefined ? { clusterName } : {}),
  });
  for (const f of result.findings) process.stderr.write(`${findingPlace(f)}: ${f.severity}: ${f.message}\n`);
  if (result.cluster === undefined) {
    process.stderr.write("export: errors above, nothing written\n");
    return 1;
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, content] of result.files) {
    const file = path.join(outDir, name);
    fs.writeFileSync(file, content, { mode: name === "authkey" ? 0o400 : name.endsWith(".sh") ? 0o755 : 0o644 });
    if (name === "authkey") fs.chmodSync(file, 0o400);
  }
  process.stdout.write(`${outDir}: ${[...result.files.keys()].join(", ")} (read README.export.md)\n`);
  return 0;
}
