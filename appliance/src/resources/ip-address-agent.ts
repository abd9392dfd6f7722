// Built-in IPaddr, IPaddr2 and IPv6addr: virtual addresses added and removed with `ip addr`, then announced to the link.

import * as net from "node:net";
import * as path from "node:path";
import type { ResourceSpec } from "../config/cluster-config";
import { AddressAnnouncer, findTool, type AddressAnnouncerOptions, type AnnounceTarget } from "./address-announcer";
import { runProcess, type ProcessResult } from "../adapters/process-runner";
import type { AgentContext, AgentFailure, AgentOutcome, AgentStatus, ResourceAgent } from "./resource-agent";
import { describeOutcome, failureFromProcess, lastLine, OCF_EXIT } from "./resource-agent";

/** A virtual address as written in haresources; what is not given is found from the routing table. */
export interface VirtualAddress {
  readonly family: 4 | 6;
  /** The address as written (compare with {@link sameAddress}, not as text). */
  readonly address: string;
  readonly prefix?: number;
  readonly nic?: string;
  /** IPv4 only: the label part of `nic:label` (the address is then labelled `nic:label`). */
  readonly label?: string;
  /** IPv4 only: an explicit broadcast address. */
  readonly broadcast?: string;
}

export type VirtualAddressParse = { readonly ok: true; readonly value: VirtualAddress } | { readonly ok: false; readonly message: string };

/** Linux interface names (and `nic:label`) are at most 15 characters (IFNAMSIZ - 1). */
const MAX_IFNAME = 15;
const IFNAME = /^[A-Za-z0-9_.@-]+$/;

/** The agent's own name: `IPaddr2` for both `IPaddr2` and `ocf:heartbeat:IPaddr2`. */
function agentBaseName(name: string): string {
  return name.slice(name.lastIndexOf(":") + 1);
}

/**
 * Reads the argument of a built-in IP agent (spec §2.3):
 * - `IPaddr::ip[/netmask[/nic[/broadcast]]]` and `IPaddr2::ip[/bits[/nic[:label][/broadcast]]]`:
 *   the netmask is bits or dotted (`255.255.255.0`); a third field starting with a digit is
 *   the broadcast address (and there is no nic), otherwise it is the nic, optionally with a
 *   `:label`, and a fourth field is the broadcast address. An IPv6 address is accepted too
 *   (`IPaddr2::2001:db8::10/64/eth0`), as Heartbeat's IPaddr2 agent does.
 * - `IPv6addr::address[/prefix[/nic]]`.
 * An empty field counts as not given. The `ocf:heartbeat:` names read the same way.
 */
