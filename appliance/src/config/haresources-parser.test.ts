// Tests for the haresources parser: logical lines, resources, IPv6 addresses and group keys.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDiagnostic } from "./format-diagnostic";
import { looksLikeBareIpv6, parseHaresources, parseResource, splitIpAgentArgs } from "./haresources-parser";
import { normalizeNodeName } from "../cluster/time";

const FILE = "/etc/ha.d/haresources";
const NODES = ["node1", "node2"].map(normalizeNodeName);

function findings(text: string): string[] {
  return parseHaresources(text, FILE, NODES).diagnostics.map(formatDiagnostic);
}

function resourceOf(raw: string): { name: string; args: readonly string[] } {
  const parsed = parseResource(raw);
  assert.ok("resource" in parsed, "error" in parsed ? parsed.error : "");
  return { name: parsed.resource.name, args: parsed.resource.args };
}

function errorOf(raw: string): string {
  const parsed = parseResource(raw);
  assert.ok("error" in parsed, `expected an error for ${raw}`);
  return parsed.error;
}

describe("parseHaresources() lines", () => {
  it("reads one group per line: home node lower-cased, first resource as key", () => {
    const { groups, diagnostics } = parseHaresources(
      "# comment\nNode1 192.0.2.5 Filesystem::/dev/sda1::/data::ext3 httpd\n\nnode2\tIPaddr2::192.0.2.6/24/eth0  mysql # db\n",
      FILE,
      NODES,
    );
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      groups.map((g) => ({ node: g.homeNode, key: g.key, line: g.at.line, resources: g.resources.map((r) => [r.raw, r.name, r.args]) })),
      [
        {
          node: "node1",
          key: "192.0.2.5",
          line: 2,
          resources: [
            ["192.0.2.5", "IPaddr", ["192.0.2.5"]],
            ["Filesystem::/dev/sda1::/data::ext3", "Filesystem", ["/dev/sda1", "/data", "ext3"]],
            ["httpd", "httpd", []],
          ],
        },
        {
          node: "node2",
          key: "IPaddr2::192.0.2.6/24/eth0",
          line: 4,
          resources: [
            ["IPaddr2::192.0.2.6/24/eth0", "IPaddr2", ["192.0.2.6/24/eth0"]],
            ["mysql", "mysql", []],
          ],
        },
      ],
    );
  });

  it("joins continued lines and reports the first physical line", () => {
    const { groups, diagnostics } = parseHaresources("\nnode1 192.0.2.5 \\\n   httpd \\\n\tsmb\nnode2 192.0.2.6\n", FILE, NODES);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      groups.map((g) => [g.at.line, g.resources.map((r) => r.raw)]),
      [
        [2, ["192.0.2.5", "httpd", "smb"]],
        [5, ["192.0.2.6"]],
      ],
    );
  });

  it("warns when a continuation glues two words, as Heartbeat's sed does", () => {
    const { groups, diagnostics } = parseHaresources("node1 192.0.2.5\\\nhttpd\n", FILE, NODES);
    assert.deepEqual(diagnostics.map(formatDiagnostic), [
      '/etc/ha.d/haresources:2: warning: the line continuation glues "192.0.2.5" and "httpd" into "192.0.2.5httpd": put a space before the "\\"',
      '/etc/ha.d/haresources:1: resource "192.0.2.5httpd" is not a valid IP address resource: "192.0.2.5httpd" is not an IPv4 address',
    ]);
    assert.equal(groups[0]?.key, "192.0.2.5httpd");
  });

  it("warns about a comment on a continued line, which Heartbeat would keep", () => {
    assert.deepEqual(findings("node1 192.0.2.5 \\\n httpd # web\n"), [
      "/etc/ha.d/haresources:2: warning: comment on a continued line: Heartbeat's ResourceManager keeps it and would read its words as resources (put the comment on a line of its own)",
    ]);
  });

  it("does not continue a line whose backslash is followed by spaces", () => {
    assert.deepEqual(findings("node1 192.0.2.5 \\ \nnode2 192.0.2.6\n"), [
      '/etc/ha.d/haresources:1: a "\\" followed by spaces does not continue the line: remove the spaces after it',
    ]);
  });

  it("checks home nodes against ha.cf, unless ha.cf could not be read", () => {
    assert.deepEqual(findings("node3 192.0.2.5\n"), ['/etc/ha.d/haresources:1: node "node3" is not declared in ha.cf']);
    assert.deepEqual(parseHaresources("node3 192.0.2.5\n", FILE, undefined).diagnostics, []);
  });

  it("refuses a line with a node and no resources", () => {
    assert.deepEqual(findings("node1\n"), ['/etc/ha.d/haresources:1: node "node1" has no resources on this line: expected "NODE RESOURCE [RESOURCE...]"']);
  });

  it("warns when there are no groups at all", () => {
    assert.deepEqual(findings("# nothing here\n"), ["/etc/ha.d/haresources: warning: haresources has no resource groups: this cluster manages no resources"]);
  });
});

