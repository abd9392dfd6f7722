// The resource agents and respawn programs Twinbeat implements itself, so no script file is needed.

import * as path from "node:path";

/**
 * Virtual-address agents, in their haresources spelling. Twinbeat adds and removes the
 * address itself, so `<config-dir>/resource.d/IPaddr` need not exist. Their single argument
 * is `ip[/prefix[/nic[/broadcast]]]` (spec §2.3).
 */
export const BUILTIN_IP_AGENTS: readonly string[] = ["IPaddr", "IPaddr2", "IPv6addr"];

/**
 * The generic OCF wrapper, `OCF::<agent>::<instance>` (spec §2.3): Twinbeat runs the OCF
 * agent itself instead of Heartbeat's `resource.d/OCF` shell wrapper.
 */
export const OCF_WRAPPER_AGENT = "OCF";

/** `ocf:heartbeat:<agent>`: an OCF agent named the Pacemaker way. */
const OCF_CLASS_NAME = /^ocf:heartbeat:[A-Za-z0-9_.+-]+$/;

/** What kind of built-in agent a resource name denotes, if any. */
export type BuiltinAgentKind = "ip" | "ocf";

/** The kind of built-in agent `name` is, or undefined for a script looked up on disk. */
export function builtinAgentKind(name: string): BuiltinAgentKind | undefined {
  if (BUILTIN_IP_AGENTS.includes(name)) {
    return "ip";
  }
  if (OCF_CLASS_NAME.test(name)) {
    const agent = name.slice("ocf:heartbeat:".length);
    return BUILTIN_IP_AGENTS.includes(agent) ? "ip" : "ocf";
  }
  if (name === OCF_WRAPPER_AGENT) {
    return "ocf";
  }
  return undefined;
}

/** True when Twinbeat runs the agent `name` itself (no resource script lookup). */
export function isBuiltinAgent(name: string): boolean {
  return builtinAgentKind(name) !== undefined;
}

/** True for the virtual-address agents (IPaddr, IPaddr2, IPv6addr, and their `ocf:heartbeat:` names). */
export function isIpAgent(name: string): boolean {
  return builtinAgentKind(name) === "ip";
}

/**
 * The built-in agent whose name differs from `name` only in letter case (`ipaddr2` →
 * `IPaddr2`), for a "did you mean" hint; script names are case-sensitive.
 */
export function builtinAgentSpelledLike(name: string): string | undefined {
  const lower = name.toLowerCase();
  return [...BUILTIN_IP_AGENTS, OCF_WRAPPER_AGENT].find((agent) => agent.toLowerCase() === lower && agent !== name);
}

/**
 * True when a `respawn` program is Twinbeat's built-in ipfail: any path whose last
 * component is `ipfail` (`/usr/lib/heartbeat/ipfail`, `/usr/libexec/heartbeat/ipfail`…).
 * It is never looked up on disk.
 */
export function isBuiltinIpfail(command: string): boolean {
  return path.posix.basename(command) === "ipfail";
}
