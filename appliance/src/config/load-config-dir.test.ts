// Tests for loading a whole config directory: the seed tutorial's files and a table of broken variants.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parseAuthkeys } from "./authkeys-parser";
import type { ConfigLoadResult } from "./cluster-config";
import { formatDiagnostic } from "./format-diagnostic";
import { parseHaCf } from "./ha-cf-parser";
import { parseHaresources } from "./haresources-parser";
import { crossCheckConfig, loadConfigDir } from "./load-config-dir";

/** The source folder's testdata, found from the compiled test (any out dir) or the repo root. */
function testdataDir(): string {
  const relative = path.join("appliance", "src", "config", "testdata");
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, relative))) {
      return path.join(dir, relative);
    }
    if (path.dirname(dir) === dir) {
      break;
    }
  }
  return path.resolve(process.cwd(), relative);
}

const SEED = path.join(testdataDir(), "seed");
const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

type FileName = "ha.cf" | "haresources" | "authkeys" | "twinbeat.cf";

/** Writes a config directory into a fresh temporary folder; authkeys gets `authkeysMode`. */
function makeConfigDir(files: Partial<Record<FileName, string>>, authkeysMode = 0o600): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "twinbeat-config-"));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), text);
  }
  if (files.authkeys !== undefined) {
    fs.chmodSync(path.join(dir, "authkeys"), authkeysMode);
  }
  return dir;
}

/** Formats findings with the temporary directory shown as $DIR. */
function formatted(result: ConfigLoadResult, dir: string): string[] {
  return result.diagnostics.map((d) => formatDiagnostic(d).split(dir).join("$DIR"));
}

/** The messages a user of the tutorial's configuration should see on srv5. */
const SEED_FINDINGS = ["authkeys:1: warning: auth 1 selects crc, which only detects corrupted packets and authenticates nothing: use sha1 with a secret key"];

