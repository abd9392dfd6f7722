// Parses haresources (spec §2.1): one resource group per logical line, `name::arg` resources, IPv6-aware IP agents.

import * as net from "node:net";
import type { NodeName } from "../cluster/time";
import { normalizeNodeName } from "../cluster/time";
import type { ConfigDiagnostic, ResourceGroup, ResourceSpec, SourceLocation } from "./cluster-config";
import { builtinAgentKind, isIpAgent, OCF_WRAPPER_AGENT } from "./builtin-agents";
import { configError, configWarning } from "./format-diagnostic";

/** What {@link parseHaresources} found. */
export interface HaresourcesParseResult {
  /** Every group read, in file order (use them only when there are no error diagnostics). */
  readonly groups: readonly ResourceGroup[];
  readonly diagnostics: readonly ConfigDiagnostic[];
}

/** A logical line: physical lines joined at a trailing `\`, comments removed. */
interface LogicalLine {
  /** The first physical line of the logical line. */
  readonly line: number;
  readonly text: string;
}

/**
 * Parses haresources text (no file access). `declaredNodes` are the `node` names of ha.cf,
 * lower-cased; pass undefined to skip the node check (when ha.cf could not be read).
 *
 * Grammar, as Heartbeat's ResourceManager reads it: `#` starts a comment anywhere; a line
 * ending in `\` continues on the next one (the two are joined without a space, as
 * ResourceManager's sed does); runs of blanks separate words; the first word is the home
 * node (lower-cased) and the others are resources, the first of which is the group key.
 * Resource scripts are not looked up here (see load-config-dir).
 */
export function parseHaresources(text: string, path: string, declaredNodes: readonly NodeName[] | undefined): HaresourcesParseResult {
  const diagnostics: ConfigDiagnostic[] = [];
  const groups: ResourceGroup[] = [];
  /** The normalised line text Heartbeat searches when it looks a group up by key. */
  const searchText: string[] = [];
  const keyOwner = new Map<string, ResourceGroup>();

  for (const logical of joinLogicalLines(text, path, diagnostics)) {
    const at: SourceLocation = { file: path, line: logical.line };
    const words = logical.text.split(/[ \t]+/).filter((w) => w !== "");
    const [first, ...tokens] = words;
    if (first === undefined) {
      continue;
    }
    const homeNode = normalizeNodeName(first);
    if (declaredNodes !== undefined && !declaredNodes.includes(homeNode)) {
      diagnostics.push(configError(at, `node "${homeNode}" is not declared in ha.cf`));
    }
    if (tokens.length === 0) {
      diagnostics.push(configError(at, `node "${homeNode}" has no resources on this line: expected "NODE RESOURCE [RESOURCE...]"`));
      continue;
    }
    const resources: ResourceSpec[] = [];
    for (const token of tokens) {
      const parsed = parseResource(token);
      if ("error" in parsed) {
        diagnostics.push(configError(at, parsed.error));
      } else {
        resources.push(parsed.resource);
      }
    }
    const key = tokens[0]!;
    const group: ResourceGroup = { homeNode, key, resources, at };
    const owner = keyOwner.get(key);
    if (owner !== undefined) {
      diagnostics.push(
        configError(at, `resource group key "${key}" is already used by the group at line ${owner.at.line}: the first resource of each line must be unique`),
      );
    } else {
      keyOwner.set(key, group);
    }
    groups.push(group);
    searchText.push(`${homeNode} ${tokens.join(" ")} `);
  }

  // Heartbeat finds a group with `egrep " <key> "` over the whole file (spec §2.2), so a key
  // that also occurs inside another line drags that line along.
  groups.forEach((group, i) => {
    if (keyOwner.get(group.key) !== group) {
      return;
    }
    const matches = keyMatcher(group.key);
    searchText.forEach((other, j) => {
      const otherGroup = groups[j]!;
      if (j !== i && otherGroup.key !== group.key && matches(other)) {
        diagnostics.push(
          configWarning(
            group.at,
            `resource group key "${group.key}" also matches line ${otherGroup.at.line}: Heartbeat finds a group by searching haresources for its key, so it would mix the two lines (make each first resource unique)`,
          ),
        );
      }
    });
  });

  if (groups.length === 0 && diagnostics.length === 0) {
    diagnostics.push(configWarning({ file: path, line: 0 }, "haresources has no resource groups: this cluster manages no resources"));
  }
  return { groups, diagnostics };
}

