// Tests for the built-in IP agents: argument forms, address arithmetic, route lookup, and start/stop/status against a fake `ip`.

import assert from "node:assert/strict";
import * as net from "node:net";
import { describe, it } from "node:test";
import type { ResourceSpec } from "../config/cluster-config";
import {
  addCommand,
  dottedNetmaskBits,
  findAddressPlacements,
  findConnectedRoute,
  IpAddressAgent,
  ipToBigInt,
  parseVirtualAddress,
  prefixContains,
  sameAddress,
  type VirtualAddress,
} from "./ip-address-agent";
import type { CommandRunner, ProcessResult } from "../adapters/process-runner";
import type { AgentContext } from "./resource-agent";

function spec(name: string, arg?: string): ResourceSpec {
  return { raw: arg === undefined ? name : `${name}::${arg}`, name, args: arg === undefined ? [] : [arg] };
}

describe("parseVirtualAddress()", () => {
  const good: ReadonlyArray<readonly [string, string, VirtualAddress]> = [
    ["IPaddr", "192.168.8.100", { family: 4, address: "192.168.8.100" }],
    ["IPaddr", "192.168.8.100/32", { family: 4, address: "192.168.8.100", prefix: 32 }],
    ["IPaddr", "10.0.0.5/24/eth0/10.0.0.255", { family: 4, address: "10.0.0.5", prefix: 24, nic: "eth0", broadcast: "10.0.0.255" }],
    ["IPaddr", "10.0.0.5/255.255.255.0/10.0.0.255", { family: 4, address: "10.0.0.5", prefix: 24, broadcast: "10.0.0.255" }],
    ["IPaddr", "10.0.0.5/255.255.0.0/eth1", { family: 4, address: "10.0.0.5", prefix: 16, nic: "eth1" }],
    ["IPaddr2", "192.0.2.100/24/eth0:web", { family: 4, address: "192.0.2.100", prefix: 24, nic: "eth0", label: "web" }],
    ["IPaddr2", "192.0.2.100/24/eth0:0/192.0.2.255", { family: 4, address: "192.0.2.100", prefix: 24, nic: "eth0", label: "0", broadcast: "192.0.2.255" }],
    ["IPaddr2", "192.0.2.100//eth0", { family: 4, address: "192.0.2.100", nic: "eth0" }],
    ["IPaddr2", "2001:db8::10/64", { family: 6, address: "2001:db8::10", prefix: 64 }],
    ["IPaddr2", "2001:db8::10/64/eth0", { family: 6, address: "2001:db8::10", prefix: 64, nic: "eth0" }],
    ["IPv6addr", "2001:db8::10/64", { family: 6, address: "2001:db8::10", prefix: 64 }],
    ["IPv6addr", "2001:db8:0:0:0:0:0:10", { family: 6, address: "2001:db8:0:0:0:0:0:10" }],
    ["IPv6addr", "2001:db8::10/128/bond0.12", { family: 6, address: "2001:db8::10", prefix: 128, nic: "bond0.12" }],
    ["ocf:heartbeat:IPaddr2", "198.51.100.7/24", { family: 4, address: "198.51.100.7", prefix: 24 }],
  ];
  for (const [name, arg, expected] of good) {
    it(`reads ${name}::${arg}`, () => {
      assert.deepEqual(parseVirtualAddress(spec(name, arg)), { ok: true, value: expected });
    });
  }

  const bad: ReadonlyArray<readonly [string, string | undefined, string]> = [
    ["IPaddr", undefined, 'resource "IPaddr": IPaddr takes one argument, ADDRESS[/PREFIX[/NIC]], got 0'],
    ["IPaddr", "192.0.2.300", 'resource "IPaddr::192.0.2.300": "192.0.2.300" is not an IPv4 or IPv6 address'],
    ["IPv6addr", "192.0.2.1", 'resource "IPv6addr::192.0.2.1": "192.0.2.1" is not an IPv6 address'],
    ["IPaddr2", "192.0.2.1/33", 'resource "IPaddr2::192.0.2.1/33": netmask "33" is not valid: expected 0 to 32 bits or a dotted netmask like 255.255.255.0'],
    [
      "IPaddr2",
      "192.0.2.1/255.0.255.0",
      'resource "IPaddr2::192.0.2.1/255.0.255.0": netmask "255.0.255.0" is not valid: expected 0 to 32 bits or a dotted netmask like 255.255.255.0',
    ],
    ["IPaddr2", "192.0.2.1/24/eth0/x", 'resource "IPaddr2::192.0.2.1/24/eth0/x": "x" is not a broadcast address'],
    [
      "IPaddr2",
      "192.0.2.1/24/192.0.2.255/192.0.2.255",
      'resource "IPaddr2::192.0.2.1/24/192.0.2.255/192.0.2.255": "192.0.2.255" is not a network interface name',
    ],
    [
      "IPaddr2",
      "192.0.2.1/24/eth0:averyverylonglabel",
      'resource "IPaddr2::192.0.2.1/24/eth0:averyverylonglabel": "eth0:averyverylonglabel" is not a valid interface label: NIC:LABEL, at most 15 characters in all',
    ],
    ["IPaddr2", "192.0.2.1/24/et h0", 'resource "IPaddr2::192.0.2.1/24/et h0": "et h0" is not a network interface name'],
    ["IPaddr2", "2001:db8::1/129", 'resource "IPaddr2::2001:db8::1/129": prefix "129" is not valid: expected 0 to 128'],
    ["IPaddr2", "2001:db8::1/64/eth0:0", 'resource "IPaddr2::2001:db8::1/64/eth0:0": interface labels ("eth0:0") exist for IPv4 addresses only'],
    ["IPv6addr", "2001:db8::1/64/eth0/x", 'resource "IPv6addr::2001:db8::1/64/eth0/x": too many "/" fields: expected ADDRESS[/PREFIX[/NIC]]'],
  ];
  for (const [name, arg, message] of bad) {
    it(`refuses ${name}${arg === undefined ? "" : `::${arg}`}`, () => {
      assert.deepEqual(parseVirtualAddress(spec(name, arg)), { ok: false, message });
    });
  }

  it("refuses more than one argument", () => {
    const parsed = parseVirtualAddress({ raw: "IPaddr::192.0.2.1::eth0", name: "IPaddr", args: ["192.0.2.1", "eth0"] });
    assert.deepEqual(parsed, { ok: false, message: 'resource "IPaddr::192.0.2.1::eth0": IPaddr takes one argument, ADDRESS[/PREFIX[/NIC]], got 2' });
  });
});