describe("parseHaresources() group keys", () => {
  it("refuses a key used twice", () => {
    assert.deepEqual(findings("node1 192.0.2.5 httpd\nnode2 192.0.2.5 smb\n"), [
      '/etc/ha.d/haresources:2: resource group key "192.0.2.5" is already used by the group at line 1: the first resource of each line must be unique',
    ]);
  });

  it("warns when a key also occurs inside another line, as Heartbeat's egrep would find both", () => {
    assert.deepEqual(findings("node1 httpd 192.0.2.5\nnode2 192.0.2.6 httpd\n"), [
      '/etc/ha.d/haresources:1: warning: resource group key "httpd" also matches line 2: Heartbeat finds a group by searching haresources for its key, so it would mix the two lines (make each first resource unique)',
    ]);
  });

  it("treats a key as a regular expression, a dot matching any character", () => {
    assert.deepEqual(findings("node1 192.0.2.5\nnode2 192.0.2.6 192x0.2.5\n"), [
      '/etc/ha.d/haresources:1: warning: resource group key "192.0.2.5" also matches line 2: Heartbeat finds a group by searching haresources for its key, so it would mix the two lines (make each first resource unique)',
    ]);
    assert.deepEqual(findings("node1 192.0.2.5\nnode2 192.0.2.55\n"), []);
  });
});

describe("parseResource()", () => {
  it("reads the bare IPv4 shorthand as IPaddr with the raw token", () => {
    assert.deepEqual(resourceOf("192.168.8.100"), { name: "IPaddr", args: ["192.168.8.100"] });
    assert.deepEqual(resourceOf("192.0.2.5/24/eth0/192.0.2.255"), { name: "IPaddr", args: ["192.0.2.5/24/eth0/192.0.2.255"] });
    assert.deepEqual(resourceOf("192.0.2.5/255.255.255.0/192.0.2.255"), { name: "IPaddr", args: ["192.0.2.5/255.255.255.0/192.0.2.255"] });
  });

  it("splits name::arg::arg", () => {
    assert.deepEqual(resourceOf("MailTo::root@example.com::Failover"), { name: "MailTo", args: ["root@example.com", "Failover"] });
    assert.deepEqual(resourceOf("OCF::Filesystem::data"), { name: "OCF", args: ["Filesystem", "data"] });
    assert.deepEqual(resourceOf("ocf:heartbeat:IPaddr2::192.0.2.9/24"), { name: "ocf:heartbeat:IPaddr2", args: ["192.0.2.9/24"] });
    assert.deepEqual(resourceOf("Delay::5::0"), { name: "Delay", args: ["5", "0"] });
  });

  const errors: ReadonlyArray<readonly [string, string]> = [
    ["IPaddr::", 'resource "IPaddr::" has an empty argument: remove the extra "::" or give the argument'],
    ["Filesystem::/dev/sda1::::ext3", 'resource "Filesystem::/dev/sda1::::ext3" has an empty argument: remove the extra "::" or give the argument'],
    ["::httpd", 'resource "::httpd" has an empty name: expected NAME or NAME::ARG[::ARG...]'],
    ["192.168.8.300", 'resource "192.168.8.300" is not a valid IP address resource: "192.168.8.300" is not an IPv4 address'],
    [
      "192.0.2.5/33",
      'resource "192.0.2.5/33" is not a valid IP address resource: netmask "33" is not valid: expected 0 to 32 bits or a dotted netmask like 255.255.255.0',
    ],
    [
      "192.0.2.5/24/eth0/192.0.2.255/x",
      'resource "192.0.2.5/24/eth0/192.0.2.255/x" is not a valid IP address resource: too many "/" fields in "192.0.2.5/24/eth0/192.0.2.255/x": expected ADDRESS[/NETMASK[/NIC[/BROADCAST]]]',
    ],
    ["IPaddr", 'resource "IPaddr" needs an address: expected IPaddr::ADDRESS[/PREFIX[/NIC]]'],
    ["IPaddr2::www.example.com", 'resource "IPaddr2::www.example.com" is not a valid IP address resource: "www.example.com" is not an IPv4 or IPv6 address'],
    ["IPv6addr::192.0.2.5", 'resource "IPv6addr::192.0.2.5" is not a valid IP address resource: "192.0.2.5" is not an IPv6 address'],
    ["IPv6addr::2001:db8::10/129", 'resource "IPv6addr::2001:db8::10/129" is not a valid IP address resource: prefix "129" is not valid: expected 0 to 128'],
    ["OCF", 'resource "OCF" needs an agent: expected OCF::AGENT::INSTANCE'],
    ["../bin/sh", 'resource "../bin/sh" has an invalid script name "../bin/sh": a name may contain letters, digits, "_", ".", "+" and "-"'],
    [
      "2001:db8::10/64",
      'resource "2001:db8::10/64" is a bare IPv6 address, which haresources does not accept: write IPv6addr::2001:db8::10/64 or IPaddr2::2001:db8::10/64',
    ],
  ];
  for (const [raw, message] of errors) {
    it(`refuses "${raw}"`, () => {
      assert.equal(errorOf(raw), message);
    });
  }
});

