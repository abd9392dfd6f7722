// Tests for the ha.cf parser: lexical rules, directives, defaults and Heartbeat's startup checks.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HaConfig } from "./cluster-config";
import { formatDiagnostic } from "./format-diagnostic";
import { parseHaCf, splitConfigLines, splitOptionValues } from "./ha-cf-parser";

/** The stonith warning must say that the pair then has no fencing at all (it matters with DRBD or shared disks). */
const NO_FENCING_TEXT =
  "Twinbeat does not fence nodes (STONITH), so this pair has no fencing at all: when the nodes lose each other, both may run the resources at once, which with DRBD or a shared disk can corrupt data (rely on DRBD's own fencing, redundant heartbeat links and ping nodes)";
const FILE = "/etc/ha.d/ha.cf";

/** A minimal valid ha.cf; tests add lines to it. */
const MINIMAL = ["bcast eth1", "node alpha beta", "auto_failback on"];

function findings(text: string): string[] {
  return parseHaCf(text, FILE).diagnostics.map(formatDiagnostic);
}

function parseOk(...lines: string[]): HaConfig {
  const result = parseHaCf([...MINIMAL, ...lines].join("\n") + "\n", FILE);
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), []);
  assert.ok(result.ha !== undefined);
  return result.ha;
}

describe("splitConfigLines()", () => {
  it("drops comments anywhere, blank lines and leading blanks, and keeps line numbers", () => {
    const lines = splitConfigLines("# header\n\n  keepalive 2  # two seconds\r\nnode a#b\n\t\n#x\n");
    assert.deepEqual(lines, [
      { line: 3, directive: "keepalive", rest: "2  " },
      { line: 4, directive: "node", rest: "a" },
    ]);
  });

  it("skips delimiters, commas included, between the directive and its values", () => {
    assert.deepEqual(splitConfigLines("node ,, a"), [{ line: 1, directive: "node", rest: "a" }]);
  });

  it("splitOptionValues() splits on space, tab and comma", () => {
    assert.deepEqual(splitOptionValues("a b,c\t d,,e"), ["a", "b", "c", "d", "e"]);
  });
});

describe("parseHaCf() defaults", () => {
  it("applies Heartbeat's default times and derives warntime, initdead and deadping", () => {
    const ha = parseOk();
    assert.equal(ha.keepaliveMs, 1000);
    assert.equal(ha.deadtimeMs, 30_000);
    assert.equal(ha.warntimeMs, 15_000);
    assert.equal(ha.initdeadMs, 30_000);
    assert.equal(ha.deadpingMs, 30_000);
    assert.equal(ha.udpPort, 694);
  });

  it("records Heartbeat's default parameter strings for cl_status hbparameter", () => {
    const p = parseOk().parameters;
    const expected: Record<string, string> = {
      keepalive: "1000ms",
      deadtime: "30000ms",
      warntime: "15000ms",
      initdead: "30000ms",
      deadping: "30000ms",
      udpport: "694",
      auto_failback: "on",
      hopfudge: "1",
      debug: "0",
      baud: "19200",
      msgfmt: "classic",
      hbgenmethod: "file",
      uuidfrom: "file",
      max_rexmit_delay: "250",
      compression: "zlib",
      compression_threshold: "2",
      traditional_compression: "no",
      conn_logd_time: "60",
      realtime: "true",
      coredumps: "true",
      log_badpack: "true",
      syslogmsgfmt: "true",
      memreserve: "6500",
      cluster: "linux-ha",
      pacemaker: "false",
      autojoin: "none",
      record_config_changes: "on",
      record_pengine_inputs: "on",
      enable_config_writes: "on",
      use_logd: "yes",
    };
    for (const [name, value] of Object.entries(expected)) {
      assert.equal(p.get(name), value, name);
    }
    assert.equal(p.has("logfacility"), false);
    assert.equal(p.has("node"), false);
    assert.equal(p.has("nice_failback"), false);
  });

  it("computes initdead from deadtime like Heartbeat (>10 s: same, <6 s: 12 s, else twice)", () => {
    const at = (deadtime: string, keepalive = "1"): number => parseOk(`keepalive ${keepalive}`, `deadtime ${deadtime}`).initdeadMs;
    assert.equal(at("11"), 11_000);
    assert.equal(at("10"), 20_000);
    assert.equal(at("6"), 12_000);
    assert.equal(at("5900ms", "500ms"), 12_000);
    assert.equal(at("3", "500ms"), 12_000);
  });

  it("keeps raw values as written, the last one winning", () => {
    const ha = parseOk("keepalive 2 500ms", "deadtime 30", "deadtime 10");
    assert.equal(ha.keepaliveMs, 500);
    assert.equal(ha.deadtimeMs, 10_000);
    assert.equal(ha.parameters.get("keepalive"), "500ms");
    assert.equal(ha.parameters.get("deadtime"), "10");
    assert.equal(ha.parameters.get("warntime"), "5000ms");
  });

  it("accepts every time spelling Heartbeat accepts", () => {
    const ha = parseOk("keepalive 200ms", "deadtime 3.5", "warntime 1500ms", "initdead 12", "deadping 501us,2");
    assert.equal(ha.keepaliveMs, 200);
    assert.equal(ha.deadtimeMs, 3500);
    assert.equal(ha.warntimeMs, 1500);
    assert.equal(ha.deadpingMs, 2000);
  });
});

