// cl_status as pure functions: argv and the daemon's DaemonStatus in, Heartbeat 3.0.6's exact stdout, stderr and exit code out (spec §6).

import type { DaemonStatus, StatusLink, StatusNode } from "./daemon-status";
import { findNode, parameterOf } from "./daemon-status";
import { GnuGetopt } from "../cli/gnu-getopt";

/** cl_status's exit codes (tools/cl_status.c). */
export const CL_STATUS_EXIT = { OK: 0, NORMAL_FAIL: 1, PARAMETER_ERROR: 11, TIMEOUT: 12, UNKNOWN_ERROR: 13 } as const;

/** What Heartbeat's client library says when nothing listens on the API socket. */
export const SIGNON_DOWN_REASON = "hb_api_signon: Can't initiate connection to heartbeat";

/** The daemon's answer to "status", or why there is none. */
export type DaemonAnswer =
  | { readonly kind: "up"; readonly status: DaemonStatus }
  /** Nothing answers: Heartbeat "is stopped". */
  | { readonly kind: "down"; readonly reason?: string }
  /** It is there but will not talk to us (permissions): Heartbeat "refuses my connection". */
  | { readonly kind: "refused"; readonly reason: string };

/** Where cl_status's log lines (stderr) get their prefix from; all of it is input, so rendering stays pure. */
export interface ClStatusEnv {
  /** cl_status's own pid. */
  readonly pid: number;
  /** The time stamped on log lines (local time, as cl_log does). */
  readonly date: Date;
  /** `uname -n` (not lower-cased). */
  readonly nodename: string;
  /** HA_syslogmsgfmt: true (the default) = `Mon DD HH:MM:SS node cl_status: [pid]: ERROR: …`. */
  readonly syslogFormat?: boolean;
  /** POSIXLY_CORRECT set: options stop at the first operand. */
  readonly posixlyCorrect?: boolean;
}

