// Tests for the machine-dependent checks: interfaces, host names, users and programs, for this machine or another.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDiagnostic } from "./format-diagnostic";
import { parseHaCf } from "./ha-cf-parser";
import type { MachineProbe } from "./machine-checks";
import { checkMachine, SYSTEM_PROBE } from "./machine-checks";

const FILE = "/etc/ha.d/ha.cf";

/** A machine with interfaces eth0 and eth1, host srv6 in /etc/hosts, users root and hacluster, and /usr/sbin/ok. */
const PROBE: MachineProbe = {
  interfaceExists: (name) => ["eth0", "eth1"].includes(name.split(":")[0]!),
  hostResolves: (name) => /^\d+\.\d+\.\d+\.\d+$/.test(name) || name === "srv6",
  userExists: (name) => ["root", "hacluster"].includes(name),
  isExecutable: (path) => path === "/usr/sbin/ok",
};

function machineFindings(text: string, mode: "this" | "another"): string[] {
  return checkMachine(parseHaCf(text, FILE).machineFacts, mode, PROBE).map(formatDiagnostic);
}

describe("checkMachine()", () => {
  const realFile = [
    "bcast network_adapter", // a placeholder left in a real file
    "ucast eth1 srv6",
    "ucast eth1 peerhost",
    "ping gateway",
    "ping_group g 192.0.2.1 router",
    "node srv5 srv6",
    "auto_failback on",
    "respawn cluster /usr/lib/heartbeat/ipfail", // a real line: there is no user "cluster"
    "respawn hacluster /usr/lib/heartbeat/dopd",
    "respawn root /usr/sbin/ok",
  ].join("\n");

  it("refuses on this machine what Heartbeat refuses to start with", () => {
    assert.deepEqual(machineFindings(realFile, "this"), [
      '/etc/ha.d/ha.cf:1: bcast network_adapter: there is no network interface "network_adapter" on this machine, and Heartbeat refuses to start then (a medium needs its interface)',
      '/etc/ha.d/ha.cf:3: ucast peer "peerhost" does not resolve to an IPv4 address on this machine, and Heartbeat refuses to start then (write the peer\'s address instead of a name)',
      '/etc/ha.d/ha.cf:4: ping host "gateway" does not resolve to an IPv4 address on this machine, and Heartbeat refuses to start then ("Illegal ping [ping membership] in config file [gateway]")',
      '/etc/ha.d/ha.cf:5: ping_group host "router" does not resolve to an IPv4 address on this machine, and Heartbeat refuses to start then ("Illegal ping [ping membership] in config file [router]")',
      '/etc/ha.d/ha.cf:8: respawn user "cluster" does not exist on this machine, and Heartbeat refuses to start then ("Invalid uid [cluster] specified for client child")',
      '/etc/ha.d/ha.cf:9: respawn program "/usr/lib/heartbeat/dopd" is not an executable file on this machine, and Heartbeat refuses to start then ("Client child command [/usr/lib/heartbeat/dopd] is not executable")',
    ]);
  });

  it("only warns when the file is judged for another machine", () => {
    const another = checkMachine(parseHaCf(realFile, FILE).machineFacts, "another", PROBE);
    assert.equal(another.length, 6);
    assert.ok(another.every((d) => d.severity === "warning"));
    assert.match(
      formatDiagnostic(another[0]!),
      /warning: bcast network_adapter: .* the machine this file is for must have it, or Heartbeat refuses to start there/,
    );
  });

  it("finds nothing on a machine that has everything, and checks nothing when skipped", () => {
    assert.deepEqual(machineFindings("bcast eth0\nucast eth1:0 192.0.2.6\nnode a\nrespawn root /usr/sbin/ok\n", "this"), []);
    assert.deepEqual(checkMachine(parseHaCf(realFile, FILE).machineFacts, "skip", PROBE), []);
  });

  it("the system probe sees loopback, root and IP literals, and no impossible interface name", () => {
    assert.equal(SYSTEM_PROBE.interfaceExists("lo"), true);
    assert.equal(SYSTEM_PROBE.interfaceExists("network_adapter"), false);
    assert.equal(SYSTEM_PROBE.interfaceExists("a-name-longer-than-15"), false);
    assert.equal(SYSTEM_PROBE.userExists("root"), true);
    assert.equal(SYSTEM_PROBE.userExists("no-such-user-twinbeat"), false);
    assert.equal(SYSTEM_PROBE.hostResolves("192.0.2.1"), true);
    assert.equal(SYSTEM_PROBE.isExecutable("/bin/sh"), true);
  });
});