describe("parseHaCf() nodes and media", () => {
  it("declares one node per value, lower-cased, commas included", () => {
    const ha = parseOk("node Gamma,DELTA");
    assert.deepEqual(ha.nodes, ["alpha", "beta", "gamma", "delta"]);
  });

  it("reads bcast per interface, ucast and mcast per line, with locations", () => {
    const ha = parseOk("bcast eth2 eth3", "ucast eth4 192.0.2.2", "mcast eth5 239.1.2.3 700 1 1");
    assert.deepEqual(
      ha.media.map((m) => ({ ...m, at: m.at.line })),
      [
        { kind: "bcast", dev: "eth1", port: 694, at: 1 },
        { kind: "bcast", dev: "eth2", port: 694, at: 4 },
        { kind: "bcast", dev: "eth3", port: 694, at: 4 },
        { kind: "ucast", dev: "eth4", peer: "192.0.2.2", port: 694, at: 5 },
        { kind: "mcast", dev: "eth5", group: "239.1.2.3", port: 700, ttl: 1, loop: true, at: 6 },
      ],
    );
  });

  it("reads udp as bcast, with a warning", () => {
    const result = parseHaCf("udp eth0\nnode a\nauto_failback off\n", FILE);
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      '/etc/ha.d/ha.cf:1: warning: udp is the old name of bcast and is read as bcast: write "bcast" instead',
    ]);
    assert.deepEqual(
      result.ha?.media.map((m) => m.kind),
      ["bcast"],
    );
  });

  it("gives bcast and ucast the udpport in force at their first line, as Heartbeat's plugins do", () => {
    const result = parseHaCf("udpport 700\nbcast eth0\nudpport 800\nucast eth1 192.0.2.2\nudpport 900\nnode a\nauto_failback on\n", FILE);
    assert.deepEqual(
      result.ha?.media.map((m) => m.port),
      [700, 800],
    );
    assert.equal(result.ha?.udpPort, 900);
    assert.equal(result.ha?.parameters.get("udpport"), "900");
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      "/etc/ha.d/ha.cf:3: warning: udpport 800 comes after the bcast/ucast line at line 2, which keeps port 700: put udpport before the media lines",
      "/etc/ha.d/ha.cf:5: warning: udpport 900 comes after the bcast/ucast line at line 2, which keeps port 700: put udpport before the media lines",
    ]);
  });

  it("makes one ping node per ping host and one per ping_group", () => {
    const ha = parseOk("ping 192.0.2.254 GW.example", "ping_group routers 198.51.100.1 203.0.113.1");
    assert.deepEqual(
      ha.pingNodes.map((p) => [p.name, p.kind, p.hosts]),
      [
        ["192.0.2.254", "ping", ["192.0.2.254"]],
        ["gw.example", "ping", ["GW.example"]],
        ["routers", "ping_group", ["198.51.100.1", "203.0.113.1"]],
      ],
    );
  });

  it("refuses a 101st node, ping nodes included", () => {
    const names = Array.from({ length: 99 }, (_, i) => `n${i}`).join(" ");
    const text = `bcast eth0\nauto_failback on\nnode ${names}\nping 192.0.2.1 192.0.2.2\n`;
    assert.deepEqual(findings(text), ["/etc/ha.d/ha.cf:4: too many nodes: Heartbeat allows at most 100, ping nodes included"]);
    assert.deepEqual(findings(`bcast eth0\nauto_failback on\nnode ${names}\nping 192.0.2.1\n`), []);
  });
});