describe("address arithmetic", () => {
  it("dottedNetmaskBits() accepts contiguous masks only", () => {
    assert.deepEqual(["255.255.255.255", "255.255.255.0", "255.255.128.0", "0.0.0.0", "255.0.255.0", "0.255.255.255"].map(dottedNetmaskBits), [
      32,
      24,
      17,
      0,
      null,
      null,
    ]);
  });

  it("ipToBigInt() and sameAddress() compare IPv6 spellings by value", () => {
    assert.equal(ipToBigInt("192.0.2.1"), 0xc0000201n);
    assert.equal(ipToBigInt("2001:db8::10"), 0x20010db8000000000000000000000010n);
    assert.equal(ipToBigInt("::"), 0n);
    assert.equal(ipToBigInt("::ffff:192.0.2.1"), 0xffffc0000201n);
    assert.ok(sameAddress("2001:db8::10", "2001:0DB8:0:0:0:0:0:0010"));
    assert.ok(!sameAddress("2001:db8::10", "2001:db8::11"));
    assert.ok(!sameAddress("192.0.2.1", "::ffff:192.0.2.1"));
  });

  it("prefixContains() checks the network part only", () => {
    assert.ok(prefixContains("192.0.2.0", 24, "192.0.2.200"));
    assert.ok(!prefixContains("192.0.2.0", 25, "192.0.2.200"));
    assert.ok(prefixContains("0.0.0.0", 0, "203.0.113.9"));
    assert.ok(prefixContains("2001:db8::", 32, "2001:db8:ffff::1"));
    assert.ok(!prefixContains("2001:db8::", 64, "2001:db8:0:1::1"));
    assert.ok(!prefixContains("192.0.2.0", 24, "2001:db8::1"));
  });
});

