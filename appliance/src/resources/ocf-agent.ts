// OCF resource agents: Heartbeat's `OCF::agent::instance` and the `ocf:provider:agent::key=value` form, run as start / stop / monitor.

import * as fs from "node:fs";
import * as path from "node:path";
import type { ResourceSpec } from "../config/cluster-config";
import type { AgentContext, AgentFailure, AgentOutcome, AgentStatus, ResourceAgent } from "./resource-agent";
import { OCF_EXIT, outcomeFromProcess, statusFromOcfExit } from "./resource-agent";
import { logOperationResult, runAgentProgram } from "./script-agent";
import { isExecutableFile } from "../adapters/is-executable-file";

/** Where OCF agents live unless the environment's OCF_ROOT says otherwise. */
export const DEFAULT_OCF_ROOT = "/usr/lib/ocf";

/** The OCF agent to run and the environment that describes the instance. */
export interface OcfAgentOptions {
  readonly spec: ResourceSpec;
  /** The agent executable: `<OCF_ROOT>/resource.d/<provider>/<type>`. */
  readonly agentPath: string;
  readonly ocfRoot: string;
  readonly provider: string;
  readonly type: string;
  /** OCF_RESOURCE_INSTANCE: names the agent's state files, so it must be stable per resource. */
  readonly instance: string;
  /** OCF_RESKEY_* and any other variables for the agent, in the order they were given. */
  readonly params: ReadonlyArray<readonly [string, string]>;
  readonly context: AgentContext;
}

/** What {@link resolveOcfResource} found: an agent to build, or why none can be. */
export type OcfResolution = { readonly ok: true; readonly options: OcfAgentOptions } | { readonly ok: false; readonly failure: AgentFailure };

/** `ocf:<provider>:<type>`, the Pacemaker spelling of an agent. */
const OCF_CLASS_NAME = /^ocf:([A-Za-z0-9_.+-]+):([A-Za-z0-9_.+-]+)$/;
/** A shell variable name (what an instance file or a `key=value` argument may set). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** An agent type or instance name: it becomes a file name. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+@-]*$/;
/** An OCF parameter name written without its OCF_RESKEY_ prefix. */
const BARE_PARAM_NAME = /^[a-z][A-Za-z0-9_]*$/;

/** True for a resource name this module runs: `OCF` or `ocf:<provider>:<type>`. */
export function isOcfResourceName(name: string): boolean {
  return name === "OCF" || OCF_CLASS_NAME.test(name);
}

/**
 * Works out which OCF agent a resource names and with which parameters. Two haresources forms:
 *
 * 1. Heartbeat's `OCF::<type>::<instance>` (spec §2.3). The agent is the first
 *    `<OCF_ROOT>/resource.d/<provider>/<type>` in provider-name order (what Heartbeat's
 *    wrapper meant to find). Parameters come from `<configDir>/conf/OCF/<type>/<instance>`,
 *    `NAME=value` lines that Heartbeat sources and exports as written, so they normally say
 *    `OCF_RESKEY_device=/dev/sdb1`; Twinbeat also accepts a bare lower-case `device=/dev/sdb1`
 *    as OCF_RESKEY_device. OCF_RESOURCE_INSTANCE is `<instance>`.
 *
 * 2. Twinbeat's (Pacemaker-style) `ocf:<provider>:<type>[::key=value[::key=value…]]`, e.g.
 *    `ocf:heartbeat:Dummy::state=/run/dummy.state`. Each argument must be `key=value`:
 *    a key starting with `OCF_` is passed as that variable verbatim (so
 *    `OCF_RESOURCE_INSTANCE=web` names the instance); any other key `k` becomes
 *    `OCF_RESKEY_k`. The value is everything after the first `=` and may hold `=`, `/` and
 *    single `:` but, being part of a haresources word, no blanks and no `::`.
 *    OCF_RESOURCE_INSTANCE defaults to `<type>_<first value>` (or `<type>` without
 *    arguments), like Heartbeat's resource.d wrappers name theirs (`Filesystem_/dev/sdb1`).
 */