describe("IPv6 addresses in haresources (Twinbeat extension)", () => {
  const cases: ReadonlyArray<readonly [string, string, readonly string[]]> = [
    ["IPv6addr::2001:db8::10/64", "IPv6addr", ["2001:db8::10/64"]],
    ["IPv6addr::2001:db8::10", "IPv6addr", ["2001:db8::10"]],
    ["IPv6addr::2001:db8::10/64/eth0", "IPv6addr", ["2001:db8::10/64/eth0"]],
    ["IPaddr2::2001:db8::10/64/eth0", "IPaddr2", ["2001:db8::10/64/eth0"]],
    ["IPaddr2::fe80::1/64/eth0:1", "IPaddr2", ["fe80::1/64/eth0:1"]],
    ["IPaddr::2001:db8::1", "IPaddr", ["2001:db8::1"]],
    ["IPv6addr::::1", "IPv6addr", ["::1"]],
    ["IPv6addr::2001:db8::", "IPv6addr", ["2001:db8::"]],
    ["IPv6addr::::ffff:192.0.2.1/128", "IPv6addr", ["::ffff:192.0.2.1/128"]],
    ["ocf:heartbeat:IPv6addr::2001:db8::7/64", "ocf:heartbeat:IPv6addr", ["2001:db8::7/64"]],
    // Expanded addresses keep Heartbeat's meaning.
    ["IPv6addr::2001:db8:0:0:0:0:0:10/64", "IPv6addr", ["2001:db8:0:0:0:0:0:10/64"]],
  ];
  for (const [raw, name, args] of cases) {
    it(`reads "${raw}" as ${name} ${JSON.stringify(args)}`, () => {
      assert.deepEqual(resourceOf(raw), { name, args });
    });
  }

  it("keeps :: as the argument separator for every other agent", () => {
    assert.deepEqual(resourceOf("Filesystem::2001:db8::1:/export::/mnt"), { name: "Filesystem", args: ["2001:db8", "1:/export", "/mnt"] });
    assert.deepEqual(resourceOf("MailTo::a::b"), { name: "MailTo", args: ["a", "b"] });
  });

  it("splitIpAgentArgs() rejoins only a compressed address, and splits what follows it", () => {
    assert.deepEqual(splitIpAgentArgs("2001:db8::10/64"), ["2001:db8::10/64"]);
    assert.deepEqual(splitIpAgentArgs("2001:db8::1::eth0"), ["2001:db8::1", "eth0"]);
    assert.deepEqual(splitIpAgentArgs("2001:db8::1/64::extra"), ["2001:db8::1/64", "extra"]);
    assert.deepEqual(splitIpAgentArgs("192.0.2.1/24"), ["192.0.2.1/24"]);
    assert.deepEqual(splitIpAgentArgs("192.0.2.1::x"), ["192.0.2.1", "x"]);
    assert.deepEqual(splitIpAgentArgs("2001:db8:0:0:0:0:0:1"), ["2001:db8:0:0:0:0:0:1"]);
  });

  it("looksLikeBareIpv6() tells an address from a script with an argument", () => {
    assert.equal(looksLikeBareIpv6("2001:db8::10/64"), true);
    assert.equal(looksLikeBareIpv6("::1"), true);
    assert.equal(looksLikeBareIpv6("2001::1"), true);
    assert.equal(looksLikeBareIpv6("2001:db8:0:0:0:0:0:1"), true);
    assert.equal(looksLikeBareIpv6("db::1"), false);
    assert.equal(looksLikeBareIpv6("httpd"), false);
    assert.equal(looksLikeBareIpv6("192.0.2.1"), false);
  });

  it("parses a whole IPv6 haresources file", () => {
    const { groups, diagnostics } = parseHaresources(
      "node1 IPv6addr::2001:db8::10/64/eth0 httpd\nnode2 IPaddr2::2001:db8::20/64 IPaddr2::192.0.2.20/24\n",
      FILE,
      NODES,
    );
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      groups.map((g) => [g.key, g.resources.map((r) => r.args)]),
      [
        ["IPv6addr::2001:db8::10/64/eth0", [["2001:db8::10/64/eth0"], []]],
        ["IPaddr2::2001:db8::20/64", [["2001:db8::20/64"], ["192.0.2.20/24"]]],
      ],
    );
  });
});

