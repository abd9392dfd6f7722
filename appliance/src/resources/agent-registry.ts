// Finds the agent for each haresources resource: built-ins first, then resource.d, then the init directory; also builds the scripts' HA_* environment.

import * as path from "node:path";
import type { ResourceSpec } from "../config/cluster-config";
import { findTool as defaultFindTool, type AddressAnnouncerOptions } from "./address-announcer";
import { IpAddressAgent } from "./ip-address-agent";
import { DEFAULT_OCF_ROOT, findAgentInProviders, isOcfResourceName, OcfAgent, resolveOcfResource } from "./ocf-agent";
import type { AgentContext, AgentFailure, AgentOutcome, AgentStatus, ResourceAgent } from "./resource-agent";
import { describeOutcome } from "./resource-agent";
import { ScriptAgent, type ScriptKind } from "./script-agent";
import { isExecutableFile } from "../adapters/is-executable-file";

/** The agents Twinbeat runs in-process for a virtual address. */
const IP_AGENT_NAMES: readonly string[] = ["IPaddr", "IPaddr2", "IPv6addr"];

/**
 * Heartbeat's resource.d wrappers that only hand their positional arguments to the OCF agent
 * of the same name (spec §2.3; DEB /etc/ha.d/resource.d/*). Used only when no script of that
 * name exists on disk, so a machine without the heartbeat package still runs
 * `Filesystem::/dev/sdb1::/data::ext4` through `<OCF_ROOT>/resource.d/heartbeat/Filesystem`.
 * Each entry: OCF parameter per position, and which position names the instance (-1: none).
 */
const WRAPPED_OCF_AGENTS: Readonly<Record<string, { readonly params: readonly string[]; readonly instanceFrom: number }>> = {
  Filesystem: { params: ["device", "directory", "fstype", "options"], instanceFrom: 0 },
  MailTo: { params: ["email", "subject"], instanceFrom: -1 },
  Delay: { params: ["startdelay", "stopdelay"], instanceFrom: 0 },
  apache: { params: ["configfile"], instanceFrom: 0 },
  IPsrcaddr: { params: ["ipaddress"], instanceFrom: -1 },
  LVM: { params: ["volgrpname"], instanceFrom: -1 },
  Xinetd: { params: ["service"], instanceFrom: -1 },
  Raid1: { params: ["raidconf", "raiddev"], instanceFrom: 0 },
};

/** Where a resource's agent comes from. */
export type AgentLocation =
  | { readonly kind: "ip" }
  | { readonly kind: "ocf" }
  | { readonly kind: "script"; readonly path: string; readonly scriptKind: ScriptKind }
  | { readonly kind: "wrapped-ocf"; readonly agentPath: string }
  | { readonly kind: "missing"; readonly message: string };

export interface AgentRegistryOptions {
  /** Finds tools (`ip`, `arping`, `send_ua`) for the IP agents. */
  readonly findTool?: (name: string) => string | undefined;
  /** Announcement bursts of the IP agents. */
  readonly announce?: Pick<AddressAnnouncerOptions, "count" | "intervalMs" | "repeatDelayMs">;
}

/**
 * Resource name → agent, in Heartbeat's lookup order with Twinbeat's built-ins in front:
 * 1. IPaddr, IPaddr2, IPv6addr (and `ocf:heartbeat:` + those) → {@link IpAddressAgent};
 * 2. `OCF::…` and `ocf:provider:agent` → {@link OcfAgent};
 * 3. `<configDir>/resource.d/<name>`, then `<initDir>/<name>`, an executable regular file
 *    → {@link ScriptAgent};
 * 4. a Heartbeat wrapper name (Filesystem, MailTo…) with no script on disk → the OCF agent;
 * 5. otherwise an agent whose every operation reports "Cannot locate resource script".
 * Agents are kept per resource token, so the agent that started an address is the one that
 * stops it (and cancels its pending announcements).
 */
export class AgentRegistry {
  readonly #context: AgentContext;
  readonly #options: AgentRegistryOptions;
  readonly #agents = new Map<string, ResourceAgent>();

  constructor(context: AgentContext, options: AgentRegistryOptions = {}) {
    this.#context = context;
    this.#options = options;
  }

  /** The agent for a resource; missing scripts are looked up again on the next call. */
  agentFor(spec: ResourceSpec): ResourceAgent {
    const cached = this.#agents.get(spec.raw);
    if (cached !== undefined) {
      return cached;
    }
    const agent = this.#create(spec);
    if (!(agent instanceof UnavailableAgent)) {
      this.#agents.set(spec.raw, agent);
    }
    return agent;
  }