describe("the seed tutorial's configuration (testdata/seed)", () => {
  it("parses with exactly the expected findings when each parser is called directly", () => {
    const read = (name: string): string => fs.readFileSync(path.join(SEED, name), "utf8");
    const haCf = parseHaCf(read("ha.cf"), "ha.cf");
    const haresources = parseHaresources(read("haresources"), "haresources", haCf.declaredNodes);
    const authkeys = parseAuthkeys(read("authkeys"), "authkeys", 0o600);
    const cross = crossCheckConfig({ haCfPath: "ha.cf", declaredNodes: haCf.declaredNodes }, { localNode: "srv5.localdomain" });
    const all = [...haCf.diagnostics, ...haresources.diagnostics, ...authkeys.diagnostics, ...cross];
    assert.deepEqual(all.map(formatDiagnostic), SEED_FINDINGS);

    const ha = haCf.ha;
    assert.ok(ha !== undefined);
    assert.deepEqual(ha.nodes, ["srv5.localdomain", "srv6.localdomain"]);
    assert.equal(ha.keepaliveMs, 2000);
    assert.equal(ha.warntimeMs, 10_000);
    assert.equal(ha.deadtimeMs, 30_000);
    assert.equal(ha.initdeadMs, 120_000);
    assert.equal(ha.deadpingMs, 30_000);
    assert.equal(ha.hopfudge, 1);
    assert.equal(ha.udpPort, 694);
    assert.deepEqual(ha.media, [{ kind: "ucast", dev: "eth1", peer: "192.168.9.6", port: 694, at: { file: "ha.cf", line: 10 } }]);
    assert.equal(ha.autoFailback, "on");
    assert.deepEqual(
      ha.pingNodes.map((p) => p.name),
      ["192.168.8.2", "192.168.9.7"],
    );
    assert.deepEqual(
      ha.respawn.map((r) => [r.user, r.command]),
      [["root", "/usr/lib/heartbeat/ipfail"]],
    );
    assert.equal(ha.apiauth.get("ipfail"), "gid=root uid=root");
    assert.equal(ha.logfile, "/var/log/ha-log");
    assert.equal(ha.debugfile, "/var/log/ha-debug");
    assert.equal(ha.logfacility, "local0");
    assert.equal(ha.useLogd, false);
    assert.equal(ha.parameters.get("keepalive"), "2");
    assert.equal(ha.parameters.get("deadping"), "30000ms");

    assert.deepEqual(
      haresources.groups.map((g) => [g.homeNode, g.key, g.resources.map((r) => [r.name, r.args])]),
      [["srv5.localdomain", "IPaddr::192.168.8.100/32", [["IPaddr", ["192.168.8.100/32"]]]]],
    );
    assert.equal(authkeys.authKeys?.activeIndex, 1);
    assert.deepEqual(authkeys.authKeys?.keys.get(1), { method: "crc" });
  });

  it("loads from a directory on srv5 (authkeys chmod 600) with the same findings", () => {
    const dir = makeConfigDir({
      "ha.cf": fs.readFileSync(path.join(SEED, "ha.cf"), "utf8"),
      haresources: fs.readFileSync(path.join(SEED, "haresources"), "utf8"),
      authkeys: fs.readFileSync(path.join(SEED, "authkeys"), "utf8"),
    });
    const result = loadConfigDir(dir, { localNode: "SRV5.localdomain", initDir: path.join(dir, "init.d") });
    assert.deepEqual(
      formatted(result, dir),
      SEED_FINDINGS.map((f) => `$DIR/${f}`),
    );
    assert.ok(result.config !== undefined);
    assert.equal(result.config.localNode, "srv5.localdomain");
    assert.equal(result.config.configDir, dir);
    assert.equal(result.config.groups.length, 1);
    assert.equal(result.config.twinbeat.resourceTimeoutMs, 60_000);

    // The same files serve srv6 too (its ucast line pointing at itself is harmless).
    const onSrv6 = loadConfigDir(dir, { localNode: "srv6.localdomain", initDir: path.join(dir, "init.d") });
    assert.deepEqual(
      formatted(onSrv6, dir),
      SEED_FINDINGS.map((f) => `$DIR/${f}`),
    );
    assert.equal(onSrv6.config?.localNode, "srv6.localdomain");
  });

  it("is refused when authkeys keeps the 644 mode of a fresh copy", () => {
    const dir = makeConfigDir(
      {
        "ha.cf": fs.readFileSync(path.join(SEED, "ha.cf"), "utf8"),
        haresources: fs.readFileSync(path.join(SEED, "haresources"), "utf8"),
        authkeys: fs.readFileSync(path.join(SEED, "authkeys"), "utf8"),
      },
      0o644,
    );
    const result = loadConfigDir(dir, { localNode: "srv5.localdomain" });
    assert.deepEqual(formatted(result, dir), [
      "$DIR/authkeys:1: warning: auth 1 selects crc, which only detects corrupted packets and authenticates nothing: use sha1 with a secret key",
      "$DIR/authkeys: bad permissions 0644 on authkeys: it must not be readable by group or others (chmod 600)",
    ]);
    assert.equal(result.config, undefined);
  });
});

/** A clean configuration: the seed's, with sha1 instead of crc. Line numbers matter below. */
const BASE_HA_CF = [
  "keepalive 2", // 1
  "deadtime 30", // 2
  "warntime 10", // 3
  "initdead 120", // 4
  "udpport 694", // 5
  "ucast eth1 192.168.9.6", // 6
  "auto_failback on", // 7
  "node srv5.localdomain", // 8
  "node srv6.localdomain", // 9
  "ping 192.168.8.2", // 10
  "respawn hacluster /usr/lib/heartbeat/ipfail", // 11
];
const BASE: Record<FileName, string> = {
  "ha.cf": BASE_HA_CF.join("\n") + "\n",
  haresources: "srv5.localdomain IPaddr::192.168.8.100/32\n",
  authkeys: "auth 1\n1 sha1 Secret\n",
  "twinbeat.cf": "",
};

/** The base ha.cf with some lines replaced (null removes the line) and lines appended (from line 12). */
function haCf(replace: Readonly<Record<number, string | null>>, ...append: string[]): string {
  const lines: string[] = [];
  BASE_HA_CF.forEach((line, i) => {
    const replacement = replace[i + 1];
    if (replacement === undefined) {
      lines.push(line);
    } else if (replacement !== null) {
      lines.push(replacement);
    }
  });
  return [...lines, ...append].join("\n") + "\n";
}