export function resolveOcfResource(spec: ResourceSpec, context: AgentContext): OcfResolution {
  const ocfRoot = context.env.OCF_ROOT ?? DEFAULT_OCF_ROOT;
  if (spec.name === "OCF") {
    return resolveHeartbeatForm(spec, context, ocfRoot);
  }
  const match = OCF_CLASS_NAME.exec(spec.name);
  if (match === null) {
    return notFound(`"${spec.name}" is not an OCF agent name: expected OCF::AGENT::INSTANCE or ocf:PROVIDER:AGENT`);
  }
  const provider = match[1]!;
  const type = match[2]!;
  const params: Array<readonly [string, string]> = [];
  let instance: string | undefined;
  for (const arg of spec.args) {
    const eq = arg.indexOf("=");
    const key = eq < 0 ? "" : arg.slice(0, eq);
    if (!VARIABLE_NAME.test(key)) {
      return badArgs(`resource "${spec.raw}": argument "${arg}" is not KEY=VALUE (OCF agents take named parameters, e.g. ${spec.name}::state=/run/x)`);
    }
    const value = arg.slice(eq + 1);
    if (key === "OCF_RESOURCE_INSTANCE") {
      instance = value;
    } else {
      params.push([key.startsWith("OCF_") ? key : `OCF_RESKEY_${key}`, value]);
    }
  }
  const agentPath = path.join(ocfRoot, "resource.d", provider, type);
  if (!isExecutableFile(agentPath)) {
    return notFound(`Cannot locate OCF resource agent ${agentPath} (is the Debian package resource-agents installed?)`);
  }
  const firstValue = spec.args
    .find((a) => !a.startsWith("OCF_"))
    ?.split("=")
    .slice(1)
    .join("=");
  instance ??= firstValue === undefined ? type : `${type}_${firstValue}`;
  return { ok: true, options: { spec, agentPath, ocfRoot, provider, type, instance, params, context } };
}

function resolveHeartbeatForm(spec: ResourceSpec, context: AgentContext, ocfRoot: string): OcfResolution {
  const [type, instance, ...extra] = spec.args;
  if (type === undefined || instance === undefined || extra.length > 0) {
    return badArgs(`resource "${spec.raw}": expected OCF::AGENT::INSTANCE`);
  }
  if (!SAFE_NAME.test(type) || !SAFE_NAME.test(instance)) {
    return badArgs(`resource "${spec.raw}": "${type}" or "${instance}" is not a valid agent or instance name`);
  }
  const found = findAgentInProviders(ocfRoot, type);
  if (found === undefined) {
    return notFound(`Cannot locate OCF resource agent "${type}" in ${path.join(ocfRoot, "resource.d")}/*/ (is the Debian package resource-agents installed?)`);
  }
  const instanceFile = path.join(context.configDir, "conf", "OCF", type, instance);
  let text: string;
  try {
    text = fs.readFileSync(instanceFile, "utf8");
  } catch {
    return notFound(`Cannot read OCF instance file ${instanceFile} (it holds the NAME=value parameters of ${type} instance "${instance}")`);
  }
  const parsed = parseOcfInstanceFile(text);
  for (const line of parsed.ignored) {
    context.log("warn", `${instanceFile}: ignoring a line that is not NAME=value: ${line}`);
  }
  const params: Array<readonly [string, string]> = [];
  for (const [name, value] of parsed.vars) {
    params.push([name, value]);
    if (BARE_PARAM_NAME.test(name)) {
      params.push([`OCF_RESKEY_${name}`, value]);
    }
  }
  return {
    ok: true,
    options: { spec, agentPath: found.agentPath, ocfRoot, provider: found.provider, type, instance, params, context },
  };
}

/** The first `<ocfRoot>/resource.d/<provider>/<type>` that is an executable file, providers in name order. */
export function findAgentInProviders(ocfRoot: string, type: string): { readonly provider: string; readonly agentPath: string } | undefined {
  const base = path.join(ocfRoot, "resource.d");
  let providers: string[];
  try {
    providers = fs.readdirSync(base).sort();
  } catch {
    return undefined;
  }
  for (const provider of providers) {
    const agentPath = path.join(base, provider, type);
    if (isExecutableFile(agentPath)) {
      return { provider, agentPath };
    }
  }
  return undefined;
}