  /** Where the agent for `spec` would come from (for `twinbeat check` and logs). */
  locate(spec: ResourceSpec): AgentLocation {
    if (isIpAgentName(spec.name)) {
      return { kind: "ip" };
    }
    if (isOcfResourceName(spec.name)) {
      return { kind: "ocf" };
    }
    const resourceDir = path.join(this.#context.configDir, "resource.d");
    for (const [dir, scriptKind] of [
      [resourceDir, "heartbeat"],
      [this.#context.initDir, "lsb"],
    ] as const) {
      const candidate = path.join(dir, spec.name);
      if (!spec.name.includes("/") && isExecutableFile(candidate)) {
        return { kind: "script", path: candidate, scriptKind };
      }
    }
    if (WRAPPED_OCF_AGENTS[spec.name] !== undefined) {
      const found = findAgentInProviders(this.#ocfRoot(), spec.name);
      if (found !== undefined && found.provider === "heartbeat") {
        return { kind: "wrapped-ocf", agentPath: found.agentPath };
      }
    }
    return { kind: "missing", message: `Cannot locate resource script ${spec.name} (looked in ${resourceDir} and ${this.#context.initDir})` };
  }

  #create(spec: ResourceSpec): ResourceAgent {
    const location = this.locate(spec);
    const context = this.#context;
    switch (location.kind) {
      case "ip":
        return new IpAddressAgent({
          spec,
          context,
          findTool: this.#options.findTool ?? ((name) => defaultFindTool(name)),
          ...(this.#options.announce ? { announce: this.#options.announce } : {}),
        });
      case "ocf": {
        const resolved = resolveOcfResource(spec, context);
        return resolved.ok ? new OcfAgent(resolved.options) : new UnavailableAgent(spec, spec.raw, resolved.failure, context);
      }
      case "script":
        return new ScriptAgent({ spec, path: location.path, kind: location.scriptKind, context });
      case "wrapped-ocf":
        return this.#wrappedOcf(spec, location.agentPath);
      case "missing":
        return new UnavailableAgent(spec, spec.raw, { kind: "not-found", message: location.message }, context);
    }
  }

  #wrappedOcf(spec: ResourceSpec, agentPath: string): ResourceAgent {
    const wrapper = WRAPPED_OCF_AGENTS[spec.name]!;
    if (spec.args.length > wrapper.params.length) {
      const usage = `${spec.name}::${wrapper.params.map((p) => p.toUpperCase()).join("::")}`;
      return new UnavailableAgent(spec, spec.raw, { kind: "failed", exitCode: 2, output: `resource "${spec.raw}": too many arguments: expected ${usage}` }, this.#context);
    }
    const params = spec.args.map((value, i) => [`OCF_RESKEY_${wrapper.params[i]!}`, value] as const);
    const named = wrapper.instanceFrom >= 0 ? spec.args[wrapper.instanceFrom] : undefined;
    return new OcfAgent({
      spec,
      agentPath,
      ocfRoot: this.#ocfRoot(),
      provider: "heartbeat",
      type: spec.name,
      instance: named === undefined ? spec.name : `${spec.name}_${named}`,
      params,
      context: this.#context,
    });
  }

  #ocfRoot(): string {
    return this.#context.env.OCF_ROOT ?? DEFAULT_OCF_ROOT;
  }
}

function isIpAgentName(name: string): boolean {
  return IP_AGENT_NAMES.includes(name) || (name.startsWith("ocf:heartbeat:") && IP_AGENT_NAMES.includes(name.slice("ocf:heartbeat:".length)));
}

/**
 * A resource that cannot be run (no script, bad OCF arguments): start and stop report the
 * reason, status is unknown. Loud, never silently "stopped": a group holding one cannot
 * start, and releasing it fails so the operator hears about it.
 */
export class UnavailableAgent implements ResourceAgent {
  readonly spec: ResourceSpec;
  readonly commandLine: string;
  readonly failure: AgentFailure;
  readonly #context: AgentContext;

  constructor(spec: ResourceSpec, commandLine: string, failure: AgentFailure, context: AgentContext) {
    this.spec = spec;
    this.commandLine = commandLine;
    this.failure = failure;
    this.#context = context;
  }

  start(): Promise<AgentOutcome> {
    return this.#report("start");
  }

  stop(): Promise<AgentOutcome> {
    return this.#report("stop");
  }

  status(): Promise<AgentStatus> {
    return Promise.resolve({ kind: "unknown", words: describeOutcome(this.failure) });
  }

  #report(op: string): Promise<AgentOutcome> {
    this.#context.log("error", `Cannot ${op} ${this.spec.raw}: ${describeOutcome(this.failure)}`);
    return Promise.resolve(this.failure);
  }
}

/** What the daemon knows when it builds the scripts' environment. */
export interface ResourceEnvironmentOptions {
  /** This node's name (`uname -n` or --node-name), lower-case: HA_CURHOST. */
  readonly localNode: string;
  /** The configuration directory: HA_DIR, and HA_FUNCS=<configDir>/shellfuncs. */
  readonly configDir: string;
  readonly logfile?: string;
  readonly debugfile?: string;
  readonly logfacility?: string;
  readonly debugLevel?: number;
  readonly useLogd?: boolean;
  /** Default /usr/lib/ocf. */
  readonly ocfRoot?: string;
}

/**
 * The process-wide variables Heartbeat gives every resource script (spec §4.9). Message
 * fields (HA_t, HA_src…) belong to rc.d scripts, which are not run from here.
 */
export function resourceEnvironment(options: ResourceEnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = {
    HA_CURHOST: options.localNode,
    HA_DIR: options.configDir,
    HA_FUNCS: path.join(options.configDir, "shellfuncs"),
    HA_RESOURCEDIR: path.join(options.configDir, "resource.d"),
    HA_DATEFMT: "%Y/%m/%d_%T ",
    HA_LOGD: options.useLogd ? "yes" : "no",
    HA_debug: String(options.debugLevel ?? 0),
    OCF_ROOT: options.ocfRoot ?? DEFAULT_OCF_ROOT,
  };
  if (options.logfile !== undefined) {
    env.HA_LOGFILE = options.logfile;
  }
  if (options.debugfile !== undefined) {
    env.HA_DEBUGLOG = options.debugfile;
  }
  if (options.logfacility !== undefined && options.logfacility !== "none") {
    env.HA_LOGFACILITY = options.logfacility;
  }
  return env;
}

