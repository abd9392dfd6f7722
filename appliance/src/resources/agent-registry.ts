// Finds the agent for each haresources resource (built-ins, resource.d, classic names as OCF agents, the init directory); also builds the scripts' HA_* environment.

import * as path from "node:path";
import type { ResourceSpec } from "../config/cluster-config";
import { findTool as defaultFindTool, type AddressAnnouncerOptions } from "./address-announcer";
import { IpAddressAgent } from "./ip-address-agent";
import { DEFAULT_OCF_ROOT, OcfAgent, resolveOcfResource } from "./ocf-agent";
import type { AgentContext, AgentFailure, AgentOutcome, AgentStatus, ResourceAgent } from "./resource-agent";
import { describeOutcome } from "./resource-agent";
import { ScriptAgent } from "./script-agent";
import type { ClassicResource } from "./classic-resources";
import { isRegularFile, locateResource, type AgentLocation } from "./resource-locator";

export type { AgentLocation } from "./resource-locator";

export interface AgentRegistryOptions {
  /** Finds tools (`ip`, `arping`, `send_ua`) for the IP agents. */
  readonly findTool?: (name: string) => string | undefined;
  /** Announcement bursts of the IP agents. */
  readonly announce?: Pick<AddressAnnouncerOptions, "count" | "intervalMs" | "repeatDelayMs">;
}

/**
 * Resource name → agent, in the order of {@link locateResource}:
 * 1. IPaddr, IPaddr2, IPv6addr (and `ocf:heartbeat:` + those) → {@link IpAddressAgent};
 * 2. `OCF::…` and `ocf:provider:agent` → {@link OcfAgent};
 * 3. `<configDir>/resource.d/<name>` → {@link ScriptAgent} (Heartbeat class);
 * 4. a classic name (Filesystem, MailTo, apache…) → its OCF agent with the arguments mapped
 *    as the heartbeat package's wrapper maps them (classic-resources.ts);
 * 5. `<initDir>/<name>` → {@link ScriptAgent} (LSB);
 * 6. otherwise an agent whose every operation says what is missing and which package has it.
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

  /** Where the agent for `spec` would come from (for `twinbeat check` and logs); see {@link locateResource}. */
  locate(spec: ResourceSpec): AgentLocation {
    return locateResource(spec, { configDir: this.#context.configDir, initDir: this.#context.initDir, ocfRoot: this.#ocfRoot() });
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
      case "classic":
        return this.#classic(spec, location.classic, location.agentPath);
      case "missing":
        return new UnavailableAgent(spec, spec.raw, { kind: "not-found", message: location.message }, context);
    }
  }

  /** A classic name (Filesystem::/dev/sdb1::/data…) run as its OCF agent, arguments mapped as Heartbeat's wrapper maps them. */
  #classic(spec: ResourceSpec, classic: ClassicResource, agentPath: string): ResourceAgent {
    const mapping = classic.map(spec.args, { isFile: isRegularFile });
    if (!mapping.ok) {
      return new UnavailableAgent(spec, spec.raw, { kind: "failed", exitCode: 2, output: `resource "${spec.raw}": ${mapping.message}` }, this.#context);
    }
    return new OcfAgent({
      spec,
      agentPath,
      ocfRoot: this.#ocfRoot(),
      provider: "heartbeat",
      type: classic.name,
      instance: mapping.instance,
      params: mapping.params,
      context: this.#context,
    });
  }

  #ocfRoot(): string {
    return this.#context.env.OCF_ROOT ?? DEFAULT_OCF_ROOT;
  }
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