describe("parseHaCf() failback, logging and programs", () => {
  it("reads auto_failback booleans and legacy", () => {
    assert.equal(parseHaCf("bcast e\nnode a\nauto_failback yes\n", FILE).ha?.autoFailback, "on");
    assert.equal(parseHaCf("bcast e\nnode a\nauto_failback 0\n", FILE).ha?.autoFailback, "off");
    const legacy = parseHaCf("bcast e\nnode a\nauto_failback Legacy\n", FILE);
    assert.equal(legacy.ha?.autoFailback, "legacy");
    assert.deepEqual(legacy.diagnostics.map(formatDiagnostic), [
      "/etc/ha.d/ha.cf:3: warning: auto_failback legacy is deprecated: it disables hb_standby and ipfail (write auto_failback on or off)",
    ]);
  });

  it("defaults to legacy with a warning when auto_failback is not set", () => {
    const result = parseHaCf("bcast e\nnode a\n", FILE);
    assert.equal(result.ha?.autoFailback, "legacy");
    assert.equal(result.ha?.parameters.get("auto_failback"), "legacy");
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      "/etc/ha.d/ha.cf: warning: auto_failback not set: Heartbeat's default 'legacy' is deprecated and disables hb_standby and ipfail (write auto_failback on or off)",
    ]);
  });

  it("reads nice_failback as legacy when no auto_failback on/off comes before it", () => {
    const onlyNice = parseHaCf("bcast e\nnode a\nnice_failback on\n", FILE);
    assert.equal(onlyNice.ha?.autoFailback, "legacy");
    assert.deepEqual(onlyNice.diagnostics.map(formatDiagnostic), [
      '/etc/ha.d/ha.cf:3: warning: nice_failback is obsolete: with no auto_failback on/off before it, Heartbeat reads "nice_failback on" as auto_failback legacy whatever its value, which disables hb_standby and ipfail (write auto_failback on or off instead)',
    ]);
    assert.equal(parseHaCf("bcast e\nnode a\nnice_failback off\nauto_failback on\n", FILE).ha?.autoFailback, "on");
    assert.equal(parseHaCf("bcast e\nnode a\nauto_failback legacy\nnice_failback on\n", FILE).ha?.autoFailback, "legacy");
  });

  it("reads nice_failback after auto_failback on as auto_failback off, as Heartbeat 3.0.6 does (a real file: ipfail keeps working)", () => {
    // The shape of a real ha.cf: auto_failback on, nice_failback on three lines later, then ipfail.
    const text = [
      "logfile /var/log/ha-log",
      "keepalive 2",
      "bcast eth1",
      "auto_failback on",
      "node alpha beta",
      "ping 198.51.100.1",
      "nice_failback on",
      "respawn hacluster /usr/lib/heartbeat/ipfail",
    ].join("\n");
    const result = parseHaCf(text, FILE);
    assert.equal(result.ha?.autoFailback, "off");
    assert.deepEqual(result.ha?.autoFailbackSource, { at: { file: FILE, line: 7 }, text: "off (from nice_failback on)" });
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      '/etc/ha.d/ha.cf:7: warning: nice_failback is obsolete: after the auto_failback on at line 4, Heartbeat reads "nice_failback on" as auto_failback off (whatever its value), so failback is off (write auto_failback off instead)',
    ]);
    // Whatever its value, and also after an earlier nice_failback that already gave "off".
    assert.equal(parseHaCf("bcast e\nnode a\nauto_failback off\nnice_failback off\n", FILE).ha?.autoFailback, "off");
    assert.equal(parseHaCf("bcast e\nnode a\nauto_failback on\nnice_failback on\nnice_failback no\n", FILE).ha?.autoFailback, "off");
  });

  it("implies use_logd only when no log target is set, and points syslog-only setups at /dev/null", () => {
    assert.equal(parseOk().useLogd, true);
    const syslog = parseOk("logfacility daemon");
    assert.equal(syslog.useLogd, false);
    assert.equal(syslog.logfacility, "daemon");
    assert.equal(syslog.logfile, undefined);
    assert.equal(syslog.parameters.get("logfile"), "/dev/null");
    assert.equal(syslog.parameters.get("debugfile"), "/dev/null");
    const none = parseOk("logfacility none");
    assert.equal(none.logfacility, "none");
    assert.equal(none.useLogd, true);
    assert.equal(parseOk("logfile /var/log/ha-log", "use_logd on").useLogd, true);
  });

  it("refuses use_logd off with no other log target", () => {
    assert.deepEqual(findings([...MINIMAL, "use_logd off"].join("\n")), [
      "/etc/ha.d/ha.cf:4: no log target: logfile, debugfile and logfacility are unset and use_logd is off (set one of them)",
    ]);
  });

  it("reads respawn lines and apiauth with Heartbeat's built-in defaults", () => {
    const ha = parseOk("respawn hacluster /usr/lib/heartbeat/ipfail -v 2", "apiauth ping uid=root,admin", "ping 192.0.2.1");
    assert.deepEqual(
      ha.respawn.map((r) => [r.user, r.command, r.args]),
      [["hacluster", "/usr/lib/heartbeat/ipfail", ["-v", "2"]]],
    );
    assert.deepEqual(
      [...ha.apiauth],
      [
        ["ping", "uid=root,admin"],
        ["ipfail", "uid=hacluster"],
        ["ccm", "uid=hacluster"],
        ["lha-snmpagent", "uid=root"],
        ["anon", "uid=root gid=haclient"],
      ],
    );
  });

  it("warns that ipfail is useless without ping nodes or with legacy failback", () => {
    assert.deepEqual(findings("bcast e\nnode a\nauto_failback legacy\nrespawn hacluster /usr/lib/heartbeat/ipfail\n"), [
      "/etc/ha.d/ha.cf:3: warning: auto_failback legacy is deprecated: it disables hb_standby and ipfail (write auto_failback on or off)",
      "/etc/ha.d/ha.cf:4: warning: ipfail does nothing with auto_failback legacy: it exits at once in legacy mode (write auto_failback on or off)",
      "/etc/ha.d/ha.cf:4: warning: ipfail does nothing without ping nodes: add a ping or ping_group line",
    ]);
  });

  it("reads the protocol knobs", () => {
    const ha = parseOk(
      "hopfudge 3",
      "debug 2",
      "msgfmt netstring",
      "hbgenmethod time",
      "uuidfrom nodename",
      "max_rexmit_delay 400",
      "log_badpack off",
      "watchdog /dev/watchdog",
    );
    assert.equal(ha.hopfudge, 3);
    assert.equal(ha.debugLevel, 2);
    assert.equal(ha.msgfmt, "netstring");
    assert.equal(ha.hbgenmethod, "time");
    assert.equal(ha.uuidfrom, "nodename");
    assert.equal(ha.maxRexmitDelayMs, 400);
    assert.equal(ha.logBadpack, false);
    assert.equal(ha.watchdog, "/dev/watchdog");
    assert.equal(ha.parameters.get("debug"), "2");
  });
});