/**
 * Reads a Heartbeat OCF instance file the way its wrapper sources it, without a shell:
 * `#` to the end of the line is dropped (even inside quotes, as the wrapper's sed does),
 * blank lines are skipped, `NAME=value` (optionally after `export `) sets a variable, and one
 * pair of surrounding single or double quotes is removed from the value. Anything else
 * (shell code) is returned in `ignored`.
 */
export function parseOcfInstanceFile(text: string): { readonly vars: ReadonlyArray<readonly [string, string]>; readonly ignored: readonly string[] } {
  const vars: Array<readonly [string, string]> = [];
  const ignored: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") {
      continue;
    }
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match === null) {
      ignored.push(line);
      continue;
    }
    let value = match[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted !== null) {
      value = quoted[2]!;
    }
    vars.push([match[1]!, value]);
  }
  return { vars, ignored };
}

/** An OCF agent instance: start, stop, and status as OCF `monitor` (0 running, 7 stopped). */
export class OcfAgent implements ResourceAgent {
  readonly spec: ResourceSpec;
  readonly agentPath: string;
  readonly instance: string;
  readonly #options: OcfAgentOptions;

  constructor(options: OcfAgentOptions) {
    this.spec = options.spec;
    this.agentPath = options.agentPath;
    this.instance = options.instance;
    this.#options = options;
  }

  /** The run written like a shell command: the instance's variables, then the agent. */
  get commandLine(): string {
    const assignments = [`OCF_RESOURCE_INSTANCE=${this.instance}`, ...this.#options.params.map(([k, v]) => `${k}=${v}`)];
    return `${assignments.join(" ")} ${this.agentPath}`;
  }

  start(): Promise<AgentOutcome> {
    return this.#operate("start");
  }

  stop(): Promise<AgentOutcome> {
    return this.#operate("stop");
  }

  async status(): Promise<AgentStatus> {
    const result = await this.#run("monitor", "debug");
    switch (result.kind) {
      case "exited":
        return statusFromOcfExit(result.exitCode, result.output);
      case "timed-out":
        return { kind: "unknown", words: `monitor timed out after ${result.afterMs} ms` };
      case "aborted":
        return { kind: "unknown", words: "monitor was aborted" };
      case "spawn-failed":
        return { kind: "unknown", words: result.message };
    }
  }

  /** The environment an OCF agent expects (OCF resource-agent API, "Environment variables"). */
  environment(op: "start" | "stop" | "monitor"): Record<string, string> {
    const o = this.#options;
    const env: Record<string, string> = {
      OCF_ROOT: o.ocfRoot,
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "0",
      OCF_RESOURCE_TYPE: o.type,
      OCF_RESOURCE_PROVIDER: o.provider,
      OCF_RESOURCE_INSTANCE: o.instance,
      // Heartbeat's OCF wrapper also names the instance this way.
      OCF_RES_NAME: o.instance,
      OCF_RESKEY_CRM_meta_timeout: String(o.context.timeoutMs),
    };
    if (op === "monitor") {
      env.OCF_RESKEY_CRM_meta_interval = "0";
    }
    for (const [key, value] of o.params) {
      env[key] = value;
    }
    return env;
  }

  async #operate(op: "start" | "stop"): Promise<AgentOutcome> {
    const context = this.#options.context;
    const commandLine = `${this.commandLine} ${op}`;
    context.log("info", `Running ${commandLine}`);
    const result = await this.#run(op, "info");
    logOperationResult(context, this.agentPath, commandLine, result);
    return outcomeFromProcess(result);
  }

  #run(op: "start" | "stop" | "monitor", lineLevel: "info" | "debug") {
    return runAgentProgram(this.#options.context, {
      path: this.agentPath,
      args: [op],
      extraEnv: this.environment(op),
      label: `${this.#options.type}(${this.instance})`,
      lineLevel,
    });
  }
}

function notFound(message: string): OcfResolution {
  return { ok: false, failure: { kind: "not-found", message } };
}

function badArgs(message: string): OcfResolution {
  return { ok: false, failure: { kind: "failed", exitCode: OCF_EXIT.errArgs, output: message } };
}