/** Joins continuation lines and strips comments; warns where Heartbeat would read the text differently. */
function joinLogicalLines(text: string, path: string, diagnostics: ConfigDiagnostic[]): LogicalLine[] {
  const result: LogicalLine[] = [];
  let pending: LogicalLine | undefined;
  const physical = text.split("\n");
  const firstCrlf = physical.findIndex((line) => line.endsWith("\r") && line.trim() !== "" && !line.trimStart().startsWith("#"));
  if (firstCrlf >= 0) {
    const sample =
      (physical[firstCrlf] ?? "")
        .replace(/#.*/, "")
        .trim()
        .split(/[ \t]+/)
        .pop() ?? "";
    diagnostics.push(
      configWarning(
        { file: path, line: firstCrlf + 1 },
        `haresources has Windows (CRLF) line endings: Twinbeat ignores the carriage returns, but Heartbeat's ResourceManager keeps them, so on a Heartbeat peer the last resource of each line becomes "${sample}\\r" and its takeover fails (${/^\d|IPaddr|IPv6addr/.test(sample) ? `"Parameter OCF_RESKEY_ip [${sample.replace(/^.*::/, "").split("/")[0]}^M] not an IP address"` : `no script "${sample.split("::")[0]}\\r"`}): convert the file with dos2unix before sharing it`,
      ),
    );
  }
  for (let i = 0; i < physical.length; i++) {
    const raw = (physical[i] ?? "").replace(/\r$/, "");
    const hash = raw.indexOf("#");
    const body = hash >= 0 ? raw.slice(0, hash) : raw;
    const at: SourceLocation = { file: path, line: i + 1 };
    let joined: string;
    let line: number;
    if (pending === undefined) {
      joined = body;
      line = i + 1;
    } else {
      if (hash >= 0) {
        diagnostics.push(
          configWarning(
            at,
            "comment on a continued line: Heartbeat's ResourceManager keeps it and would read its words as resources (put the comment on a line of its own)",
          ),
        );
      }
      const before = pending.text.slice(-1);
      const after = body.slice(0, 1);
      if (before !== "" && !/[ \t]/.test(before) && after !== "" && !/[ \t]/.test(after)) {
        const left = pending.text.split(/[ \t]+/).pop() ?? "";
        const right = body.split(/[ \t]+/)[0] ?? "";
        diagnostics.push(configWarning(at, `the line continuation glues "${left}" and "${right}" into "${left}${right}": put a space before the "\\"`));
      }
      joined = pending.text + body;
      line = pending.line;
    }
    if (joined.endsWith("\\")) {
      pending = { line, text: joined.slice(0, -1) };
      continue;
    }
    pending = undefined;
    if (joined.trim() !== "") {
      result.push({ line, text: joined });
    }
  }
  if (pending !== undefined && pending.text.trim() !== "") {
    result.push(pending);
  }
  return result;
}

/** A predicate telling whether Heartbeat's `egrep " <key> "` would match a normalised line. */
function keyMatcher(key: string): (line: string) => boolean {
  try {
    // The key is used as an extended regular expression (a "." matches any character).
    const pattern = new RegExp(` ${key} `);
    return (line) => pattern.test(line);
  } catch {
    return (line) => line.includes(` ${key} `);
  }
}

// ---------------------------------------------------------------------------------------
// One resource
// ---------------------------------------------------------------------------------------

/** Heartbeat's bare-IP test, the shell glob `[0-9]*.[0-9]*.[0-9]*.[0-9]*` (ResourceManager `isip`). */
const BARE_IPV4_GLOB = /^[0-9].*\.[0-9].*\.[0-9].*\.[0-9].*$/s;

/** Characters allowed in a resource script name (it becomes a file name in resource.d or init.d). */
const SCRIPT_NAME = /^[A-Za-z0-9_.+-]+$/;

/**
 * Parses one haresources resource token: a bare IPv4 address (`192.0.2.5/24/eth0`, meaning
 * `IPaddr::192.0.2.5/24/eth0`) or `name[::arg[::arg...]]`. Returns the resource or a message.
 *
 * IPv6 (a Twinbeat extension): Heartbeat splits every `::`, so it cannot express a compressed
 * IPv6 address. For the IP agents (IPaddr, IPaddr2, IPv6addr and their `ocf:heartbeat:`
 * names) Twinbeat treats a `::` that lies inside a compressed IPv6 address as part of the
 * address; every other `::` still separates arguments (see {@link splitIpAgentArgs}).
 */
export function parseResource(raw: string): { readonly resource: ResourceSpec } | { readonly error: string } {
  if (raw === "\\") {
    return { error: 'a "\\" followed by spaces does not continue the line: remove the spaces after it' };
  }
  if (BARE_IPV4_GLOB.test(raw)) {
    const arg = normalizeIpArgument(raw);
    const problem = checkIpArgument(arg, "ipv4");
    if (problem !== undefined) {
      return { error: `resource "${raw}" is not a valid IP address resource: ${problem}` };
    }
    return { resource: { raw, name: "IPaddr", args: [arg] } };
  }
  if (looksLikeBareIpv6(raw)) {
    return {
      error: `resource "${raw}" is a bare IPv6 address, which haresources does not accept: write IPv6addr::${raw} or IPaddr2::${raw}`,
    };
  }
  const separator = raw.indexOf("::");
  const name = separator < 0 ? raw : raw.slice(0, separator);
  if (name === "") {
    return { error: `resource "${raw}" has an empty name: expected NAME or NAME::ARG[::ARG...]` };
  }
  if (!SCRIPT_NAME.test(name) && builtinAgentKind(name) === undefined) {
    return {
      error: `resource "${raw}" has an invalid script name "${name}": a name may contain letters, digits, "_", ".", "+" and "-"`,
    };
  }
  let args: string[] = [];
  if (separator >= 0) {
    const rest = raw.slice(separator + 2);
    args = isIpAgent(name) ? splitIpAgentArgs(rest) : rest.split("::");
    if (args.some((arg) => arg === "")) {
      return { error: `resource "${raw}" has an empty argument: remove the extra "::" or give the argument` };
    }
  }
  if (isIpAgent(name)) {
    const first = args[0];
    if (first === undefined) {
      return { error: `resource "${raw}" needs an address: expected ${name}::ADDRESS[/PREFIX[/NIC]]` };
    }
    const arg = normalizeIpArgument(first);
    const problem = checkIpArgument(arg, name.endsWith("IPv6addr") ? "ipv6" : "any");
    if (problem !== undefined) {
      return { error: `resource "${raw}" is not a valid IP address resource: ${problem}` };
    }
    args = [arg, ...args.slice(1)];
  }
  if (name === OCF_WRAPPER_AGENT && args.length === 0) {
    return { error: `resource "${raw}" needs an agent: expected OCF::AGENT::INSTANCE` };
  }
  return { resource: { raw, name, args } };
}

/**
 * True when a token is evidently a bare IPv6 address (`2001:db8::10/64`, `::1`). Tokens such
 * as `fe80::1` or `db::1` are also valid IPv6 text but read as script `fe80`/`db` with an
 * argument, as in Heartbeat, so only a first part that holds a `:`, is empty or is all
 * digits counts.
 */
export function looksLikeBareIpv6(raw: string): boolean {
  const address = raw.split("/")[0] ?? "";
  if (!net.isIPv6(address)) {
    return false;
  }
  const head = address.split("::")[0] ?? "";
  return head === "" || head.includes(":") || /^\d+$/.test(head);
}

/**
 * Splits the text after `Name::` of an IP agent into arguments.
 *
 * Rule: look for the longest prefix that ends at the first `/` (or the end of the token) or
 * just before a `::`, and that is a compressed IPv6 address (it contains `::` and parses as
 * IPv6). If there is one, that address plus whatever follows it up to the next `::` is the
 * first argument, and the rest is split on `::` as usual. Otherwise the whole text is split
 * on every `::`, exactly as Heartbeat does.
 *
 * So `2001:db8::10/64` → [`2001:db8::10/64`], `2001:db8::10/64/eth0` → [`2001:db8::10/64/eth0`],
 * `2001:db8::1::x` → [`2001:db8::1`, `x`], `192.0.2.1/24` → [`192.0.2.1/24`]. Every line that
 * works in Heartbeat (IPv4, or expanded IPv6 without `::`) keeps its meaning; only lines
 * Heartbeat would have cut inside an address get a new one.
 */
export function splitIpAgentArgs(rest: string): string[] {
  const slash = rest.indexOf("/");
  const limit = slash < 0 ? rest.length : slash;
  const ends = [limit];
  for (let i = limit - 2; i >= 0; i--) {
    if (rest.startsWith("::", i)) {
      ends.push(i);
    }
  }
  for (const end of ends) {
    const address = rest.slice(0, end);
    if (address.includes("::") && net.isIPv6(address)) {
      const tail = rest.slice(end);
      if (tail.startsWith("::")) {
        return [address, ...tail.slice(2).split("::")];
      }
      const [suffix, ...more] = tail.split("::");
      return [address + (suffix ?? ""), ...more];
    }
  }
  return rest.split("::");
}

/**
 * Reads an IP agent argument the way Heartbeat's resource.d/IPaddr and IPaddr2 wrappers do:
 * they cut the text at each run of "/" (`sed 's%^ADDR/*%%'`), so `//` is one separator, an
 * empty field is skipped and a trailing "/" means nothing. `10.0.30.15//8/eth0:10` is
 * `10.0.30.15/8/eth0:10` and `192.168.60.200/24/eth0/` is `192.168.60.200/24/eth0`.
 * The result is what the built-in agents are given, so Twinbeat runs what Heartbeat would.
 */
export function normalizeIpArgument(arg: string): string {
  return arg
    .split("/")
    .filter((field, i) => i === 0 || field !== "")
    .join("/");
}

/**
 * Checks an IP agent argument `address[/prefix[/nic[/broadcast]]]` (spec §2.3; for IPv4 a
 * third field starting with a digit is the broadcast address). Returns a problem or undefined.
 */
function checkIpArgument(arg: string, family: "ipv4" | "ipv6" | "any"): string | undefined {
  const fields = arg.split("/");
  const address = fields[0] ?? "";
  const v4 = net.isIPv4(address);
  const v6 = !v4 && net.isIPv6(address);
  if (family === "ipv4" && !v4) {
    return `"${address}" is not an IPv4 address`;
  }
  if (family === "ipv6" && !v6) {
    return `"${address}" is not an IPv6 address`;
  }
  if (!v4 && !v6) {
    return `"${address}" is not an IPv4 or IPv6 address`;
  }
  const shape = v4 ? "ADDRESS[/NETMASK[/NIC[/BROADCAST]]]" : "ADDRESS[/PREFIX[/NIC]]";
  if (fields.length > (v4 ? 4 : 3)) {
    return `too many "/" fields in "${arg}": expected ${shape}`;
  }
  const [, mask, third, fourth] = fields;
  if (mask !== undefined) {
    const bits = /^\d+$/.test(mask) ? Number(mask) : undefined;
    const maxBits = v4 ? 32 : 128;
    const validMask = bits !== undefined ? bits <= maxBits : v4 && isDottedNetmask(mask);
    if (!validMask) {
      return v4
        ? `netmask "${mask}" is not valid: expected 0 to 32 bits or a dotted netmask like 255.255.255.0`
        : `prefix "${mask}" is not valid: expected 0 to 128`;
    }
  }
  if (third !== undefined) {
    if (v4 && /^\d/.test(third)) {
      if (!net.isIPv4(third) || fourth !== undefined) {
        return `"${third}" is not a broadcast address: expected ${shape}`;
      }
    } else if (!/^[A-Za-z0-9_.@-]+(:[A-Za-z0-9_.-]+)?$/.test(third)) {
      return `"${third}" is not a network interface name`;
    }
  }
  if (fourth !== undefined && !net.isIPv4(fourth)) {
    return `"${fourth}" is not a broadcast address: expected ${shape}`;
  }
  return undefined;
}

function isDottedNetmask(text: string): boolean {
  if (!net.isIPv4(text)) {
    return false;
  }
  const value = text.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const inverted = 0xffffffff - value;
  return (inverted & (inverted + 1)) === 0;
}