describe("parseHaCf() directives without effect in Twinbeat", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["serial /dev/ttyS0", "serial has no effect in Twinbeat: Twinbeat has no serial heartbeat medium, so this link is not used"],
    ["baud 38400", "baud has no effect in Twinbeat: Twinbeat has no serial heartbeat medium"],
    ["ucast6 eth0 fe80::1%eth0", "ucast6 has no effect in Twinbeat: Twinbeat has no IPv6 heartbeat media yet, so this link is not used"],
    ["mcast6 eth0 ff02::1 694 1 0", "mcast6 has no effect in Twinbeat: Twinbeat has no IPv6 heartbeat media yet, so this link is not used"],
    ["ping6 2001:db8::1", "ping6 has no effect in Twinbeat: Twinbeat has no IPv6 ping nodes yet, so this ping node is not used"],
    ["stonith baytech /etc/ha.d/conf/stonith.baytech", `stonith has no effect in Twinbeat: ${NO_FENCING_TEXT}`],
    ["stonith_host * baytech 192.0.2.3 mylogin mysecretpassword", `stonith_host has no effect in Twinbeat: ${NO_FENCING_TEXT}`],
    ["failfast hacluster /usr/lib/x", "failfast has no effect in Twinbeat: Twinbeat does not start failfast programs (use respawn)"],
    ["realtime off", "realtime has no effect in Twinbeat: Twinbeat does not use realtime scheduling"],
    ["rtprio 5", "rtprio has no effect in Twinbeat: Twinbeat does not use realtime scheduling"],
    ["memreserve 10000", "memreserve has no effect in Twinbeat: Twinbeat does not pre-allocate memory"],
    ["coredumps false", "coredumps has no effect in Twinbeat: Twinbeat leaves core dumps to the system settings"],
    ["coreroot /var/lib/heartbeat/cores", "coreroot has no effect in Twinbeat: Twinbeat leaves core dumps to the system settings"],
    ["use_apphbd yes", "use_apphbd has no effect in Twinbeat: Twinbeat does not register with apphbd"],
    ["conn_logd_time 30", "conn_logd_time has no effect in Twinbeat: Twinbeat does not keep a reconnecting ha_logd client"],
    ["syslogmsgfmt off", "syslogmsgfmt has no effect in Twinbeat: Twinbeat writes its log files in its own format"],
    ["env FOO=bar", "env has no effect in Twinbeat: Twinbeat does not pass HA_ variables to respawned programs"],
    ["compression bz2", "compression has no effect in Twinbeat: Twinbeat never compresses messages (a Pacemaker-era feature)"],
    ["compression_threshold 4", "compression_threshold has no effect in Twinbeat: Twinbeat never compresses messages (a Pacemaker-era feature)"],
    ["traditional_compression yes", "traditional_compression has no effect in Twinbeat: Twinbeat never compresses messages (a Pacemaker-era feature)"],
    ["quorum_server qs.example", "quorum_server has no effect in Twinbeat: it is a Pacemaker (CRM) setting and Twinbeat only runs haresources"],
    ["crm_daemon_dir /usr/lib/pacemaker", "crm_daemon_dir has no effect in Twinbeat: it is a Pacemaker (CRM) setting and Twinbeat only runs haresources"],
    ["crmd_spawns_pengine yes", "crmd_spawns_pengine has no effect in Twinbeat: it is a Pacemaker (CRM) setting and Twinbeat only runs haresources"],
    ["record_config_changes off", "record_config_changes has no effect in Twinbeat: it is a Pacemaker (CRM) setting and Twinbeat only runs haresources"],
    ["record_pengine_inputs off", "record_pengine_inputs has no effect in Twinbeat: it is a Pacemaker (CRM) setting and Twinbeat only runs haresources"],
    ["enable_config_writes off", "enable_config_writes has no effect in Twinbeat: it is a Pacemaker (CRM) setting and Twinbeat only runs haresources"],
  ];
  for (const [line, message] of cases) {
    it(`accepts "${line}" with a warning`, () => {
      const result = parseHaCf([...MINIMAL, line].join("\n"), FILE);
      assert.deepEqual(result.diagnostics.map(formatDiagnostic), [`/etc/ha.d/ha.cf:4: warning: ${message}`]);
      assert.ok(result.ha !== undefined);
    });
  }

  it("still records their values", () => {
    const ha = parseHaCf([...MINIMAL, "realtime off", "compression bz2", "cluster mycluster", "pacemaker off"].join("\n"), FILE).ha;
    assert.equal(ha?.parameters.get("realtime"), "off");
    assert.equal(ha?.parameters.get("compression"), "bz2");
    assert.equal(ha?.parameters.get("cluster"), "mycluster");
    assert.equal(ha?.parameters.get("pacemaker"), "off");
  });

  it("records crm under pacemaker", () => {
    assert.equal(parseHaCf([...MINIMAL, "crm no"].join("\n"), FILE).ha?.parameters.get("pacemaker"), "no");
  });
});