interface Variant {
  readonly name: string;
  /** Files that differ from BASE; null removes the file. */
  readonly files?: Partial<Record<FileName, string | null>>;
  readonly authkeysMode?: number;
  readonly localNode?: string;
  /** Every finding, formatted, with the config directory shown as $DIR. */
  readonly expected: readonly string[];
}

const VARIANTS: readonly Variant[] = [
  // --- ha.cf ---
  {
    name: "a typo in a directive name",
    files: { "ha.cf": haCf({}, "deadtme 30") },
    expected: ['$DIR/ha.cf:12: Illegal directive "deadtme": did you mean "deadtime"?'],
  },
  {
    name: "a directive in the wrong case",
    files: { "ha.cf": haCf({ 1: "Keepalive 2" }) },
    expected: ['$DIR/ha.cf:1: Illegal directive "Keepalive": did you mean "keepalive"?'],
  },
  {
    name: "a unit separated from its number",
    files: { "ha.cf": haCf({ 1: "keepalive 2 s" }) },
    expected: [
      '$DIR/ha.cf:1: keepalive value "s" is not a valid time: a unit must be glued to its number (500ms, not 500 ms) and a number without unit is seconds',
    ],
  },
  {
    name: "an s unit, which Heartbeat does not have",
    files: { "ha.cf": haCf({ 2: "deadtime 30s" }) },
    expected: [
      '$DIR/ha.cf:2: deadtime value "30s" is not a valid time: Heartbeat has no "s" unit, a number without unit is already seconds (write 30, 0.5 or 500ms)',
    ],
  },
  {
    name: "an unknown unit",
    files: { "ha.cf": haCf({ 3: "warntime 10sec5" }) },
    expected: ['$DIR/ha.cf:3: warntime value "10sec5" is not a valid time: expected seconds (2, 0.5) or a number with ms or us glued to it (500ms)'],
  },
  {
    name: "deadtime not more than twice keepalive",
    files: { "ha.cf": haCf({ 1: "keepalive 500ms", 2: "deadtime 1000ms", 3: "warntime 800ms" }) },
    expected: ["$DIR/ha.cf:2: deadtime 1000ms is too small compared to keepalive 500ms: it must be more than twice keepalive"],
  },
  {
    name: "initdead below deadtime",
    files: { "ha.cf": haCf({ 4: "initdead 20" }) },
    expected: ["$DIR/ha.cf:4: initdead 20 (20 seconds) is smaller than deadtime 30 (30 seconds): it must be at least deadtime"],
  },
  {
    name: "an explicit deadping not more than twice keepalive",
    files: { "ha.cf": haCf({}, "deadping 4") },
    expected: ["$DIR/ha.cf:12: deadping 4 (4 seconds) is too small compared to keepalive 2 (2 seconds): it must be more than twice keepalive"],
  },
  {
    name: "warntime zero",
    files: { "ha.cf": haCf({ 3: "warntime 0" }) },
    expected: ['$DIR/ha.cf:3: warntime value "0" is too small: it must be more than 0'],
  },
  {
    name: "mcast ttl 5",
    files: { "ha.cf": haCf({}, "mcast eth0 225.0.0.1 694 5 0") },
    expected: ['$DIR/ha.cf:12: mcast ttl "5" is out of range: expected 0 to 4 (Heartbeat refuses more)'],
  },
  {
    name: "a unicast address as mcast group",
    files: { "ha.cf": haCf({}, "mcast eth0 192.168.9.255 694 1 0") },
    expected: ['$DIR/ha.cf:12: mcast group "192.168.9.255" is not an IPv4 multicast address: expected 224.0.0.0 to 239.255.255.255'],
  },
  {
    name: "mcast missing its loop argument",
    files: { "ha.cf": haCf({}, "mcast eth0 225.0.0.1 694 1") },
    expected: ['$DIR/ha.cf:12: mcast needs 5 arguments (DEV GROUP PORT TTL LOOP), got 4: expected e.g. "mcast eth0 225.0.0.1 694 1 0"'],
  },
  {
    name: "ucast without its peer",
    files: { "ha.cf": haCf({ 6: "ucast eth1" }) },
    expected: [
      '$DIR/ha.cf:6: ucast eth1 has no peer: expected "ucast eth1 PEER" with the other node\'s address',
      "$DIR/ha.cf: no heartbeat media: add a bcast, mcast or ucast line",
    ],
  },
  {
    name: "no media at all",
    files: { "ha.cf": haCf({ 6: null }) },
    expected: ["$DIR/ha.cf: no heartbeat media: add a bcast, mcast or ucast line"],
  },
  {
    name: "no node lines",
    files: { "ha.cf": haCf({ 8: null, 9: null }) },
    expected: [
      "$DIR/ha.cf: no nodes: add a node line naming every cluster member as uname -n prints it",
      '$DIR/haresources:1: node "srv5.localdomain" is not declared in ha.cf',
    ],
  },
  {
    name: "a node declared twice",
    files: { "ha.cf": haCf({}, "node SRV5.localdomain") },
    expected: ['$DIR/ha.cf:12: node "srv5.localdomain" is declared twice (first at line 8)'],
  },
  {
    name: "a node that is also a ping node",
    files: { "ha.cf": haCf({}, "ping srv6.localdomain") },
    expected: ['$DIR/ha.cf:12: "srv6.localdomain" is declared both as a node (line 9) and as a ping node'],
  },
  {
    name: "this machine not declared",
    localNode: "srv7.localdomain",
    expected: ['$DIR/ha.cf: node "srv7.localdomain" (this machine, from --node-name/uname -n) is not declared by a node line in ha.cf'],
  },
  {
    name: "autojoin any",
    files: { "ha.cf": haCf({}, "autojoin any") },
    expected: ["$DIR/ha.cf:12: autojoin any conflicts with haresources: nodes must be declared by node lines (write autojoin none)"],
  },
  {
    name: "pacemaker on",
    files: { "ha.cf": haCf({}, "pacemaker on") },
    expected: [
      "$DIR/ha.cf:12: pacemaker on enables Pacemaker, which Twinbeat does not provide: Twinbeat only runs haresources (remove the line or write pacemaker off)",
    ],
  },
  {
    name: "a medium Debian does not build",
    files: { "ha.cf": haCf({}, "tipc eth0") },
    expected: [
      '$DIR/ha.cf:12: Illegal directive "tipc": Debian\'s Heartbeat 3.0.6 does not build the tipc medium and Twinbeat does not have it (use bcast, mcast or ucast)',
    ],
  },
  {
    name: "a relative respawn program",
    files: { "ha.cf": haCf({ 11: "respawn hacluster ipfail" }) },
    expected: ['$DIR/ha.cf:11: respawn program "ipfail" is not an absolute path: write its full path (e.g. /usr/lib/heartbeat/ipfail)'],
  },
  {
    name: "a respawn program that does not exist",
    files: { "ha.cf": haCf({}, "respawn root /nonexistent/twinbeat-test/monitor --fast") },
    expected: ['$DIR/ha.cf:12: warning: respawn program "/nonexistent/twinbeat-test/monitor" does not exist or is not executable'],
  },
  {
    name: "apiauth given twice for a client",
    files: { "ha.cf": haCf({}, "apiauth ipfail uid=hacluster", "apiauth ipfail gid=haclient") },
    expected: ['$DIR/ha.cf:13: apiauth for client "ipfail" is given twice (first at line 12)'],
  },
  {
    name: "ping_group without hosts",
    files: { "ha.cf": haCf({}, "ping_group uplinks") },
    expected: ['$DIR/ha.cf:12: ping_group "uplinks" has no hosts: expected "ping_group uplinks HOST..."'],
  },
  {
    name: "auto_failback left out",
    files: { "ha.cf": haCf({ 7: null }) },
    expected: [
      "$DIR/ha.cf:10: warning: ipfail does nothing with auto_failback legacy: it exits at once in legacy mode (write auto_failback on or off)",
      "$DIR/ha.cf: warning: auto_failback not set: Heartbeat's default 'legacy' is deprecated and disables hb_standby and ipfail (write auto_failback on or off)",
    ],
  },
  {
    name: "initdead under 10 seconds",
    files: { "ha.cf": haCf({ 1: "keepalive 1", 2: "deadtime 5", 3: "warntime 2", 4: "initdead 8" }) },
    expected: [
      "$DIR/ha.cf:4: warning: initdead 8 (8 seconds) may be too small: it gives the network time to come up at boot and should be at least 10 seconds",
    ],
  },
  // --- haresources ---
  {
    name: "a group for a node ha.cf does not declare",
    files: { haresources: "srv7.localdomain IPaddr::192.168.8.100/32\n" },
    expected: ['$DIR/haresources:1: node "srv7.localdomain" is not declared in ha.cf'],
  },
  {
    name: "IPaddr:: with no address",
    files: { haresources: "srv5.localdomain IPaddr::\n" },
    expected: ['$DIR/haresources:1: resource "IPaddr::" has an empty argument: remove the extra "::" or give the argument'],
  },
  {
    name: "a resource with an empty name",
    files: { haresources: "srv5.localdomain 192.168.8.100 ::httpd\n" },
    expected: ['$DIR/haresources:1: resource "::httpd" has an empty name: expected NAME or NAME::ARG[::ARG...]'],
  },
  {
    name: "a bare IP with an octet above 255",
    files: { haresources: "srv5.localdomain 192.168.8.256\n" },
    expected: ['$DIR/haresources:1: resource "192.168.8.256" is not a valid IP address resource: "192.168.8.256" is not an IPv4 address'],
  },
  {
    name: "a bare IPv6 address",
    files: { haresources: "srv5.localdomain 2001:db8::100/64\n" },
    expected: [
      '$DIR/haresources:1: resource "2001:db8::100/64" is a bare IPv6 address, which haresources does not accept: write IPv6addr::2001:db8::100/64 or IPaddr2::2001:db8::100/64',
    ],
  },
  {
    name: "the same group key twice",
    files: { haresources: "srv5.localdomain 192.168.8.100 IPaddr2::192.0.2.1/24\nsrv6.localdomain 192.168.8.100 IPaddr2::192.0.2.2/24\n" },
    expected: ['$DIR/haresources:2: resource group key "192.168.8.100" is already used by the group at line 1: the first resource of each line must be unique'],
  },
  {
    name: "a group key that occurs inside another line",
    files: { haresources: "srv5.localdomain IPaddr::192.168.8.100/32\nsrv6.localdomain IPaddr::192.168.8.101/32 IPaddr::192.168.8.100/32\n" },
    expected: [
      '$DIR/haresources:1: warning: resource group key "IPaddr::192.168.8.100/32" also matches line 2: Heartbeat finds a group by searching haresources for its key, so it would mix the two lines (make each first resource unique)',
    ],
  },
  {
    name: "a resource script that is nowhere",
    files: { haresources: "srv5.localdomain 192.168.8.100 httpd\n" },
    expected: ['$DIR/haresources:1: warning: cannot locate resource script "httpd" in $DIR/resource.d or $DIR/init.d'],
  },
  {
    name: "a built-in agent in the wrong case",
    files: { haresources: "srv5.localdomain ipaddr2::192.168.8.100/24\n" },
    expected: [
      '$DIR/haresources:1: warning: cannot locate resource script "ipaddr2" in $DIR/resource.d or $DIR/init.d: did you mean "IPaddr2"? (names are case-sensitive)',
    ],
  },
  // --- authkeys ---
  {
    name: "authkeys readable by everyone",
    authkeysMode: 0o644,
    expected: ["$DIR/authkeys: bad permissions 0644 on authkeys: it must not be readable by group or others (chmod 600)"],
  },
  {
    name: "crc with a key",
    files: { authkeys: "auth 1\n1 crc Secret\n" },
    expected: ['$DIR/authkeys:2: key 1 uses crc, which takes no key, but "Secret" was given'],
  },
  {
    name: "sha1 without a key",
    files: { authkeys: "auth 1\n1 sha1\n" },
    expected: ['$DIR/authkeys:2: key 1 uses sha1, which needs a key: expected "1 sha1 SECRET"'],
  },
  {
    name: "the active key missing",
    files: { authkeys: "auth 3\n1 sha1 Secret\n" },
    expected: ['$DIR/authkeys:1: auth 3 names a key that is not defined: add a line "3 sha1 SECRET"'],
  },
  {
    name: "an unknown auth method",
    files: { authkeys: "auth 1\n1 sha256 Secret\n" },
    expected: ['$DIR/authkeys:2: unknown auth method "sha256" for key 1: expected crc, md5 or sha1'],
  },
  {
    name: "a key index defined twice",
    files: { authkeys: "auth 1\n1 sha1 Secret\n1 md5 Other\n" },
    expected: ["$DIR/authkeys:3: key index 1 is defined twice (first at line 2)"],
  },
  {
    name: "no auth line",
    files: { authkeys: "1 sha1 Secret\n" },
    expected: ['$DIR/authkeys: no "auth N" line: add one naming the key index to sign with (e.g. "auth 1")'],
  },
  // --- twinbeat.cf ---
  {
    name: "an unknown twinbeat.cf key",
    files: { "twinbeat.cf": "status_htp 127.0.0.1:8080\n" },
    expected: ['$DIR/twinbeat.cf:1: Illegal directive "status_htp": did you mean "status_http"?'],
  },
  {
    name: "a status_http address without port",
    files: { "twinbeat.cf": "status_http 127.0.0.1\n" },
    expected: [
      '$DIR/twinbeat.cf:1: status_http value "127.0.0.1" is not valid: expected IPV4:PORT or [IPV6]:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:8080)',
    ],
  },
  {
    name: "monitors of an unknown resource, with a bad interval and a timeout longer than the interval",
    files: {
      "twinbeat.cf":
        "monitor httpd interval=2s\ncheck IPaddr http://192.0.2.100/ interval=0.5s timeout=1s\ncheck IPaddr tcp://192.0.2.100:80 interval=soon\ncheck IPaddr /nonexistent/twinbeat-test/check\n",
    },
    expected: [
      '$DIR/twinbeat.cf:1: resource "httpd" is not in haresources',
      "$DIR/twinbeat.cf:2: check timeout (1000 ms) is longer than its interval (500 ms): a check must end before the next is due",
      '$DIR/twinbeat.cf:3: check interval "soon" is not valid: expected a time above 0 (2, 2s, 500ms)',
      '$DIR/twinbeat.cf:4: warning: check program "/nonexistent/twinbeat-test/check" does not exist or is not executable',
    ],
  },
  {
    name: "a notify program that does not exist",
    files: { "twinbeat.cf": "notify /nonexistent/twinbeat-test/notify\n" },
    expected: ['$DIR/twinbeat.cf: warning: notify program "/nonexistent/twinbeat-test/notify" does not exist or is not executable'],
  },
  // --- missing files ---
  {
    name: "no haresources",
    files: { haresources: null },
    expected: ["$DIR/haresources: cannot read haresources: the file does not exist"],
  },
  {
    name: "no ha.cf",
    files: { "ha.cf": null },
    expected: ["$DIR/ha.cf: cannot read ha.cf: the file does not exist"],
  },
  {
    name: "no authkeys",
    files: { authkeys: null },
    expected: ["$DIR/authkeys: cannot read authkeys: the file does not exist"],
  },
];

