// The checks of /etc/ha.d that depend on the machine (interfaces, host names, users, programs), as Heartbeat makes them at start.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import type { ConfigDiagnostic, MediumConfig, PingNodeConfig, RespawnConfig } from "./cluster-config";
import { isBuiltinIpfail } from "./builtin-agents";
import { configError, configWarning } from "./format-diagnostic";
import { isExecutableFile } from "../adapters/is-executable-file";

/**
 * Which machine the files are judged for:
 * - `this`: the machine we run on. What Heartbeat would refuse here is an error (daemon start, `twinbeat check`).
 * - `another`: the files are meant for another machine (`twinbeat check --for-another-machine`):
 *   the same findings are warnings, so the file itself can be judged anywhere.
 * - `skip`: no machine checks (tools that only read the configuration, such as cl_status).
 */
export type MachineMode = "this" | "another" | "skip";

/** What the machine checks ask the system; tests pass their own. */
export interface MachineProbe {
  /** True when a network interface of this name exists in our network namespace. */
  interfaceExists(name: string): boolean;
  /** True when a host name resolves to an IPv4 address (IP literals always do). */
  hostResolves(name: string): boolean;
  /** True when a user of this name exists (passwd database). */
  userExists(name: string): boolean;
  /** True when the path is an executable regular file. */
  isExecutable(path: string): boolean;
}

/** Linux's IFNAMSIZ - 1: an interface name can never be longer. */
const MAX_IFNAME = 15;

/** The real machine: /proc/net/dev (our network namespace), getent, the file system. */
export const SYSTEM_PROBE: MachineProbe = {
  interfaceExists(name) {
    const base = name.split(":")[0] ?? name;
    if (base === "" || base.length > MAX_IFNAME || /[/\s]/.test(base)) return false;
    return interfacesHere().has(base);
  },
  hostResolves(name) {
    if (net.isIP(name) !== 0) return true;
    const r = spawnSync("getent", ["ahostsv4", name], { encoding: "utf8", timeout: 10_000 });
    return r.status === 0 && r.stdout.trim() !== "";
  },
  userExists(name) {
    const r = spawnSync("getent", ["passwd", name], { encoding: "utf8", timeout: 10_000 });
    if (r.error === undefined) return r.status === 0 && r.stdout.trim() !== "";
    // No getent: read the passwd file itself.
    try {
      return fs
        .readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .some((line) => line.split(":")[0] === name);
    } catch {
      return false;
    }
  },
  isExecutable: isExecutableFile,
};

/** Interface names of our network namespace (/proc/net/dev follows the reading process's namespace, /sys may not). */
function interfacesHere(): Set<string> {
  try {
    return new Set(
      fs
        .readFileSync("/proc/net/dev", "utf8")
        .split("\n")
        .slice(2)
        .map((line) => line.split(":")[0]!.trim())
        .filter((n) => n !== ""),
    );
  } catch {
    return new Set(fs.existsSync("/sys/class/net") ? fs.readdirSync("/sys/class/net") : []);
  }
}

/** What the machine checks look at, from ha.cf (present even when ha.cf has other errors). */
export interface MachineFacts {
  readonly media: readonly MediumConfig[];
  readonly pingNodes: readonly PingNodeConfig[];
  readonly respawn: readonly RespawnConfig[];
}

/**
 * Heartbeat's start-up checks that depend on the machine, each with Heartbeat's own refusal in
 * the message: a medium on an interface that does not exist, a ucast peer or ping host that does
 * not resolve, a respawn user that does not exist, a respawn program that is not executable.
 * Twinbeat's own ipfail is built in, so an ipfail path need not exist (its user must, as in
 * Heartbeat). Errors for `this` machine, warnings for `another`, nothing for `skip`.
 */
export function checkMachine(facts: MachineFacts, mode: MachineMode, probe: MachineProbe = SYSTEM_PROBE): ConfigDiagnostic[] {
  if (mode === "skip") return [];
  const out: ConfigDiagnostic[] = [];
  // `problem` is what is wrong on this machine; `refusal` is how Heartbeat refuses it.
  const report = (at: MediumConfig["at"], problem: string, refusal: string): void => {
    out.push(
      mode === "this"
        ? configError(at, `${problem} on this machine, and Heartbeat refuses to start then (${refusal})`)
        : configWarning(at, `${problem} on this machine: the machine this file is for must have it, or Heartbeat refuses to start there (${refusal})`),
    );
  };
  const seenDev = new Set<string>();
  for (const medium of facts.media) {
    if (seenDev.has(medium.dev)) continue;
    seenDev.add(medium.dev);
    if (!probe.interfaceExists(medium.dev)) {
      report(medium.at, `${medium.kind} ${medium.dev}: there is no network interface "${medium.dev}"`, "a medium needs its interface");
    }
  }
  for (const medium of facts.media) {
    if (medium.kind === "ucast" && !probe.hostResolves(medium.peer)) {
      report(medium.at, `ucast peer "${medium.peer}" does not resolve to an IPv4 address`, "write the peer's address instead of a name");
    }
  }
  for (const ping of facts.pingNodes) {
    for (const host of ping.hosts) {
      if (!probe.hostResolves(host)) {
        report(ping.at, `${ping.kind} host "${host}" does not resolve to an IPv4 address`, `"Illegal ping [ping membership] in config file [${host}]"`);
      }
    }
  }
  for (const child of facts.respawn) {
    if (!probe.userExists(child.user)) {
      report(child.at, `respawn user "${child.user}" does not exist`, `"Invalid uid [${child.user}] specified for client child"`);
    }
    if (!isBuiltinIpfail(child.command) && !probe.isExecutable(child.command)) {
      report(child.at, `respawn program "${child.command}" is not an executable file`, `"Client child command [${child.command}] is not executable"`);
    }
  }
  return out;
}