describe("parseHaCf() errors", () => {
  const cases: ReadonlyArray<readonly [string, readonly string[]]> = [
    ["deadtme 30", ['4: Illegal directive "deadtme": did you mean "deadtime"?']],
    ["frobnicate 1", ['4: Illegal directive "frobnicate"']],
    ["normalpoll yes", ['4: Illegal directive "normalpoll": Debian\'s Heartbeat 3.0.6 is built without it and Twinbeat does not have it either']],
    [
      "tipc eth0",
      ['4: Illegal directive "tipc": Debian\'s Heartbeat 3.0.6 does not build the tipc medium and Twinbeat does not have it (use bcast, mcast or ucast)'],
    ],
    [
      "hbaping fc0",
      ['4: Illegal directive "hbaping": Debian\'s Heartbeat 3.0.6 does not build the hbaping medium and Twinbeat does not have it (use bcast, mcast or ucast)'],
    ],
    [
      "rds eth0",
      ['4: Illegal directive "rds": Debian\'s Heartbeat 3.0.6 does not build the rds medium and Twinbeat does not have it (use bcast, mcast or ucast)'],
    ],
    [
      "keepalive 2 s",
      ['4: keepalive value "s" is not a valid time: a unit must be glued to its number (500ms, not 500 ms) and a number without unit is seconds'],
    ],
    [
      "keepalive 500 ms",
      [
        '4: keepalive value "ms" is not a valid time: a unit must be glued to its number (500ms, not 500 ms) and a number without unit is seconds',
        "4: deadtime 30000ms (the default) is too small compared to keepalive 500 (500 seconds): it must be more than twice keepalive",
      ],
    ],
    [
      "deadtime 30s",
      ['4: deadtime value "30s" is not a valid time: Heartbeat has no "s" unit, a number without unit is already seconds (write 30, 0.5 or 500ms)'],
    ],
    ["initdead 2m", ['4: initdead value "2m" is not a valid time: expected seconds (2, 0.5) or a number with ms or us glued to it (500ms)']],
    ["keepalive 0", ['4: keepalive value "0" is too small: it must be more than 0']],
    ["warntime 0ms", ['4: warntime value "0ms" is too small: it must be more than 0']],
    ["keepalive", ["4: keepalive has no value"]],
    ["hopfudge 256", ['4: hopfudge value "256" is not valid: expected a whole number from 0 to 255']],
    ["debug x", ['4: debug value "x" is not valid: expected a whole number from 0 to 255']],
    ["udpport 70000", ['4: udpport value "70000" is not a port number: expected 1 to 65535']],
    ["auto_failback maybe", ['4: auto_failback value "maybe" is not valid: expected on, off or legacy']],
    ["msgfmt xml", ['4: msgfmt value "xml" is not valid: expected classic or netstring']],
    ["hbgenmethod random", ['4: hbgenmethod value "random" is not valid: expected file or time']],
    ["use_logd maybe", ['4: use_logd value "maybe" is not a boolean: expected true, on, yes, y, 1, false, off, no, n or 0']],
    [
      "logfacility local9",
      [
        '4: logfacility value "local9" is not a syslog facility: expected none, auth, authpriv, cron, daemon, ftp, kern, local0 to local7, lpr, mail, news, syslog, user or uucp',
      ],
    ],
    ["autojoin any", ["4: autojoin any conflicts with haresources: nodes must be declared by node lines (write autojoin none)"]],
    ["autojoin some", ['4: autojoin value "some" is not valid: expected none, other or any']],
    [
      "pacemaker on",
      ["4: pacemaker on enables Pacemaker, which Twinbeat does not provide: Twinbeat only runs haresources (remove the line or write pacemaker off)"],
    ],
    ["crm respawn", ["4: crm respawn enables Pacemaker, which Twinbeat does not provide: Twinbeat only runs haresources (remove the line or write crm off)"]],
    ["mcast eth0 225.0.0.1 694 5 0", ['4: mcast ttl "5" is out of range: expected 0 to 4 (Heartbeat refuses more)']],
    ["mcast eth0 192.0.2.1 694 1 0", ['4: mcast group "192.0.2.1" is not an IPv4 multicast address: expected 224.0.0.0 to 239.255.255.255']],
    ["mcast eth0 225.0.0.1 0 1 2", ['4: mcast port "0" is not valid: expected 1 to 65535', '4: mcast loop "2" is not valid: expected 0 or 1']],
    ["mcast eth0 225.0.0.1 694", ['4: mcast needs 5 arguments (DEV GROUP PORT TTL LOOP), got 3: expected e.g. "mcast eth0 225.0.0.1 694 1 0"']],
    ["ucast eth1", ['4: ucast eth1 has no peer: expected "ucast eth1 PEER" with the other node\'s address']],
    ["ucast", ['4: ucast needs a device and a peer: expected "ucast DEV PEER"']],
    ["ucast eth1 fe80::2", ['4: ucast peer "fe80::2" is an IPv6 address: ucast is IPv4 only (and Twinbeat has no ucast6 yet)']],
    ["ucast eth1 192.0.2.2 192.0.2.3", ['4: warning: ucast eth1 192.0.2.2: extra argument "192.0.2.3" ignored: ucast takes one peer per line']],
    ["ping_group routers", ['4: ping_group "routers" has no hosts: expected "ping_group routers HOST..."']],
    ["node ALPHA", ['4: node "alpha" is declared twice (first at line 2)']],
    ["ping beta", ['4: "beta" is declared both as a node (line 2) and as a ping node']],
    ["respawn hacluster ipfail", ['4: respawn program "ipfail" is not an absolute path: write its full path (e.g. /usr/lib/heartbeat/ipfail)']],
    ["respawn hacluster", ['4: respawn needs a user and a program: expected "respawn USER /path/to/program [ARGS]"']],
    [
      "apiauth ipfail",
      ['4: apiauth ipfail gives neither uid= nor gid=: expected "apiauth CLIENT uid=USER[,USER] gid=GROUP[,GROUP]" with uid= or gid= or both'],
    ],
    [
      "apiauth ipfail user=root",
      ['4: apiauth ipfail: "user=root" is not uid=LIST or gid=LIST: expected "apiauth CLIENT uid=USER[,USER] gid=GROUP[,GROUP]" with uid= or gid= or both'],
    ],
    [
      "baud 12345",
      [
        "4: warning: baud has no effect in Twinbeat: Twinbeat has no serial heartbeat medium",
        '4: baud value "12345" is not a serial speed: expected 9600, 19200, 38400, 57600, 115200, 230400 or 460800',
      ],
    ],
    [
      "env NOEQUALS",
      [
        "4: warning: env has no effect in Twinbeat: Twinbeat does not pass HA_ variables to respawned programs",
        '4: env value "NOEQUALS" is not valid: expected NAME=value',
      ],
    ],
    [
      "watchdog /dev/watchdog\nwatchdog /dev/watchdog1",
      ['5: watchdog is given more than once: Heartbeat accepts a single watchdog device (already "/dev/watchdog")'],
    ],
    ["apiauth x uid=a\napiauth x gid=b", ['5: apiauth for client "x" is given twice (first at line 4)']],
    ["pacemaker off\ncrm off", ["5: crm is given more than once (first at line 4): Heartbeat accepts pacemaker or crm once"]],
    [
      "pacemaker off\ncrm_daemon_dir /x",
      [
        "5: warning: crm_daemon_dir has no effect in Twinbeat: it is a Pacemaker (CRM) setting and Twinbeat only runs haresources",
        "5: crm_daemon_dir must come before the pacemaker line (line 4)",
      ],
    ],
  ];
  for (const [lines, expected] of cases) {
    it(`reports ${JSON.stringify(lines)}`, () => {
      const text = [...MINIMAL, lines].join("\n");
      assert.deepEqual(
        findings(text),
        expected.map((e) => `${FILE}:${e}`),
      );
      assert.equal(
        parseHaCf(text, FILE).ha === undefined,
        expected.some((e) => !e.includes("warning:")),
      );
    });
  }
});

