// What runs each haresources resource on this machine, for `twinbeat check` and the daemon's start-up checks: one line per resource, and a finding for each that nothing here can run.

import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { ConfigDiagnostic, ResourceGroup, ResourceSpec, SourceLocation } from "../config/cluster-config";
import { builtinAgentSpelledLike } from "../config/builtin-agents";
import { configError, configWarning } from "../config/format-diagnostic";
import { looksLikeBareIpv6, parseHaresources } from "../config/haresources-parser";
import { CLASSIC_RESOURCE_NAMES } from "./classic-resources";
import { resolveOcfResource } from "./ocf-agent";
import type { AgentContext } from "./resource-agent";
import { describeOutcome } from "./resource-agent";
import { isRegularFile, locateResource, type ResourceDirs } from "./resource-locator";

/** How one resource will be run here, or why it cannot be. */
export interface ResourceImplementation {
  readonly at: SourceLocation;
  readonly spec: ResourceSpec;
  /** True when something on this machine runs it. */
  readonly found: boolean;
  /**
   * found: the implementation (`built-in IP address agent`, `classic name Filesystem → OCF
   * agent /usr/lib/ocf/resource.d/heartbeat/Filesystem (…)`, `resource.d script …`, `LSB init
   * script …`, `OCF agent …`); otherwise what is missing and which package has it.
   */
  readonly text: string;
}

/**
 * Looks up every resource of every group the way the daemon's agent registry will
 * (locateResource, and for OCF names resolveOcfResource), without running anything.
 */
export function resourceImplementations(groups: readonly ResourceGroup[], dirs: ResourceDirs): ResourceImplementation[] {
  const out: ResourceImplementation[] = [];
  for (const group of groups) {
    for (const spec of group.resources) {
      out.push({ at: group.at, spec, ...implementationOf(spec, dirs) });
    }
  }
  return out;
}

function implementationOf(spec: ResourceSpec, dirs: ResourceDirs): { found: boolean; text: string } {
  const location = locateResource(spec, dirs);
  switch (location.kind) {
    case "ip":
      return { found: true, text: "built-in IP address agent (Twinbeat adds and removes the address itself)" };
    case "script":
      return { found: true, text: `${location.scriptKind === "heartbeat" ? "resource.d script" : "LSB init script"} ${location.path}` };
    case "classic": {
      const mapping = location.classic.map(spec.args, { isFile: isRegularFile });
      if (!mapping.ok) {
        return { found: false, text: `resource "${spec.raw}": ${mapping.message}` };
      }
      const params = mapping.params.map(([k, v]) => `${k.replace(/^OCF_RESKEY_/, "")}=${v}`).join(" ");
      return {
        found: true,
        text: `classic name ${spec.name} → OCF agent ${location.agentPath} (instance ${mapping.instance}${params === "" ? "" : `, ${params}`})`,
      };
    }
    case "ocf": {
      const warnings: string[] = [];
      const context: AgentContext = {
        configDir: dirs.configDir,
        initDir: dirs.initDir,
        timeoutMs: 0,
        env: { OCF_ROOT: dirs.ocfRoot },
        log: (_l, text) => warnings.push(text),
      };
      const resolved = resolveOcfResource(spec, context);
      if (!resolved.ok) {
        return { found: false, text: describeOutcome(resolved.failure) };
      }
      return { found: true, text: `OCF agent ${resolved.options.agentPath} (instance ${resolved.options.instance})${warnings.map((w) => `; ${w}`).join("")}` };
    }
    case "missing":
      return { found: false, text: location.message };
  }
}

/** Whether a resource nothing can run is an error (`twinbeat check`) or a warning (the daemon starts anyway, like Heartbeat). */
export type MissingResourceSeverity = "error" | "warning";

/**
 * One finding per resource nothing on this machine can run (once per name and line). A plain
 * script keeps the wording Heartbeat users know (`cannot locate resource script "x" in …`),
 * with a hint for a built-in or classic name in the wrong case or a bare IPv6 address.
 */
export function missingResourceFindings(groups: readonly ResourceGroup[], dirs: ResourceDirs, severity: MissingResourceSeverity): ConfigDiagnostic[] {
  const finding = severity === "error" ? configError : configWarning;
  const resourceDir = path.join(dirs.configDir, "resource.d");
  const diagnostics: ConfigDiagnostic[] = [];
  const seen = new Set<string>();
  for (const impl of resourceImplementations(groups, dirs)) {
    const key = `${impl.at.file}:${impl.at.line}:${impl.spec.raw}`;
    if (impl.found || seen.has(key)) {
      continue;
    }
    seen.add(key);
    const location = locateResource(impl.spec, dirs);
    if (location.kind !== "missing" || location.package !== undefined) {
      diagnostics.push(finding(impl.at, impl.text));
      continue;
    }
    const name = impl.spec.name;
    let hint = "";
    const notExecutable = [resourceDir, dirs.initDir].map((dir) => path.join(dir, name)).find((file) => fs.existsSync(file));
    if (notExecutable !== undefined) {
      hint = `: ${notExecutable} is not an executable file`;
    }
    const builtin = builtinAgentSpelledLike(name) ?? CLASSIC_RESOURCE_NAMES.find((c) => c.toLowerCase() === name.toLowerCase() && c !== name);
    if (builtin !== undefined) {
      hint += `: did you mean "${builtin}"? (names are case-sensitive)`;
    } else if (looksLikeBareIpv6(impl.spec.raw) || net.isIPv6(impl.spec.raw.split("/")[0] ?? "")) {
      hint += ` (for an IPv6 address write IPv6addr::${impl.spec.raw})`;
    }
    diagnostics.push(finding(impl.at, `cannot locate resource script "${name}" in ${resourceDir} or ${dirs.initDir}${hint}`));
  }
  return diagnostics;
}

/**
 * `twinbeat check`'s report of what runs each resource: `haresources:LINE: note: RAW: TEXT`
 * for every resource something here runs (those nothing runs are findings instead). Reads
 * and parses `<configDir>/haresources` itself, so that the report exists even when other
 * files have errors; empty when haresources cannot be read.
 */
export function resourceReport(dirs: ResourceDirs): string[] {
  const file = path.join(dirs.configDir, "haresources");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const { groups } = parseHaresources(text, file, undefined);
  return resourceImplementations(groups, dirs)
    .filter((impl) => impl.found)
    .map((impl) => `${impl.at.file}:${impl.at.line}: note: ${impl.spec.raw}: ${impl.text}`);
}