describe("IP resources read as Heartbeat's resource.d wrappers read them", () => {
  it("takes // as one separator and ignores a trailing / (real lines: IPaddr::10.0.30.15//8/eth0:10, IPaddr::192.168.60.200/24/eth0/)", () => {
    // Heartbeat's resource.d/IPaddr strips every run of "/" after each field, so these start, report and stop there.
    assert.deepEqual(resourceOf("IPaddr::10.0.30.15//8/eth0:10"), { name: "IPaddr", args: ["10.0.30.15/8/eth0:10"] });
    assert.deepEqual(resourceOf("IPaddr::192.168.60.200/24/eth0/"), { name: "IPaddr", args: ["192.168.60.200/24/eth0"] });
    assert.deepEqual(resourceOf("IPaddr2::192.0.2.9//24//eth1"), { name: "IPaddr2", args: ["192.0.2.9/24/eth1"] });
    assert.deepEqual(resourceOf("192.0.2.9//24/"), { name: "IPaddr", args: ["192.0.2.9/24"] });
    // The key stays as written: it is the group's identity on the wire.
    const { groups, diagnostics } = parseHaresources("node1 IPaddr::10.0.30.15//8/eth0:10 haproxy\n", FILE, NODES);
    assert.deepEqual(diagnostics, []);
    assert.equal(groups[0]?.key, "IPaddr::10.0.30.15//8/eth0:10");
  });

  it("still refuses what the wrappers cannot read", () => {
    assert.match(errorOf("IPaddr::10.0.30.15//33"), /netmask "33" is not valid/);
    assert.match(errorOf("IPaddr::10.0.300.15/24"), /is not an IPv4 or IPv6 address/);
  });
});

describe("haresources with Windows line endings", () => {
  it("warns that a Heartbeat peer keeps the carriage return and fails at takeover", () => {
    const text = "node1 IPaddr::192.0.2.9/24/eth0 10.10.10.9\r\nnode2 httpd\r\n";
    const { groups, diagnostics } = parseHaresources(text, FILE, NODES);
    assert.deepEqual(
      groups.map((g) => g.resources.map((r) => r.args)),
      [[["192.0.2.9/24/eth0"], ["10.10.10.9"]], [[]]],
    );
    assert.deepEqual(diagnostics.map(formatDiagnostic), [
      '/etc/ha.d/haresources:1: warning: haresources has Windows (CRLF) line endings: Twinbeat ignores the carriage returns, but Heartbeat\'s ResourceManager keeps them, so on a Heartbeat peer the last resource of each line becomes "10.10.10.9\\r" and its takeover fails ("Parameter OCF_RESKEY_ip [10.10.10.9^M] not an IP address"): convert the file with dos2unix before sharing it',
    ]);
    assert.deepEqual(findings("node1 httpd\n"), []);
  });
});