describe("parseHaCf() timing checks", () => {
  const cases: ReadonlyArray<readonly [readonly string[], readonly string[]]> = [
    [["keepalive 500ms", "deadtime 1000ms"], ["5: deadtime 1000ms is too small compared to keepalive 500ms: it must be more than twice keepalive"]],
    [["keepalive 15"], ["4: deadtime 30000ms (the default) is too small compared to keepalive 15 (15 seconds): it must be more than twice keepalive"]],
    [["deadtime 30", "initdead 20"], ["5: initdead 20 (20 seconds) is smaller than deadtime 30 (30 seconds): it must be at least deadtime"]],
    [
      ["keepalive 1", "deadtime 5", "initdead 8"],
      ["6: warning: initdead 8 (8 seconds) may be too small: it gives the network time to come up at boot and should be at least 10 seconds"],
    ],
    [["keepalive 2", "deadping 4"], ["5: deadping 4 (4 seconds) is too small compared to keepalive 2 (2 seconds): it must be more than twice keepalive"]],
    [
      ["deadtime 10", "warntime 10"],
      ["5: warning: warntime 10 (10 seconds) is not smaller than deadtime 10 (10 seconds): no late-heartbeat warning will ever be logged"],
    ],
  ];
  for (const [lines, expected] of cases) {
    it(`checks ${lines.join("; ")}`, () => {
      assert.deepEqual(
        findings([...MINIMAL, ...lines].join("\n")),
        expected.map((e) => `${FILE}:${e}`),
      );
    });
  }

  it("does not check an implicit deadping against keepalive", () => {
    assert.deepEqual(findings([...MINIMAL, "keepalive 500ms", "deadtime 1100ms", "initdead 12"].join("\n")), []);
  });
});