describe("findConnectedRoute() finds the interface like Heartbeat's findif", () => {
  const routes = [
    { dst: "default", gateway: "192.0.2.1", dev: "eth0" },
    { dst: "192.0.2.0/24", dev: "eth0", protocol: "kernel", scope: "link" },
    { dst: "192.0.2.128/25", dev: "eth1", protocol: "kernel", scope: "link" },
    { dst: "198.51.100.0/24", gateway: "192.0.2.1", dev: "eth0" },
    { dst: "203.0.113.5", dev: "eth2" },
    { type: "unreachable", dst: "203.0.113.0/24" },
    { dst: "2001:db8:1::/64", dev: "eth0" },
    { dst: "fe80::/64", dev: "eth0" },
  ];
  const table: ReadonlyArray<readonly [string, string | undefined, { nic: string; prefix: number } | undefined]> = [
    ["192.0.2.10", undefined, { nic: "eth0", prefix: 24 }],
    ["192.0.2.200", undefined, { nic: "eth1", prefix: 25 }],
    ["192.0.2.200", "eth0", { nic: "eth0", prefix: 24 }],
    ["198.51.100.7", undefined, undefined],
    ["203.0.113.5", undefined, { nic: "eth2", prefix: 32 }],
    ["203.0.113.6", undefined, undefined],
    ["2001:db8:1::10", undefined, { nic: "eth0", prefix: 64 }],
    ["2001:db8:2::10", undefined, undefined],
  ];
  for (const [address, nic, expected] of table) {
    it(`${address}${nic ? ` on ${nic}` : ""} → ${expected ? `${expected.nic}/${expected.prefix}` : "none"}`, () => {
      assert.deepEqual(findConnectedRoute(routes, address, nic), expected);
    });
  }
});

describe("findAddressPlacements()", () => {
  it("finds every interface holding the address in `ip -j addr` output", () => {
    const links = [
      { ifname: "lo", addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8 }] },
      { ifname: "eth0", addr_info: [{ family: "inet6", local: "2001:db8::10", prefixlen: 64 }] },
      { ifname: "eth1", addr_info: [{ family: "inet6", local: "2001:db8:0::0010", prefixlen: 128 }] },
      { ifname: "broken" },
    ];
    assert.deepEqual(findAddressPlacements(links, "2001:db8::10"), [
      { nic: "eth0", prefix: 64 },
      { nic: "eth1", prefix: 128 },
    ]);
    assert.deepEqual(findAddressPlacements("garbage", "2001:db8::10"), []);
  });
});

describe("addCommand()", () => {
  it("adds IPv4 with a computed broadcast and a label, IPv6 with nodad", () => {
    assert.deepEqual(addCommand({ address: { family: 4, address: "192.0.2.100", label: "web" }, nic: "eth0", prefix: 24 }), [
      "-4",
      "addr",
      "add",
      "192.0.2.100/24",
      "brd",
      "+",
      "dev",
      "eth0",
      "label",
      "eth0:web",
    ]);
    assert.deepEqual(addCommand({ address: { family: 4, address: "192.0.2.100", broadcast: "192.0.2.127" }, nic: "eth0", prefix: 25 }), [
      "-4",
      "addr",
      "add",
      "192.0.2.100/25",
      "brd",
      "192.0.2.127",
      "dev",
      "eth0",
    ]);
    assert.deepEqual(addCommand({ address: { family: 4, address: "192.0.2.100" }, nic: "eth0", prefix: 32 }), [
      "-4",
      "addr",
      "add",
      "192.0.2.100/32",
      "dev",
      "eth0",
    ]);
    assert.deepEqual(addCommand({ address: { family: 6, address: "2001:db8::10" }, nic: "eth0", prefix: 64 }), [
      "-6",
      "addr",
      "add",
      "2001:db8::10/64",
      "dev",
      "eth0",
      "nodad",
    ]);
  });
});

// ---------------------------------------------------------------------------------------
// The agent against an in-memory `ip`
// ---------------------------------------------------------------------------------------