export function parseVirtualAddress(spec: ResourceSpec): VirtualAddressParse {
  const agent = agentBaseName(spec.name);
  if (spec.args.length !== 1) {
    return fail(`resource "${spec.raw}": ${agent} takes one argument, ADDRESS[/PREFIX[/NIC]], got ${spec.args.length}`);
  }
  const arg = spec.args[0]!;
  const fields = arg.split("/");
  const address = fields[0]!;
  const v4 = net.isIPv4(address);
  const v6 = net.isIPv6(address);
  if (agent === "IPv6addr" && !v6) {
    return fail(`resource "${spec.raw}": "${address}" is not an IPv6 address`);
  }
  if (!v4 && !v6) {
    return fail(`resource "${spec.raw}": "${address}" is not an IPv4 or IPv6 address`);
  }
  const given = (field: string | undefined): string | undefined => (field === undefined || field === "" ? undefined : field);
  if (v6) {
    if (fields.length > 3) {
      return fail(`resource "${spec.raw}": too many "/" fields: expected ADDRESS[/PREFIX[/NIC]]`);
    }
    const prefixText = given(fields[1]);
    const prefix = prefixText === undefined ? undefined : parseBits(prefixText, 128);
    if (prefix === null) {
      return fail(`resource "${spec.raw}": prefix "${prefixText}" is not valid: expected 0 to 128`);
    }
    const nicText = given(fields[2]);
    if (nicText?.includes(":")) {
      return fail(`resource "${spec.raw}": interface labels ("${nicText}") exist for IPv4 addresses only`);
    }
    const nicProblem = nicText === undefined ? undefined : checkIfName(nicText);
    if (nicProblem !== undefined) {
      return fail(`resource "${spec.raw}": ${nicProblem}`);
    }
    return ok({ family: 6, address, ...(prefix !== undefined ? { prefix } : {}), ...(nicText !== undefined ? { nic: nicText } : {}) });
  }

  if (fields.length > 4) {
    return fail(`resource "${spec.raw}": too many "/" fields: expected ADDRESS[/NETMASK[/NIC[/BROADCAST]]]`);
  }
  const maskText = given(fields[1]);
  let prefix: number | undefined;
  if (maskText !== undefined) {
    const bits = /^\d+$/.test(maskText) ? parseBits(maskText, 32) : dottedNetmaskBits(maskText);
    if (bits === null) {
      return fail(`resource "${spec.raw}": netmask "${maskText}" is not valid: expected 0 to 32 bits or a dotted netmask like 255.255.255.0`);
    }
    prefix = bits;
  }
  let nicField = given(fields[2]);
  let broadcast = given(fields[3]);
  if (nicField !== undefined && /^\d/.test(nicField)) {
    if (broadcast !== undefined) {
      return fail(`resource "${spec.raw}": "${nicField}" is not a network interface name`);
    }
    broadcast = nicField;
    nicField = undefined;
  }
  if (broadcast !== undefined && !net.isIPv4(broadcast)) {
    return fail(`resource "${spec.raw}": "${broadcast}" is not a broadcast address`);
  }
  let nic: string | undefined;
  let label: string | undefined;
  if (nicField !== undefined) {
    const colon = nicField.indexOf(":");
    nic = colon < 0 ? nicField : nicField.slice(0, colon);
    label = colon < 0 ? undefined : nicField.slice(colon + 1);
    const nicProblem = checkIfName(nic);
    if (nicProblem !== undefined) {
      return fail(`resource "${spec.raw}": ${nicProblem}`);
    }
    if (label !== undefined && (label === "" || !IFNAME.test(label) || nicField.length > MAX_IFNAME)) {
      return fail(`resource "${spec.raw}": "${nicField}" is not a valid interface label: NIC:LABEL, at most ${MAX_IFNAME} characters in all`);
    }
  }
  return ok({
    family: 4,
    address,
    ...(prefix !== undefined ? { prefix } : {}),
    ...(nic !== undefined ? { nic } : {}),
    ...(label !== undefined ? { label } : {}),
    ...(broadcast !== undefined ? { broadcast } : {}),
  });
}

function ok(value: VirtualAddress): VirtualAddressParse {
  return { ok: true, value };
}

function fail(message: string): VirtualAddressParse {
  return { ok: false, message };
}

function checkIfName(nic: string): string | undefined {
  if (!IFNAME.test(nic) || nic.length > MAX_IFNAME) {
    return `"${nic}" is not a network interface name`;
  }
  return undefined;
}

/** Decimal bits within 0..max, or null. */
function parseBits(text: string, max: number): number | null {
  if (!/^\d{1,3}$/.test(text)) {
    return null;
  }
  const bits = Number(text);
  return bits <= max ? bits : null;
}

/** The prefix length of a contiguous dotted netmask (`255.255.255.0` → 24), or null. */
export function dottedNetmaskBits(mask: string): number | null {
  if (!net.isIPv4(mask)) {
    return null;
  }
  const value = ipToBigInt(mask);
  const inverted = 0xffffffffn ^ value;
  if ((inverted & (inverted + 1n)) !== 0n) {
    return null;
  }
  return 32 - inverted.toString(2).replace(/^0+/, "").length;
}

// ---------------------------------------------------------------------------------------
// Address arithmetic
// ---------------------------------------------------------------------------------------