describe("parseHaCf() whole-file checks", () => {
  it("requires media and nodes", () => {
    assert.deepEqual(findings("auto_failback on\n"), [
      "/etc/ha.d/ha.cf: no heartbeat media: add a bcast, mcast or ucast line",
      "/etc/ha.d/ha.cf: no nodes: add a node line naming every cluster member as uname -n prints it",
    ]);
  });

  it("reports declared nodes even when ha.cf has errors", () => {
    const result = parseHaCf("node a B\nkeepalive x\n", FILE);
    assert.equal(result.ha, undefined);
    assert.deepEqual(result.declaredNodes, ["a", "b"]);
  });
});

describe("parseHaCf() a repeated broadcast interface", () => {
  it("uses bcast eth0 once when an old udp line names it again (a real file: bcast eth0 ... udp eth0)", () => {
    const result = parseHaCf("bcast eth0\nmcast eth0 225.0.0.1 694 1 0\nudp eth0\nnode a\nauto_failback on\n", FILE);
    assert.deepEqual(
      result.ha?.media.map((m) => `${m.kind} ${m.dev}`),
      ["bcast eth0", "mcast eth0"],
    );
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      '/etc/ha.d/ha.cf:3: warning: udp is the old name of bcast and is read as bcast: write "bcast" instead',
      "/etc/ha.d/ha.cf:3: warning: bcast eth0 is already a medium (line 1): Heartbeat and Twinbeat use it once",
    ]);
  });
});
