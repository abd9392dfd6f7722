// Which implementation runs a haresources resource on this machine: built-in, resource.d script, classic name → OCF agent, LSB init script, OCF agent, or none (and which package would provide it).

import * as fs from "node:fs";
import * as path from "node:path";
import type { ResourceSpec } from "../config/cluster-config";
import { isExecutableFile } from "../adapters/is-executable-file";
import { classicResource, OCF_AGENTS_PACKAGE, packageOfResourceScript, type ClassicResource } from "./classic-resources";
import { isOcfResourceName } from "./ocf-agent";
import type { ScriptKind } from "./script-agent";

/** The agents Twinbeat runs in-process for a virtual address. */
const IP_AGENT_NAMES: readonly string[] = ["IPaddr", "IPaddr2", "IPv6addr"];

/** Where resources are looked for: Heartbeat's HA_RESOURCEDIR, INITDIR and OCF_ROOT. */
export interface ResourceDirs {
  /** The configuration directory; scripts are in `<configDir>/resource.d`. */
  readonly configDir: string;
  /** LSB init scripts (`/etc/init.d`). */
  readonly initDir: string;
  /** OCF agents are in `<ocfRoot>/resource.d/<provider>/<type>` (`/usr/lib/ocf`). */
  readonly ocfRoot: string;
}

/** Where a resource's agent comes from. */
export type AgentLocation =
  /** IPaddr, IPaddr2, IPv6addr: Twinbeat adds and removes the address itself. */
  | { readonly kind: "ip" }
  /** `OCF::agent::instance` or `ocf:provider:agent`: resolved by resolveOcfResource. */
  | { readonly kind: "ocf" }
  | { readonly kind: "script"; readonly path: string; readonly scriptKind: ScriptKind }
  /** A classic Heartbeat name run through its OCF agent (no script of that name in resource.d). */
  | { readonly kind: "classic"; readonly classic: ClassicResource; readonly agentPath: string }
  /** Nothing on this machine runs it; `package` is the Debian package that would. */
  | { readonly kind: "missing"; readonly message: string; readonly package?: string };

/**
 * Heartbeat's lookup (ResourceManager's `scriptpath`: `<configDir>/resource.d`, then the init
 * directory), with Twinbeat's own implementations in the places Heartbeat's files had:
 * 1. IPaddr, IPaddr2, IPv6addr (and `ocf:heartbeat:` + those): built in, whatever is on disk;
 * 2. `OCF::…` and `ocf:provider:agent`: the OCF agent;
 * 3. `<configDir>/resource.d/<name>`, an executable regular file: a Heartbeat script (so a
 *    local Filesystem script still wins over the classic mapping, as in Heartbeat);
 * 4. a classic name (Filesystem, MailTo, apache…) whose OCF agent is installed: that agent, in
 *    place of the heartbeat package's resource.d wrapper;
 * 5. `<initDir>/<name>`: an LSB init script;
 * 6. nothing: missing, with the package that provides it when known.
 */
export function locateResource(spec: ResourceSpec, dirs: ResourceDirs): AgentLocation {
  if (isIpAgentName(spec.name)) {
    return { kind: "ip" };
  }
  if (isOcfResourceName(spec.name)) {
    return { kind: "ocf" };
  }
  const resourceDir = path.join(dirs.configDir, "resource.d");
  const plainName = spec.name !== "" && !spec.name.includes("/") && spec.name !== "." && spec.name !== "..";
  const inResourceDir = path.join(resourceDir, spec.name);
  if (plainName && isExecutableFile(inResourceDir)) {
    return { kind: "script", path: inResourceDir, scriptKind: "heartbeat" };
  }
  const classic = classicResource(spec.name);
  const agentPath = path.join(dirs.ocfRoot, "resource.d", "heartbeat", spec.name);
  if (classic !== undefined && isExecutableFile(agentPath)) {
    return { kind: "classic", classic, agentPath };
  }
  const inInitDir = path.join(dirs.initDir, spec.name);
  if (plainName && isExecutableFile(inInitDir)) {
    return { kind: "script", path: inInitDir, scriptKind: "lsb" };
  }
  if (classic !== undefined) {
    return {
      kind: "missing",
      package: OCF_AGENTS_PACKAGE,
      message:
        `Cannot locate the OCF agent ${agentPath} that runs the classic resource ${spec.name} ` +
        `(Debian package ${OCF_AGENTS_PACKAGE}; or put a script named ${spec.name} in ${resourceDir})`,
    };
  }
  const owner = packageOfResourceScript(spec.name);
  const notExecutable = [inResourceDir, inInitDir].find((file) => plainName && fs.existsSync(file));
  return {
    kind: "missing",
    ...(owner !== undefined ? { package: owner } : {}),
    message:
      `Cannot locate resource script ${spec.name} (looked in ${resourceDir} and ${dirs.initDir})` +
      (notExecutable !== undefined ? `: ${notExecutable} is not an executable file` : "") +
      (owner !== undefined ? `; ${spec.name} comes with the Debian package ${owner} (it installs /etc/ha.d/resource.d/${spec.name})` : ""),
  };
}

/** True for a regular file (what Heartbeat's wrappers test with `[ -f ]`). */
export function isRegularFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** True for IPaddr, IPaddr2, IPv6addr and their `ocf:heartbeat:` spellings. */
export function isIpAgentName(name: string): boolean {
  return IP_AGENT_NAMES.includes(name) || (name.startsWith("ocf:heartbeat:") && IP_AGENT_NAMES.includes(name.slice("ocf:heartbeat:".length)));
}