/** An IPv4 or IPv6 address as a number (IPv6 with an embedded dotted IPv4 tail too). */
export function ipToBigInt(address: string): bigint {
  if (net.isIPv4(address)) {
    return address.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
  }
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    const v4 = ipToBigInt(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headGroups = head === "" || head === undefined ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** True when two address texts name the same address (`2001:db8::10` = `2001:0db8:0:0::0010`). */
export function sameAddress(a: string, b: string): boolean {
  const fa = net.isIP(a);
  return fa !== 0 && fa === net.isIP(b) && ipToBigInt(a) === ipToBigInt(b);
}

/** True when `address` lies in `network/prefix` (both the same family). */
export function prefixContains(network: string, prefix: number, address: string): boolean {
  const family = net.isIP(network);
  if (family === 0 || family !== net.isIP(address)) {
    return false;
  }
  const width = family === 4 ? 32n : 128n;
  const shift = width - BigInt(prefix);
  return ipToBigInt(network) >> shift === ipToBigInt(address) >> shift;
}

/** One route from `ip -j route show`, as far as we read it. */
interface RouteEntry {
  readonly dst?: string;
  readonly dev?: string;
  readonly gateway?: string;
  readonly type?: string;
}

/**
 * Finds the interface and prefix length for an address the way Heartbeat's IPaddr finds
 * them (its `findif`): the connected route (no gateway) with the longest prefix that
 * contains the address; with `nic` given, only routes on that interface count. The default
 * route never counts.
 */
export function findConnectedRoute(
  routes: readonly RouteEntry[],
  address: string,
  nic?: string,
): { readonly nic: string; readonly prefix: number } | undefined {
  let best: { nic: string; prefix: number } | undefined;
  for (const route of routes) {
    if (route.dst === undefined || route.dst === "default" || route.dev === undefined || route.gateway !== undefined) {
      continue;
    }
    if (route.type !== undefined && route.type !== "unicast") {
      continue;
    }
    if (nic !== undefined && route.dev !== nic) {
      continue;
    }
    const [network, bitsText] = route.dst.split("/");
    if (network === undefined || net.isIP(network) !== net.isIP(address)) {
      continue;
    }
    const prefix = bitsText === undefined ? (net.isIPv4(network) ? 32 : 128) : Number(bitsText);
    if (prefixContains(network, prefix, address) && (best === undefined || prefix > best.prefix)) {
      best = { nic: route.dev, prefix };
    }
  }
  return best;
}

/** Where an address is configured, from `ip -j addr show`. */
export interface AddressPlacement {
  readonly nic: string;
  readonly prefix: number;
}

/** Every interface that holds `address`, read from `ip -j addr show` output. */
export function findAddressPlacements(links: unknown, address: string): AddressPlacement[] {
  const found: AddressPlacement[] = [];
  if (!Array.isArray(links)) {
    return found;
  }
  for (const link of links as Array<{ ifname?: unknown; addr_info?: unknown }>) {
    if (typeof link?.ifname !== "string" || !Array.isArray(link.addr_info)) {
      continue;
    }
    for (const info of link.addr_info as Array<{ local?: unknown; prefixlen?: unknown }>) {
      if (typeof info?.local === "string" && typeof info.prefixlen === "number" && sameAddress(info.local, address)) {
        found.push({ nic: link.ifname, prefix: info.prefixlen });
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// The agent
// ---------------------------------------------------------------------------------------

export interface IpAddressAgentOptions {
  readonly spec: ResourceSpec;
  readonly context: AgentContext;
  /** Finds a tool's absolute path (`ip`, `arping`, `send_ua`); default searches $PATH and the system directories. */
  readonly findTool?: (name: string) => string | undefined;
  /** Announcement bursts: count, interval, second-burst delay. */
  readonly announce?: Pick<AddressAnnouncerOptions, "count" | "intervalMs" | "repeatDelayMs">;
}

/** The address the agent manages, once interface and prefix are known. */
interface PlacedAddress {
  readonly address: VirtualAddress;
  readonly nic: string;
  readonly prefix: number;
}

/**
 * IPaddr / IPaddr2 / IPv6addr done in-process with iproute2: start = `ip addr add`, stop =
 * `ip addr del`, status = is the address on the interface. Start and stop are idempotent.
 * After a start the address is announced in the background (gratuitous ARP / unsolicited
 * NA, see address-announcer.ts); a stop cancels announcements still pending.
 */
export class IpAddressAgent implements ResourceAgent {
  readonly spec: ResourceSpec;
  readonly #context: AgentContext;
  readonly #parsed: VirtualAddressParse;
  readonly #findTool: (name: string) => string | undefined;
  readonly #announcer: AddressAnnouncer;
  /** Stops begun so far: an announcement decided before a stop must not go out after it. */
  #stops = 0;
  readonly #label: string;

  constructor(options: IpAddressAgentOptions) {
    this.spec = options.spec;
    this.#context = options.context;
    this.#parsed = parseVirtualAddress(options.spec);
    this.#findTool = options.findTool ?? ((name) => findTool(name));
    this.#label = agentBaseName(options.spec.name);
    const log = options.context.log;
    this.#announcer = new AddressAnnouncer({
      ...options.announce,
      log: (level, text) => log(level, `${this.#label}: ${text}`),
      findTool: this.#findTool,
      ...(options.context.runCommand ? { runCommand: options.context.runCommand } : {}),
    });
  }

  /** What Heartbeat would have run: `<configDir>/resource.d/IPaddr 192.168.8.100/32`. */
  get commandLine(): string {
    const script = this.spec.name.startsWith("ocf:") ? this.spec.name : path.join(this.#context.configDir, "resource.d", this.spec.name);
    return [script, ...this.spec.args].join(" ");
  }

  /** The parsed address, or why the argument is unusable. */
  get virtualAddress(): VirtualAddressParse {
    return this.#parsed;
  }

  async start(): Promise<AgentOutcome> {
    this.#context.log("info", `Running ${this.commandLine} start`);
    const placed = await this.#place();
    if ("kind" in placed) {
      return this.#failed("start", placed);
    }
    const present = await this.#placements(placed.address);
    if ("kind" in present) {
      return this.#failed("start", present);
    }
    if (present.some((p) => p.nic === placed.nic)) {
      this.#log("info", `${placed.address.address} is already on ${placed.nic}`);
    } else {
      const result = await this.#ip(addCommand(placed));
      if (!(result.kind === "exited" && (result.exitCode === 0 || /File exists/.test(result.output)))) {
        return this.#failed("start", this.#ipFailure(result));
      }
    }
    // Background: start's outcome never waits for the neighbours to hear about it.
    void this.#announcer.announce(targetOf(placed));
    return { kind: "succeeded" };
  }

  async stop(): Promise<AgentOutcome> {
    this.#context.log("info", `Running ${this.commandLine} stop`);
    this.#stops++;
    this.#announcer.cancel();
    if (!this.#parsed.ok) {
      return this.#failed("stop", { kind: "failed", exitCode: OCF_EXIT.errConfigured, output: this.#parsed.message });
    }
    const address = this.#parsed.value;
    const present = await this.#placements(address);
    if ("kind" in present) {
      return this.#failed("stop", present);
    }
    const here = present.filter((p) => address.nic === undefined || p.nic === address.nic);
    if (here.length === 0) {
      this.#log("info", `${address.address} is not on ${address.nic ?? "any interface"}: nothing to remove`);
    }
    for (const placement of here) {
      const result = await this.#ip(deleteCommand(address, placement));
      if (!(result.kind === "exited" && (result.exitCode === 0 || /Cannot assign requested address/.test(result.output)))) {
        return this.#failed("stop", this.#ipFailure(result));
      }
    }
    return { kind: "succeeded" };
  }

  async status(): Promise<AgentStatus> {
    if (!this.#parsed.ok) {
      return { kind: "unknown", words: this.#parsed.message };
    }
    const address = this.#parsed.value;
    const present = await this.#placements(address);
    if ("kind" in present) {
      return { kind: "unknown", words: describeOutcome(present) };
    }
    const where = present.map((p) => `${p.nic} (/${p.prefix})`).join(", ");
    if (address.nic === undefined) {
      return present.length > 0
        ? { kind: "running", words: `${address.address} is running on ${where}` }
        : { kind: "stopped", words: `${address.address} is not on any interface` };
    }
    if (present.some((p) => p.nic === address.nic)) {
      return { kind: "running", words: `${address.address} is running on ${address.nic}` };
    }
    return { kind: "stopped", words: `${address.address} is not on ${address.nic}${where ? ` (it is on ${where})` : ""}` };
  }

  /** Announces the address again where it is (first burst awaited, second in the background). */
  async announce(): Promise<AgentOutcome> {
    if (!this.#parsed.ok) {
      return { kind: "failed", exitCode: OCF_EXIT.errConfigured, output: this.#parsed.message };
    }
    const address = this.#parsed.value;
    const stopsBefore = this.#stops;
    const present = await this.#placements(address);
    if ("kind" in present) {
      return present;
    }
    // A stop that began while we looked (the core's drop-addresses runs outside the queue, e.g.
    // when a partition heals and this node releases a group both held) has removed the address
    // or is removing it: announcing now would send the clients back to this node's MAC after
    // the home node's announcement (a chaos run lost the VIP for 4 s that way).
    if (this.#stops !== stopsBefore) {
      return { kind: "failed", exitCode: OCF_EXIT.notRunning, output: `${address.address} is being removed here: not announced` };
    }
    const placement = present.find((p) => address.nic === undefined || p.nic === address.nic);
    if (placement === undefined) {
      return { kind: "failed", exitCode: OCF_EXIT.notRunning, output: `${address.address} is not on ${address.nic ?? "any interface"}: nothing to announce` };
    }
    return this.#announcer.announce(targetOf({ address, nic: placement.nic, prefix: placement.prefix }));
  }

  /** Resolves when no announcement is running or scheduled. */
  settled(): Promise<void> {
    return this.#announcer.settled();
  }

  /** Works out interface and prefix: as given, else from the connected routes. */
  async #place(): Promise<PlacedAddress | AgentFailure> {
    if (!this.#parsed.ok) {
      return { kind: "failed", exitCode: OCF_EXIT.errConfigured, output: this.#parsed.message };
    }
    const address = this.#parsed.value;
    if (address.nic !== undefined && address.prefix !== undefined) {
      return { address, nic: address.nic, prefix: address.prefix };
    }
    const result = await this.#ip([address.family === 4 ? "-4" : "-6", "-j", "route", "show"]);
    if (result.kind !== "exited" || result.exitCode !== 0) {
      return this.#ipFailure(result);
    }
    const routes = parseJson(result.stdout);
    const found = findConnectedRoute(Array.isArray(routes) ? (routes as RouteEntry[]) : [], address.address, address.nic);
    if (found !== undefined) {
      return { address, nic: found.nic, prefix: address.prefix ?? found.prefix };
    }
    if (address.nic !== undefined) {
      const prefix = address.prefix ?? (address.family === 4 ? 32 : 128);
      this.#log("info", `no connected route on ${address.nic} contains ${address.address}: using /${prefix}`);
      return { address, nic: address.nic, prefix };
    }
    const example = address.family === 4 ? `${address.address}/24/eth0` : `${address.address}/64/eth0`;
    return {
      kind: "failed",
      exitCode: OCF_EXIT.errConfigured,
      output: `Cannot find an interface for ${address.address}: no connected route contains it (name one, e.g. ${this.#label}::${example})`,
    };
  }

  /** Where the address is now, from `ip -j addr show`. */
  async #placements(address: VirtualAddress): Promise<AddressPlacement[] | AgentFailure> {
    const result = await this.#ip([address.family === 4 ? "-4" : "-6", "-j", "addr", "show"]);
    if (result.kind !== "exited" || result.exitCode !== 0) {
      return this.#ipFailure(result);
    }
    return findAddressPlacements(parseJson(result.stdout), address.address);
  }

  async #ip(args: readonly string[]): Promise<ProcessResult> {
    const ip = this.#findTool("ip");
    if (ip === undefined) {
      return { kind: "spawn-failed", errorCode: "ENOENT", message: "ip not found: install the Debian package iproute2" };
    }
    const mutating = args.includes("add") || args.includes("del");
    if (mutating) {
      this.#log("info", `ip ${args.join(" ")}`);
    }
    const runner = this.#context.runCommand ?? runProcess;
    return runner(ip, args, { timeoutMs: this.#context.timeoutMs });
  }

  #ipFailure(result: ProcessResult): AgentFailure {
    return failureFromProcess(result);
  }

  #failed(op: "start" | "stop", outcome: AgentFailure): AgentOutcome {
    const said = outcome.kind === "not-found" ? outcome.message : lastLine(outcome.output);
    this.#log("error", `${op} of ${this.spec.raw} failed: ${said || describeOutcome(outcome)}`);
    return outcome;
  }

  #log(level: "info" | "warn" | "error", text: string): void {
    this.#context.log(level, `${this.#label}: ${text}`);
  }
}

/** `ip addr add` arguments: IPv4 with broadcast and label, IPv6 with `nodad` so it is usable at once. */
export function addCommand(placed: { readonly address: VirtualAddress; readonly nic: string; readonly prefix: number }): string[] {
  const { address, nic, prefix } = placed;
  if (address.family === 6) {
    return ["-6", "addr", "add", `${address.address}/${prefix}`, "dev", nic, "nodad"];
  }
  const args = ["-4", "addr", "add", `${address.address}/${prefix}`];
  if (address.broadcast !== undefined) {
    args.push("brd", address.broadcast);
  } else if (prefix <= 30) {
    args.push("brd", "+");
  }
  args.push("dev", nic);
  if (address.label !== undefined) {
    args.push("label", `${nic}:${address.label}`);
  }
  return args;
}

/** `ip addr del` arguments for one placement of the address. */
export function deleteCommand(address: VirtualAddress, placement: AddressPlacement): string[] {
  return [address.family === 4 ? "-4" : "-6", "addr", "del", `${address.address}/${placement.prefix}`, "dev", placement.nic];
}

function targetOf(placed: PlacedAddress): AnnounceTarget {
  return { family: placed.address.family, address: placed.address.address, prefix: placed.prefix, nic: placed.nic };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