function exited(exitCode: number, output: string, stdout = output): ProcessResult {
  return { kind: "exited", pid: 4242, exitCode, stdout, output, durationMs: 1 };
}

/** Just enough of iproute2 and Habets' arping: links with addresses, connected routes, add/del. */
class FakeNetwork {
  readonly addresses = new Map<string, Array<{ local: string; prefixlen: number }>>();
  readonly routes: Array<{ dst: string; dev: string }> = [];
  readonly commands: string[] = [];

  constructor(links: Record<string, string[]>, routes: Array<{ dst: string; dev: string }>) {
    for (const [nic, cidrs] of Object.entries(links)) {
      this.addresses.set(
        nic,
        cidrs.map((c) => ({ local: c.split("/")[0]!, prefixlen: Number(c.split("/")[1]) })),
      );
    }
    this.routes.push(...routes);
  }

  readonly run: CommandRunner = async (file, args) => {
    if (file.endsWith("/arping")) {
      if (args[0] === "--help") {
        return exited(0, "ARPing 2.23, by Thomas Habets <thomas@habets.se>\n");
      }
      this.commands.push(`arping ${args.join(" ")}`);
      return exited(1, `${args[2]} packets transmitted, 0 packets received\n`);
    }
    if (file.endsWith("/send_ua")) {
      this.commands.push(`send_ua ${args.join(" ")}`);
      return exited(0, "");
    }
    const [familyFlag, ...rest] = args;
    const v6 = familyFlag === "-6";
    const inFamily = (a: string): boolean => net.isIPv6(a) === v6;
    if (rest.join(" ") === "-j route show") {
      return exited(0, "", JSON.stringify(this.routes.filter((r) => inFamily(r.dst.split("/")[0]!))));
    }
    if (rest.join(" ") === "-j addr show") {
      const links = [...this.addresses].map(([ifname, infos]) => ({ ifname, addr_info: infos.filter((i) => inFamily(i.local)) }));
      return exited(0, "", JSON.stringify(links));
    }
    this.commands.push(`ip ${args.join(" ")}`);
    const [, verb, cidr, ...more] = rest;
    const nic = more[more.indexOf("dev") + 1]!;
    const list = this.addresses.get(nic);
    if (list === undefined) {
      return exited(1, `Cannot find device "${nic}"\n`);
    }
    const [local, bits] = cidr!.split("/");
    const at = list.findIndex((i) => sameAddress(i.local, local!));
    if (verb === "add") {
      if (at >= 0) {
        return exited(2, "RTNETLINK answers: File exists\n");
      }
      list.push({ local: local!, prefixlen: Number(bits) });
      return exited(0, "");
    }
    if (at < 0) {
      return exited(2, "RTNETLINK answers: Cannot assign requested address\n");
    }
    list.splice(at, 1);
    return exited(0, "");
  };
}

function agentFor(raw: string, network: FakeNetwork, missingTools: string[] = []): { agent: IpAddressAgent; logs: string[] } {
  const [name, ...args] = raw.split("::");
  const logs: string[] = [];
  const context: AgentContext = {
    configDir: "/etc/ha.d",
    initDir: "/etc/init.d",
    timeoutMs: 5000,
    env: {},
    log: (level, text) => logs.push(`${level}: ${text}`),
    runCommand: network.run,
  };
  // A test name may carry a compressed IPv6 address: keep the argument whole, as the config parser does.
  const spec: ResourceSpec = { raw, name: name!, args: args.length > 0 ? [args.join("::")] : [] };
  const agent = new IpAddressAgent({
    spec,
    context,
    findTool: (tool) => (missingTools.includes(tool) ? undefined : `/fake/${tool}`),
    announce: { repeatDelayMs: 0 },
  });
  return { agent, logs };
}