describe("loadConfigDir() on broken variants of a clean configuration", () => {
  it("accepts the clean base configuration without findings", () => {
    const dir = makeConfigDir(BASE);
    const result = loadConfigDir(dir, { localNode: "srv5.localdomain", initDir: path.join(dir, "init.d") });
    assert.deepEqual(formatted(result, dir), []);
    assert.ok(result.config !== undefined);
  });

  for (const variant of VARIANTS) {
    it(`reports ${variant.name}`, () => {
      const files: Partial<Record<FileName, string>> = { ...BASE };
      for (const [name, text] of Object.entries(variant.files ?? {})) {
        if (text === null) {
          delete files[name as FileName];
        } else {
          files[name as FileName] = text;
        }
      }
      const dir = makeConfigDir(files, variant.authkeysMode);
      const result = loadConfigDir(dir, { localNode: variant.localNode ?? "srv5.localdomain", initDir: path.join(dir, "init.d") });
      assert.deepEqual(formatted(result, dir), variant.expected);
      const anyError = variant.expected.some((line) => !/^\S+: warning: /.test(line));
      assert.equal(result.config === undefined, anyError, "config must be present exactly when there is no error");
    });
  }

  it("has at least 30 broken variants", () => {
    assert.ok(VARIANTS.length >= 30);
  });
});