export interface ClStatusOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** The help screen printed for `cl_status` and `cl_status -h` (its typos are Heartbeat's). */
export const CL_STATUS_USAGE =
  "Usage: cl_status <sub-command> [<options>] [<parameters>]\n" +
  "\n" +
  "Sub-commands:\n" +
  "clientstatus <node-name> <client-id> [<timeout>]\n" +
  "\tShow the status of heartbeat clients.\n" +
  "hblinkstatus <node-name> <link-name>\n" +
  "\tShow the status of a heartbeat link\n" +
  "hbstatus\n" +
  "\tIndicate if heartbeat is running on the local system.\n" +
  "\tOptions:\n" +
  '\t\t-v\tverbose: also add "listnodes -v" output\n' +
  "listnodes [<option>]\n" +
  "\tList the nodes in the cluster.\n" +
  "\tOptions:\n" +
  "\t\t-p\tlist only 'ping' type nodes\n" +
  "\t\t-n\tlist only 'normal' type nodes\n" +
  "\t\t-v\tverbose: also list type and status,\n" +
  '\t\t\tthen add "listhblinks -v" output\n' +
  "listhblinks <node-name>\n" +
  "\tList the network interfaces used as hearbeat links.\n" +
  "\tOptions:\n" +
  "\t\t-v\tverbose: list link status as well\n" +
  "nodestatus <node-name>\n" +
  "\tList the node status.\n" +
  "nodeweight <node-name>\n" +
  "\tList the node weight.\n" +
  "nodesite <node-name>\n" +
  "\tList the node site.\n" +
  "nodetype <node-name>\n" +
  "\tList the nodes of a given type.\n" +
  "rscstatus\n" +
  "\tShow the status of cluster resources.\n" +
  "hbparameter -p <parameter-name>\n" +
  "\tRetrieve the value of a cluster parameter.\n" +
  "\tAs for the valid parameter names, please refer to the man page.\n";

type Signed = { readonly ok: true; readonly status: DaemonStatus } | { readonly ok: false; readonly answer: Exclude<DaemonAnswer, { kind: "up" }> };

/** Output being built, with cl_log's stderr line format. */
class Out {
  stdout = "";
  stderr = "";
  /** Set by `-m` in any sub-command's options. */
  human = false;
  readonly #env: ClStatusEnv;

  constructor(env: ClStatusEnv) {
    this.#env = env;
  }

  print(text: string): void {
    this.stdout += text;
  }

  /** fprintf(stderr, …): a plain line, no prefix. */
  plainError(text: string): void {
    this.stderr += text;
  }

  /** cl_log(LOG_ERR, …) with stderr enabled (glue's append_log). */
  logError(msg: string): void {
    this.stderr += formatClLogLine(this.#env, "ERROR", msg);
  }
}

/** One cl_log line as cluster-glue 1.0.12 writes it to stderr. */
export function formatClLogLine(env: ClStatusEnv, level: string, message: string): string {
  const d = env.date;
  const p2 = (n: number) => String(n).padStart(2, "0");
  const msg = message.length > 5119 ? message.slice(0, 5119) : message;
  if (env.syslogFormat === false) {
    const ts = `${d.getFullYear()}/${p2(d.getMonth() + 1)}/${p2(d.getDate())}_${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
    return `cl_status[${env.pid}]: ${ts} ${level}: ${msg}\n`;
  }
  const ts = `${MONTHS[d.getMonth()]} ${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return `${ts} ${env.nodename} cl_status: [${env.pid}]: ${level}: ${msg}\n`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

interface SubCommand {
  readonly optstring: string | null;
  /** Needs a signed-on connection; only hbstatus works without. */
  readonly needsSignon: boolean;
  readonly run: (args: readonly string[], s: Signed, out: Out, env: ClStatusEnv) => number;
}

const SUB_COMMANDS: Readonly<Record<string, SubCommand>> = {
  hbstatus: { optstring: "mv", needsSignon: false, run: hbstatus },
  listnodes: { optstring: "mpnv", needsSignon: true, run: listnodes },
  nodestatus: { optstring: "m", needsSignon: true, run: nodestatus },
  nodeweight: { optstring: "m", needsSignon: true, run: nodeweight },
  nodesite: { optstring: "m", needsSignon: true, run: nodesite },
  nodetype: { optstring: "m", needsSignon: true, run: nodetype },
  listhblinks: { optstring: "mv", needsSignon: true, run: listhblinks },
  hblinkstatus: { optstring: "m", needsSignon: true, run: hblinkstatus },
  clientstatus: { optstring: "m", needsSignon: true, run: clientstatus },
  rscstatus: { optstring: "m", needsSignon: true, run: rscstatus },
  hbparameter: { optstring: "mp:", needsSignon: true, run: hbparameter },
  test: { optstring: null, needsSignon: true, run: testCommand },
};

/** Whether running `args` (argv after `cl_status`) needs the daemon's answer at all (help and bad sub-commands do not). */
export function clStatusNeedsDaemon(args: readonly string[]): boolean {
  if (isHelp(args)) return false;
  return Object.prototype.hasOwnProperty.call(SUB_COMMANDS, args[0]!);
}

function isHelp(args: readonly string[]): boolean {
  return args.length === 0 || (args.length === 1 && args[0] === "-h");
}

/**
 * Runs `cl_status ARGS` against the daemon's answer and returns exactly what Heartbeat's
 * cl_status would print, and its exit code. `args` are the words after `cl_status`.
 */
export function renderClStatus(args: readonly string[], daemon: DaemonAnswer, env: ClStatusEnv): ClStatusOutput {
  const out = new Out(env);
  if (isHelp(args)) return { stdout: CL_STATUS_USAGE, stderr: "", exitCode: CL_STATUS_EXIT.OK };
  const name = args[0]!;
  const cmd = Object.prototype.hasOwnProperty.call(SUB_COMMANDS, name) ? SUB_COMMANDS[name] : undefined;
  if (!cmd) {
    out.logError(`${name}: invalid sub-command.`);
    return { stdout: out.stdout, stderr: out.stderr, exitCode: CL_STATUS_EXIT.PARAMETER_ERROR };
  }
  const signed: Signed = daemon.kind === "up" ? { ok: true, status: daemon.status } : { ok: false, answer: daemon };
  if (!signed.ok && cmd.needsSignon) {
    out.logError("Cannot signon with heartbeat");
    out.logError(`REASON: ${reasonOf(signed.answer)}`);
    return { stdout: out.stdout, stderr: out.stderr, exitCode: CL_STATUS_EXIT.NORMAL_FAIL };
  }
  const exitCode = cmd.run(args, signed, out, env);
  return { stdout: out.stdout, stderr: out.stderr, exitCode };
}

function reasonOf(answer: Exclude<DaemonAnswer, { kind: "up" }>): string {
  return answer.kind === "down" ? (answer.reason ?? SIGNON_DOWN_REASON) : answer.reason;
}

/** Walks the options of a sub-command; `onOption` returns a number to stop with that exit code. */
function walkOptions(
  args: readonly string[],
  optstring: string,
  env: ClStatusEnv,
  out: Out,
  onOption: (opt: string, arg: string | undefined) => number | void,
): { operands: readonly string[] } | { exit: number } {
  const g = new GnuGetopt(args, optstring, { posixlyCorrect: env.posixlyCorrect ?? false });
  for (let step = g.next(); step !== undefined; step = g.next()) {
    if (step.error !== undefined) out.plainError(`${step.error}\n`);
    const stop = onOption(step.opt, step.arg);
    if (typeof stop === "number") return { exit: stop };
  }
  return { operands: g.operands };
}

/** general_simple_opt_deal: only -m; anything else is a parameter error. */
function simpleOptions(args: readonly string[], env: ClStatusEnv, out: Out): { operands: readonly string[] } | { exit: number } {
  return walkOptions(args, "m", env, out, (opt) => {
    if (opt === "m") {
      out.human = true;
      return;
    }
    out.logError(`Error: getopt returnedcharacter ${opt}.`);
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  });
}

// ---- sub-commands ------------------------------------------------------------------------

function hbstatus(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  let verbose = false;
  walkOptions(args, "mv", env, out, (opt) => {
    if (opt === "m") out.human = true;
    else if (opt === "v") verbose = true;
    // Heartbeat has no default case here: a bad option is reported by getopt and ignored.
  });
  if (!s.ok) {
    const refused = s.answer.kind === "refused";
    out.print(refused ? "Heartbeat is apparently running on this machine, but refuses my connection\n" : "Heartbeat is stopped on this machine.\n");
    const reason = reasonOf(s.answer);
    if (verbose && reason !== "") out.print(`(${reason})\n`);
    return refused ? CL_STATUS_EXIT.OK : CL_STATUS_EXIT.NORMAL_FAIL;
  }
  if (!verbose) {
    out.print("Heartbeat is running on this machine.\n");
    return CL_STATUS_EXIT.OK;
  }
  const status = s.status;
  const hbversion = parameterOf(status, "hbversion");
  const pacemaker = pacemakerSetting(status);
  if (out.human) {
    out.print(hbversion !== undefined ? `Heartbeat version ${hbversion}\n` : "Heartbeat is running on this machine.\n");
    out.print(pacemaker.enabled ? "Resources controlled by Pacemaker.\n" : 'Resources controlled by "haresources"\n');
  } else {
    out.print(`version:\t${hbversion ?? "unknown"}\n`);
    out.print(pacemaker.enabled ? `managed by:\tpacemaker\t(${pacemaker.value ?? "(null)"})\n` : 'managed by:\t"haresources"\n');
  }
  // No CCM in haresources mode: Heartbeat's membership block is absent.
  listAllNodes(status, out, false, false, true);
  return CL_STATUS_EXIT.OK;
}

function listnodes(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  let verbose = false;
  let pingOnly = false;
  let normalOnly = false;
  const r = walkOptions(args, "mpnv", env, out, (opt) => {
    if (opt === "m") out.human = true;
    else if (opt === "v") verbose = true;
    else if (opt === "p") pingOnly = true;
    else if (opt === "n") normalOnly = true;
    else {
      out.logError(`Error: getopt returnedcharacter code ${opt}.`);
      return CL_STATUS_EXIT.PARAMETER_ERROR;
    }
  });
  if ("exit" in r) return r.exit;
  return listAllNodes(signedStatus(s), out, normalOnly, pingOnly, verbose);
}

function listAllNodes(status: DaemonStatus, out: Out, normalOnly: boolean, pingOnly: boolean, verbose: boolean): number {
  if (normalOnly && pingOnly) normalOnly = pingOnly = false;
  if (out.human) out.print("The nodes are as follow:\n");
  for (const node of status.nodes) {
    if (normalOnly && node.type !== "normal") continue;
    if (pingOnly && node.type !== "ping") continue;
    if (verbose) {
      out.print(`\n${node.name}\t${node.status}\t(nodetype: ${node.type})\n`);
      listLinks(node, out, true);
    } else {
      out.print(`${node.name}\n`);
    }
  }
  return CL_STATUS_EXIT.OK;
}

/** The links Heartbeat's interface walk reports: a ping node has one, named after itself. */
function linksOf(node: StatusNode): readonly StatusLink[] {
  return node.links;
}

/** Heartbeat's link words: a link never heard is `dead` (config.c init_node_link_info). */
function linkWord(link: StatusLink): "up" | "dead" {
  return link.status === "up" ? "up" : "dead";
}

function listLinks(node: StatusNode, out: Out, verbose: boolean): void {
  if (out.human) out.print("\tthis node has the following heartbeat links:\n");
  for (const link of linksOf(node)) out.print(verbose ? `\t${link.name}\t${linkWord(link)}\n` : `\t${link.name}\n`);
}

function nodestatus(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  const r = simpleOptions(args, env, out);
  if ("exit" in r) return r.exit;
  const name = r.operands[0];
  if (name === undefined) {
    out.plainError("Not enough parameters.\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  const node = findNode(signedStatus(s), name);
  if (!node) {
    out.plainError("Error. May be due to incorrect node name\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  out.print(out.human ? `The cluster node ${name} is ${node.status}\n` : `${node.status}\n`);
  return node.status === "active" || node.status === "up" || node.status === "ping" ? CL_STATUS_EXIT.OK : CL_STATUS_EXIT.NORMAL_FAIL;
}

function nodeweight(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  const r = simpleOptions(args, env, out);
  if ("exit" in r) return r.exit;
  const name = r.operands[0];
  if (name === undefined) {
    out.plainError("Not enough parameters.\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  const node = findNode(signedStatus(s), name);
  if (!node) {
    out.plainError("Error. Maybe due to incorrect node name.\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  out.print(out.human ? `The weight of the cluster node ${name} is ${node.weight}\n` : `${node.weight}\n`);
  return CL_STATUS_EXIT.OK;
}

function nodesite(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  const r = simpleOptions(args, env, out);
  if ("exit" in r) return r.exit;
  const name = r.operands[0];
  if (name === undefined) {
    out.plainError("Not enough parameters.\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  const node = findNode(signedStatus(s), name);
  if (!node) {
    out.plainError("Error. May be due to incorrect node name\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  out.print(out.human ? `The site of the cluster node ${name} is ${node.site}\n` : `${node.site}\n`);
  return CL_STATUS_EXIT.OK;
}

function nodetype(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  const r = simpleOptions(args, env, out);
  if ("exit" in r) return r.exit;
  const name = r.operands[0];
  if (name === undefined) {
    out.plainError("No enough parameter.\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  const node = findNode(signedStatus(s), name);
  if (!node) {
    out.plainError("Error. May be due to incorrect node name\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  out.print(out.human ? `The node ${name}'s type: ${node.type}\n` : `${node.type}\n`);
  return CL_STATUS_EXIT.OK;
}

function listhblinks(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  let verbose = false;
  const r = walkOptions(args, "mv", env, out, (opt) => {
    if (opt === "m") out.human = true;
    else if (opt === "v") verbose = true;
    else {
      out.logError(`Error: getopt returnedcharacter code ${opt}.`);
      return CL_STATUS_EXIT.PARAMETER_ERROR;
    }
  });
  if ("exit" in r) return r.exit;
  const name = r.operands[0];
  if (name === undefined) {
    out.plainError("No enough parameter.\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  const node = findNode(signedStatus(s), name);
  if (!node) {
    out.logError("Cannot start heartbeat link interface walk.");
    out.logError("REASON: EINVAL");
    return CL_STATUS_EXIT.UNKNOWN_ERROR;
  }
  listLinks(node, out, verbose);
  return CL_STATUS_EXIT.OK;
}

function hblinkstatus(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  const r = simpleOptions(args, env, out);
  if ("exit" in r) return r.exit;
  const [name, ifname] = r.operands;
  if (name === undefined || ifname === undefined) {
    out.plainError("No enough parameter.\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  const link = findNode(signedStatus(s), name)?.links.find((l) => l.name === ifname);
  if (!link) {
    // The daemon answers EINVAL, which this client library does not pass on: the reason is empty.
    out.logError("Cannot get heartbeat link status");
    out.logError("REASON: ");
    return CL_STATUS_EXIT.UNKNOWN_ERROR;
  }
  const word = linkWord(link);
  out.print(out.human ? `The node ${name}'s heartbeat link ${ifname} is ${word}\n` : `${word}\n`);
  return word === "up" ? CL_STATUS_EXIT.OK : CL_STATUS_EXIT.NORMAL_FAIL;
}

function clientstatus(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  const r = simpleOptions(args, env, out);
  if ("exit" in r) return r.exit;
  const [name, client] = r.operands;
  if (name === undefined || client === undefined) {
    out.plainError("No enough parameter.\n");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  // r.operands[2] is Heartbeat's reply timeout; the answer here is immediate.
  const node = findNode(signedStatus(s), name);
  if (!node) {
    // Heartbeat's daemon rejects the request, and the client waits for a reply that never comes.
    out.logError(`Cannot get heartbeat client ${client}'s status`);
    out.logError("REASON: No timely response.");
    return CL_STATUS_EXIT.UNKNOWN_ERROR;
  }
  const word = node.apiClients.includes(client) ? "online" : "offline";
  out.print(`${word}\n`);
  return word === "online" ? CL_STATUS_EXIT.OK : CL_STATUS_EXIT.NORMAL_FAIL;
}

function rscstatus(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  const r = simpleOptions(args, env, out);
  if ("exit" in r) return r.exit;
  const status = signedStatus(s);
  if (pacemakerSetting(status).enabled) {
    out.logError("Cannot get cluster resource status of a pacemaker cluster; try crm_mon");
    return CL_STATUS_EXIT.NORMAL_FAIL;
  }
  out.print(out.human ? `This node is holding ${status.rscStatus} resources.\n` : `${status.rscStatus}\n`);
  return CL_STATUS_EXIT.OK;
}

function hbparameter(args: readonly string[], s: Signed, out: Out, env: ClStatusEnv): number {
  let name: string | undefined;
  const r = walkOptions(args, "mp:", env, out, (opt, arg) => {
    if (opt === "m") out.human = true;
    else if (opt === "p") name = arg;
    else {
      out.logError(`Error: getopt returnedcharacter code ${opt}.`);
      return CL_STATUS_EXIT.PARAMETER_ERROR;
    }
  });
  if ("exit" in r) return r.exit;
  if (name === undefined) {
    out.logError("parameter name required");
    return CL_STATUS_EXIT.PARAMETER_ERROR;
  }
  // The daemon answers `crm` (the old name) with `pacemaker`'s value.
  const value = parameterOf(signedStatus(s), name === "crm" ? "pacemaker" : name);
  if (value === undefined) {
    out.logError(`Cannot get parameter ${name}'s value`);
    out.logError("REASON: ");
    return CL_STATUS_EXIT.NORMAL_FAIL;
  }
  out.print(out.human ? `Heartbeat parameter ${name}'s value: ${value}\n` : `${value}\n`);
  return CL_STATUS_EXIT.OK;
}

/** Undocumented `cl_status test`: a few raw values from the signon reply. */
function testCommand(_args: readonly string[], s: Signed, out: Out): number {
  const status = signedStatus(s);
  out.print(
    `Dead time: ${status.timing.deadtimeMs}\n keeplive time: ${status.timing.keepaliveMs}\n mynodeid: ${status.localNode}\n rsc: ${status.rscStatus}\n`,
  );
  return CL_STATUS_EXIT.OK;
}

// ---- helpers -----------------------------------------------------------------------------

function signedStatus(s: Signed): DaemonStatus {
  if (!s.ok) throw new Error("Invariant violated: a sub-command that needs signon ran without it");
  return s.status;
}

const TRUE_WORDS = new Set(["true", "on", "yes", "y", "1"]);
const FALSE_WORDS = new Set(["false", "off", "no", "n", "0"]);

/** is_pacemaker_enabled: any value that is not a boolean word (respawn, minimal…) counts as on. */
function pacemakerSetting(status: DaemonStatus): { enabled: boolean; value: string | undefined } {
  const value = parameterOf(status, "pacemaker") ?? parameterOf(status, "crm");
  if (value === undefined) return { enabled: true, value };
  const v = value.toLowerCase();
  if (TRUE_WORDS.has(v)) return { enabled: true, value };
  if (FALSE_WORDS.has(v)) return { enabled: false, value };
  return { enabled: true, value };
}