describe("IpAddressAgent", () => {
  it("adds an IPv4 address on the interface the routing table names, then announces it; status and stop follow", async () => {
    const network = new FakeNetwork({ eth0: ["192.0.2.1/24"], eth1: ["198.51.100.1/24"] }, [
      { dst: "192.0.2.0/24", dev: "eth0" },
      { dst: "198.51.100.0/24", dev: "eth1" },
    ]);
    const { agent, logs } = agentFor("IPaddr::198.51.100.100", network);
    assert.equal(agent.commandLine, "/etc/ha.d/resource.d/IPaddr 198.51.100.100");
    assert.deepEqual(await agent.status(), { kind: "stopped", words: "198.51.100.100 is not on any interface" });
    assert.deepEqual(await agent.start(), { kind: "succeeded" });
    await agent.settled();
    assert.deepEqual(await agent.status(), { kind: "running", words: "198.51.100.100 is running on eth1 (/24)" });
    assert.deepEqual(network.commands, ["ip -4 addr add 198.51.100.100/24 brd + dev eth1", "arping -U -c 5 -W 0.2 -i eth1 -S 198.51.100.100 198.51.100.100"]);
    assert.deepEqual(logs.slice(0, 3), [
      "info: Running /etc/ha.d/resource.d/IPaddr 198.51.100.100 start",
      "info: IPaddr: ip -4 addr add 198.51.100.100/24 brd + dev eth1",
      "info: IPaddr: Sent 5 gratuitous ARP for 198.51.100.100 on eth1",
    ]);
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
    assert.equal(network.commands.at(-1), "ip -4 addr del 198.51.100.100/24 dev eth1");
    assert.equal((await agent.status()).kind, "stopped");
  });

  it("is idempotent: start when present and stop when absent both succeed without changing anything", async () => {
    const network = new FakeNetwork({ eth0: ["192.0.2.1/24", "192.0.2.100/24"] }, [{ dst: "192.0.2.0/24", dev: "eth0" }]);
    const { agent } = agentFor("IPaddr2::192.0.2.100/24/eth0", network);
    assert.deepEqual(await agent.start(), { kind: "succeeded" });
    await agent.settled();
    assert.deepEqual(network.commands, ["arping -U -c 5 -W 0.2 -i eth0 -S 192.0.2.100 192.0.2.100"], "only re-announced");
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
    assert.equal(network.commands.filter((c) => c.startsWith("ip ")).length, 1);
  });

  it("adds IPv6 with nodad and announces with send_ua", async () => {
    const network = new FakeNetwork({ eth0: ["2001:db8::1/64"] }, [{ dst: "2001:db8::/64", dev: "eth0" }]);
    const { agent } = agentFor("IPv6addr::2001:db8::10", network);
    assert.deepEqual(await agent.start(), { kind: "succeeded" });
    await agent.settled();
    assert.deepEqual(network.commands, ["ip -6 addr add 2001:db8::10/64 dev eth0 nodad", "send_ua -i 200 -c 5 2001:db8::10 64 eth0"]);
    assert.deepEqual(await agent.status(), { kind: "running", words: "2001:db8::10 is running on eth0 (/64)" });
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
    assert.equal(network.commands.at(-1), "ip -6 addr del 2001:db8::10/64 dev eth0");
  });

  it("uses the given nic and a full-length prefix when no route matches", async () => {
    const network = new FakeNetwork({ eth0: [] }, []);
    const { agent, logs } = agentFor("IPaddr2::203.0.113.9//eth0", network);
    assert.deepEqual(await agent.start(), { kind: "succeeded" });
    assert.equal(network.commands[0], "ip -4 addr add 203.0.113.9/32 dev eth0");
    assert.ok(logs.includes("info: IPaddr2: no connected route on eth0 contains 203.0.113.9: using /32"));
  });

  it("fails clearly when no nic is given and no connected route contains the address", async () => {
    const network = new FakeNetwork({ eth0: ["192.0.2.1/24"] }, [{ dst: "192.0.2.0/24", dev: "eth0" }]);
    const { agent } = agentFor("IPaddr::203.0.113.9", network);
    assert.deepEqual(await agent.start(), {
      kind: "failed",
      exitCode: 6,
      output: "Cannot find an interface for 203.0.113.9: no connected route contains it (name one, e.g. IPaddr::203.0.113.9/24/eth0)",
    });
    assert.deepEqual(network.commands, []);
  });

  it("reports an unknown interface as a failed start with iproute2's words", async () => {
    const network = new FakeNetwork({ eth0: [] }, []);
    const { agent, logs } = agentFor("IPaddr2::192.0.2.100/24/eth9", network);
    const outcome = await agent.start();
    assert.deepEqual(outcome, { kind: "failed", exitCode: 1, output: 'Cannot find device "eth9"\n' });
    assert.ok(logs.includes('error: IPaddr2: start of IPaddr2::192.0.2.100/24/eth9 failed: Cannot find device "eth9"'));
  });

  it("names the Debian package when ip is missing", async () => {
    const network = new FakeNetwork({}, []);
    const { agent } = agentFor("IPaddr2::192.0.2.100/24/eth0", network, ["ip"]);
    assert.deepEqual(await agent.start(), { kind: "not-found", message: "ip not found: install the Debian package iproute2" });
    assert.deepEqual(await agent.status(), { kind: "unknown", words: "ip not found: install the Debian package iproute2" });
  });

  it("still starts when arping is missing, and says so in the log", async () => {
    const network = new FakeNetwork({ eth0: [] }, []);
    const { agent, logs } = agentFor("IPaddr2::192.0.2.100/24/eth0", network, ["arping"]);
    assert.deepEqual(await agent.start(), { kind: "succeeded" });
    await agent.settled();
    assert.ok(
      logs.some((l) =>
        l.startsWith("warn: IPaddr2: Could not send gratuitous ARP for 192.0.2.100 on eth0: arping not found: install the Debian package arping"),
      ),
    );
    assert.deepEqual(await agent.announce(), {
      kind: "not-found",
      message: "arping not found: install the Debian package arping (or iputils-arping) to send gratuitous ARP",
    });
  });

  it("announce() re-announces where the address is, and refuses when it is not there", async () => {
    const network = new FakeNetwork({ eth0: ["192.0.2.100/24"] }, []);
    const { agent } = agentFor("IPaddr2::192.0.2.100/24/eth0", network);
    assert.deepEqual(await agent.announce(), { kind: "succeeded" });
    assert.deepEqual(network.commands, ["arping -U -c 5 -W 0.2 -i eth0 -S 192.0.2.100 192.0.2.100"]);
    await agent.stop();
    assert.deepEqual(await agent.announce(), { kind: "failed", exitCode: 7, output: "192.0.2.100 is not on eth0: nothing to announce" });
  });

  it("an announce() that a stop overtakes while it looks for the address sends nothing (the stop removes it)", async () => {
    const network = new FakeNetwork({ eth0: ["192.0.2.100/24"] }, []);
    const { agent } = agentFor("IPaddr2::192.0.2.100/24/eth0", network);
    // The heal: announce-group for every held group, then drop-addresses for the one released.
    const announced = agent.announce();
    const stopped = agent.stop();
    assert.deepEqual(await announced, { kind: "failed", exitCode: 7, output: "192.0.2.100 is being removed here: not announced" });
    assert.deepEqual(await stopped, { kind: "succeeded" });
    assert.deepEqual(
      network.commands.filter((c) => c.startsWith("arping")),
      [],
    );
  });

  it("status says where the address is when it is on another interface", async () => {
    const network = new FakeNetwork({ eth0: [], eth1: ["192.0.2.100/24"] }, []);
    const { agent } = agentFor("IPaddr2::192.0.2.100/24/eth0", network);
    assert.deepEqual(await agent.status(), { kind: "stopped", words: "192.0.2.100 is not on eth0 (it is on eth1 (/24))" });
  });

  it("a bad argument fails every operation with the reason", async () => {
    const network = new FakeNetwork({}, []);
    const { agent } = agentFor("IPaddr2::192.0.2.1/40", network);
    const message = 'resource "IPaddr2::192.0.2.1/40": netmask "40" is not valid: expected 0 to 32 bits or a dotted netmask like 255.255.255.0';
    assert.deepEqual(await agent.start(), { kind: "failed", exitCode: 6, output: message });
    assert.deepEqual(await agent.stop(), { kind: "failed", exitCode: 6, output: message });
    assert.deepEqual(await agent.status(), { kind: "unknown", words: message });
  });
});