describe("loadConfigDir() on disk", () => {
  it("finds resource scripts in resource.d, then in the init directory, and needs them executable", () => {
    const dir = makeConfigDir({ ...BASE, haresources: "srv5.localdomain 192.168.8.100 local-svc httpd smb\n" });
    const initDir = path.join(dir, "init.d");
    fs.mkdirSync(path.join(dir, "resource.d"));
    fs.mkdirSync(initDir);
    fs.writeFileSync(path.join(dir, "resource.d", "local-svc"), "#!/bin/sh\n", { mode: 0o755 });
    fs.writeFileSync(path.join(initDir, "httpd"), "#!/bin/sh\n", { mode: 0o755 });
    fs.writeFileSync(path.join(initDir, "smb"), "#!/bin/sh\n", { mode: 0o644 });
    const result = loadConfigDir(dir, { localNode: "srv5.localdomain", initDir });
    assert.deepEqual(formatted(result, dir), [
      '$DIR/haresources:1: warning: cannot locate resource script "smb" in $DIR/resource.d or $DIR/init.d: $DIR/init.d/smb is not an executable file',
    ]);
    assert.ok(result.config !== undefined);
  });

  it("accepts an existing respawn program and an existing notify program", () => {
    const dir = makeConfigDir({ ...BASE, "twinbeat.cf": "" });
    const program = path.join(dir, "monitor");
    fs.writeFileSync(program, "#!/bin/sh\n", { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "ha.cf"), haCf({}, `respawn root ${program}`));
    fs.writeFileSync(path.join(dir, "twinbeat.cf"), `notify ${program}\nstatus_http [::1]:8080\n`);
    const result = loadConfigDir(dir, { localNode: "srv5.localdomain", initDir: path.join(dir, "init.d") });
    assert.deepEqual(formatted(result, dir), []);
    assert.equal(result.config?.twinbeat.notify, program);
    assert.deepEqual(result.config?.twinbeat.statusHttp, { address: "::1", port: 8080 });
  });

  it("uses twinbeat.cf defaults when the file is absent", () => {
    const { ["twinbeat.cf"]: _absent, ...withoutTwinbeat } = BASE;
    const dir = makeConfigDir(withoutTwinbeat);
    const result = loadConfigDir(dir, { localNode: "srv5.localdomain" });
    assert.deepEqual(formatted(result, dir), []);
    assert.equal(result.config?.twinbeat.resourceTimeoutMs, 60_000);
    assert.equal(result.config?.twinbeat.parameters.size, 0);
  });

  it("sorts findings by file, then line, whole-file findings last", () => {
    const dir = makeConfigDir({
      ...BASE,
      "ha.cf": haCf({ 7: null }, "deadtme 1"),
      authkeys: "auth 1\n1 crc\n",
      haresources: "srv7.localdomain 192.168.8.100\n",
    });
    const result = loadConfigDir(dir, { localNode: "srv5.localdomain", initDir: path.join(dir, "init.d") });
    assert.deepEqual(formatted(result, dir), [
      "$DIR/ha.cf:10: warning: ipfail does nothing with auto_failback legacy: it exits at once in legacy mode (write auto_failback on or off)",
      '$DIR/ha.cf:11: Illegal directive "deadtme": did you mean "deadtime"?',
      "$DIR/ha.cf: warning: auto_failback not set: Heartbeat's default 'legacy' is deprecated and disables hb_standby and ipfail (write auto_failback on or off)",
      '$DIR/haresources:1: node "srv7.localdomain" is not declared in ha.cf',
      "$DIR/authkeys:1: warning: auth 1 selects crc, which only detects corrupted packets and authenticates nothing: use sha1 with a secret key",
    ]);
  });
});
