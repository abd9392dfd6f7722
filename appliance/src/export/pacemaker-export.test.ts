// Tests for `twinbeat export pacemaker`: the seed's pair and a matrix of variants, compared with the expected files and checked by Pacemaker's own crm_verify and crm_simulate.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import type { ResourceSpec } from "../config/cluster-config";
import { loadConfigDir } from "../config/load-config-dir";
import { findingPlace } from "./export-readme";
import { exportPacemaker, type ExportedFiles } from "./pacemaker-export";
import { deriveAuthkey, type ExportMonitor, type ScriptOrigin } from "./pacemaker-model";
import { normalizeNodeName } from "../cluster/time";

/** A folder of the source tree, found from the compiled test or the repo root. */
function sourceDir(...relative: string[]): string {
  const rel = path.join(...relative);
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, rel))) return path.join(dir, rel);
  }
  return path.resolve(process.cwd(), rel);
}
const GOLDEN = sourceDir("appliance", "src", "export", "testdata");
const SEED = sourceDir("appliance", "src", "config", "testdata", "seed");

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function makeConfigDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "twinbeat-export-"));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  return dir;
}

interface Case {
  readonly name: string;
  readonly files: Record<string, string>;
  readonly localNode: string;
  readonly addresses?: Record<string, string[]>;
  readonly origins?: Record<string, ScriptOrigin>;
  readonly monitors?: (dir: string) => ExportMonitor[];
  readonly localInterfaces?: Record<string, string[]>;
}

const SHA1_KEYS = "auth 2\n2 sha1 a-long-shared-secret\n";
const RANDOM = new Uint8Array(256).fill(7);

function run(c: Case): { out: ExportedFiles; dir: string } {
  const dir = makeConfigDir(c.files);
  const loaded = loadConfigDir(dir, { localNode: c.localNode, missingResources: "warning", initDir: path.join(dir, "no-init.d") });
  assert.ok(loaded.config, `config of ${c.name} loads: ${loaded.diagnostics.map((d) => d.message).join("; ")}`);
  const out = exportPacemaker({
    config: loaded.config,
    addresses: new Map(Object.entries(c.addresses ?? {}).map(([name, addrs]) => [normalizeNodeName(name), addrs])),
    scriptOrigin: (spec: ResourceSpec) => c.origins?.[spec.name] ?? "missing",
    ocfInstance: (type, instance) =>
      type === "Dummy" && instance === "dummy1" ? { provider: "heartbeat", params: [["OCF_RESKEY_state", "/run/dummy1.state"]] } : undefined,
    randomKey: RANDOM,
    ...(c.localInterfaces !== undefined ? { localInterfaces: new Map(Object.entries(c.localInterfaces)) } : {}),
    ...(c.monitors !== undefined ? { monitors: c.monitors(dir) } : {}),
  });
  return { out, dir };
}

const seedFiles = Object.fromEntries(["ha.cf", "haresources", "authkeys"].map((f) => [f, fs.readFileSync(path.join(SEED, f), "utf8")]));

const HA_BASE = "keepalive 500ms\ndeadtime 3\nwarntime 1500ms\ninitdead 10\nnode alpha beta\n";

const CASES: readonly Case[] = [
  { name: "seed", files: seedFiles, localNode: "srv5.localdomain", addresses: { "srv5.localdomain": ["192.168.9.5"] } },
  {
    name: "agents",
    localNode: "alpha",
    files: {
      "ha.cf": HA_BASE + "ucast eth1 198.51.100.2\nucast eth1 198.51.100.1\nauto_failback on\n",
      haresources:
        "alpha IPaddr::192.0.2.10/255.255.255.0/eth0 IPaddr2::192.0.2.11/24/eth0:web/192.0.2.255 IPv6addr::2001:db8::10/64/eth0 " +
        "Filesystem::/dev/sdb1::/data::ext4 MailTo::root@example.org::failover httpd OCF::Dummy::dummy1 ocf:heartbeat:Dummy::state=/run/d2.state mysetup::x\n",
      authkeys: SHA1_KEYS,
    },
    addresses: { alpha: ["198.51.100.1"] },
    origins: { httpd: "lsb", mysetup: "resource.d" },
    monitors: (dir) => [
      { resource: "httpd", intervalMs: 10_000, timeoutMs: 20_000, onFail: "restart", at: { file: path.join(dir, "twinbeat.cf"), line: 1 } },
      { resource: "nosuch", intervalMs: 5_000, at: { file: path.join(dir, "twinbeat.cf"), line: 2 } },
    ],
  },
  {
    name: "active-active",
    localNode: "alpha",
    files: {
      "ha.cf": HA_BASE + "ucast eth1 198.51.100.2\nauto_failback off\n",
      haresources: "alpha 192.0.2.10 httpd\nbeta 192.0.2.20 postfix\nalpha IPaddr2::192.0.2.30/24 squid\n",
      authkeys: SHA1_KEYS,
    },
    addresses: { alpha: ["198.51.100.1"] },
    origins: { httpd: "lsb", postfix: "lsb", squid: "lsb" },
  },
  {
    name: "ping-group",
    localNode: "alpha",
    files: {
      "ha.cf": HA_BASE + "ucast eth1 198.51.100.2\nping 203.0.113.1\nping_group uplinks 203.0.113.2 203.0.113.3\nrespawn hacluster /usr/lib/heartbeat/ipfail\n",
      haresources: "alpha 192.0.2.10\n",
      authkeys: SHA1_KEYS,
    },
    addresses: { alpha: ["198.51.100.1"] },
  },
  {
    name: "two-media-mcast",
    localNode: "alpha",
    files: {
      "ha.cf": HA_BASE + "mcast eth1 239.0.0.43 694 1 0\nbcast eth2\n",
      haresources: "beta 192.0.2.10\n",
      authkeys: "auth 1\n1 md5 another-secret\n",
    },
    addresses: { alpha: ["198.51.100.1", "203.0.113.11"], beta: ["198.51.100.2", "203.0.113.12"] },
  },
];

const crmVerify = spawnSync("crm_verify", ["--version"]).status === 0;
const crmSimulate = spawnSync("crm_simulate", ["--version"]).status === 0;
const crmsh = spawnSync("crm", ["--version"]).status === 0;
const NEED_PACEMAKER = "crm_verify/crm_simulate missing (bash scripts/lab/install-pacemaker.sh)";

/** Compares with testdata/<case>.<file>; TWINBEAT_UPDATE_GOLDEN=1 rewrites the expected files. */
function assertGolden(caseName: string, file: string, actual: string, dir: string): void {
  const text = actual.split(dir).join("$DIR");
  const golden = path.join(GOLDEN, `${caseName}.${file}`);
  if (process.env.TWINBEAT_UPDATE_GOLDEN === "1") fs.writeFileSync(golden, text);
  assert.equal(text, fs.readFileSync(golden, "utf8"), `${golden} differs`);
}

/** Where crm_simulate puts each primitive of the CIB, with the given nodes online. */
function placements(cibXml: string, online: readonly string[], offline: readonly string[]): Map<string, string> {
  const file = path.join(makeConfigDir({}), "cib.xml");
  fs.writeFileSync(file, cibXml);
  const args = [
    "--xml-file",
    file,
    "--simulate",
    "--quorum",
    "true",
    ...online.flatMap((n) => ["--node-up", n]),
    ...offline.flatMap((n) => ["--node-down", n]),
  ];
  const text = execFileSync("crm_simulate", args, { encoding: "utf8" });
  const revised = text.slice(text.indexOf("Revised Cluster Status"));
  const placed = new Map<string, string>();
  for (const m of revised.matchAll(/^\s*\* (\S+)\s+\([^)]*\):\s+Started (\S+)/gm)) placed.set(m[1]!, m[2]!);
  return placed;
}

describe("twinbeat export pacemaker", () => {
  for (const c of CASES) {
    describe(c.name, () => {
      const { out, dir } = run(c);
      it("exports without errors and writes every file", () => {
        assert.deepEqual(
          out.findings.filter((f) => f.severity === "error"),
          [],
        );
        assert.deepEqual([...out.files.keys()], ["corosync.conf", "authkey", "cib.xml", "crm-configure.txt", "pcs-commands.sh", "README.export.md"]);
      });
      for (const file of ["cib.xml", "corosync.conf", "crm-configure.txt", "pcs-commands.sh", "README.export.md"]) {
        it(`${file} is the expected one`, () => assertGolden(c.name, file, out.files.get(file) as string, dir));
      }
      it("the CIB passes crm_verify", { skip: crmVerify ? false : NEED_PACEMAKER }, () => {
        const file = path.join(makeConfigDir({}), "cib.xml");
        fs.writeFileSync(file, out.files.get("cib.xml") as string);
        const r = spawnSync("crm_verify", ["--xml-file", file, "-V"], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.equal((r.stdout + r.stderr).trim(), "", "no warnings either");
      });
      it("crm_simulate: each group on its home node, on the other node when home is offline", { skip: crmSimulate ? false : NEED_PACEMAKER }, () => {
        const cluster = out.cluster!;
        const names = cluster.nodes.map((n) => n.name);
        const both = placements(out.files.get("cib.xml") as string, names, []);
        for (const g of cluster.groups) {
          for (const p of g.primitives) assert.equal(both.get(p.id), g.homeNode, `${p.id} of ${g.id} starts on ${g.homeNode}`);
          const other = names.find((n) => n !== g.homeNode)!;
          const without = placements(out.files.get("cib.xml") as string, [other], [g.homeNode]);
          for (const p of g.primitives) assert.equal(without.get(p.id), other, `${p.id} of ${g.id} starts on ${other} when ${g.homeNode} is offline`);
        }
      });
      it(
        "crm-configure.txt, loaded by crmsh into an empty CIB, is the same configuration as cib.xml",
        { skip: crmsh ? false : "crmsh missing (bash scripts/lab/install-pacemaker.sh)" },
        () => {
          const cluster = out.cluster!;
          const work = makeConfigDir({});
          const nodes = cluster.nodes.map((n) => `<node id="${n.nodeid}" uname="${n.name}"/>`).join("");
          const empty = path.join(work, "from-crm.xml");
          fs.writeFileSync(
            empty,
            `<cib validate-with="pacemaker-3.0" admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes>${nodes}</nodes><resources/><constraints/></configuration><status/></cib>`,
          );
          fs.writeFileSync(path.join(work, "crm.txt"), out.files.get("crm-configure.txt") as string);
          const fromXml = path.join(work, "from-xml.xml");
          fs.writeFileSync(fromXml, out.files.get("cib.xml") as string);
          const crm = (cib: string, ...args: string[]): string =>
            execFileSync("crm", args, { encoding: "utf8", env: { ...process.env, CIB_file: cib }, timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
          crm(empty, "-F", "configure", "load", "update", path.join(work, "crm.txt"));
          const show = (cib: string): string => crm(cib, "configure", "show");
          assert.equal(show(empty), show(fromXml));
        },
      );
      it("every finding names the file and line it came from (or the cluster as a whole)", () => {
        for (const f of out.findings) assert.ok(f.at === undefined ? /STONITH/.test(f.message) : f.at.file.startsWith(dir), findingPlace(f));
        assert.ok(out.findings.some((f) => /STONITH IS DISABLED/.test(f.message)));
        assert.match(out.files.get("README.export.md") as string, /STONITH is disabled/);
      });
    });
  }

  it("seed: crc authkeys gives the random key and says so; IPaddr becomes IPaddr2 with the same address", () => {
    const { out, dir } = run(CASES[0]!);
    assert.deepEqual(out.files.get("authkey"), RANDOM);
    assert.ok(out.findings.some((f) => f.severity === "warning" && /crc/.test(f.message) && f.at?.file === path.join(dir, "authkeys")));
    const conf = out.files.get("corosync.conf") as string;
    assert.match(conf, /two_node: 1/);
    assert.match(conf, /ring0_addr: 192\.168\.9\.6/, "the ucast peer is srv6's address");
    assert.match(conf, /token: 30000/);
  });

  it("sha1/md5 authkeys: the Corosync key is derived from the secret, the same on every node", () => {
    const agents = run(CASES[1]!).out;
    assert.deepEqual(agents.files.get("authkey"), deriveAuthkey("a-long-shared-secret"));
    assert.notDeepEqual(deriveAuthkey("a"), deriveAuthkey("b"));
    assert.equal(deriveAuthkey("x").length, 256);
  });

  it("agents: resource.d script and unknown monitor reported with path:line, the rest kept in order", () => {
    const { out, dir } = run(CASES[1]!);
    const notConverted = out.findings.filter((f) => f.severity === "not-converted").map(findingPlace);
    assert.deepEqual(notConverted, [`${path.join(dir, "haresources")}:1`]);
    assert.ok(out.findings.some((f) => f.severity === "warning" && /monitor nosuch/.test(f.message) && f.at?.line === 2));
    const types = out.cluster!.groups[0]!.primitives.map((p) => `${p.cls}:${p.provider ?? ""}:${p.type}`);
    assert.deepEqual(types, [
      "ocf:heartbeat:IPaddr2",
      "ocf:heartbeat:IPaddr2",
      "ocf:heartbeat:IPv6addr",
      "ocf:heartbeat:Filesystem",
      "ocf:heartbeat:MailTo",
      "lsb::httpd",
      "ocf:heartbeat:Dummy",
      "ocf:heartbeat:Dummy",
    ]);
    assert.match(out.files.get("README.export.md") as string, /mysetup::x/);
  });

  it("monitors come from twinbeat.cf: status monitors become monitor operations, other checks and failover are reported with path:line", () => {
    const { out, dir } = run({
      name: "twinbeat-cf-monitors",
      localNode: "alpha",
      files: {
        "ha.cf": HA_BASE + "ucast eth1 198.51.100.2\nauto_failback on\n",
        haresources: "alpha 192.0.2.10 httpd postfix\n",
        authkeys: SHA1_KEYS,
        "twinbeat.cf":
          "monitor httpd interval=5s timeout=3s\ncheck httpd http://192.0.2.10/ interval=2s\nmonitor postfix interval=10s on-fail=failover\nmigration_threshold 2\n",
      },
      addresses: { alpha: ["198.51.100.1"] },
      origins: { httpd: "lsb", postfix: "lsb" },
    });
    const tb = path.join(dir, "twinbeat.cf");
    const crm = out.files.get("crm-configure.txt") as string;
    assert.match(crm, /primitive \S+ lsb:httpd op monitor interval=5s timeout=3s on-fail=restart/);
    assert.match(crm, /primitive \S+ lsb:postfix op monitor interval=10s timeout=10s on-fail=restart/);
    assert.match(crm, /rsc_defaults .*migration-threshold=2 failure-timeout=600s/);
    assert.ok(
      out.findings.some((f) => f.severity === "not-converted" && /http check/.test(f.message) && f.at?.file === tb && f.at.line === 2),
      JSON.stringify(out.findings),
    );
    assert.ok(out.findings.some((f) => f.severity === "warning" && /on-fail=failover/.test(f.message) && f.at?.line === 3));
  });

  it("without monitors in twinbeat.cf, no Twinbeat failure defaults are exported", () => {
    const crm = run(CASES[2]!).out.files.get("crm-configure.txt") as string;
    assert.doesNotMatch(crm, /migration-threshold|failure-timeout/);
  });

  it("exported on a node: its own address on each medium is its device's (bcast, mcast, a single ucast line)", () => {
    const media = run({
      ...CASES[4]!,
      addresses: { beta: ["198.51.100.2", "203.0.113.12"] },
      localInterfaces: { eth1: ["198.51.100.1"], eth2: ["203.0.113.11", "2001:db8::1"] },
    }).out;
    assert.deepEqual(
      media.cluster!.nodes.map((n) => [n.name, n.addrs]),
      [
        ["alpha", ["198.51.100.1", "203.0.113.11"]],
        ["beta", ["198.51.100.2", "203.0.113.12"]],
      ],
    );
    const seed = run({ ...CASES[0]!, addresses: {}, localInterfaces: { eth1: ["192.168.9.5"] } }).out;
    assert.deepEqual(
      seed.cluster!.nodes.map((n) => n.addrs),
      [["192.168.9.5"], ["192.168.9.6"]],
    );
    const shared = run({
      ...CASES[1]!,
      addresses: {},
      localInterfaces: { eth1: ["198.51.100.9", "198.51.100.1"] },
    }).out;
    assert.deepEqual(
      shared.cluster!.nodes.map((n) => n.addrs),
      [["198.51.100.1"], ["198.51.100.2"]],
      "a shared ha.cf: the ucast line we own is ours",
    );
  });

  it("an address that cannot be derived is an error naming the medium's line and the option to give", () => {
    const c = CASES[4]!;
    const { out, dir } = run({ ...c, addresses: { alpha: ["198.51.100.1", "203.0.113.11"] } });
    assert.equal(out.files.size, 0);
    const errors = out.findings.filter((f) => f.severity === "error");
    assert.deepEqual(errors.map(findingPlace), [`${path.join(dir, "ha.cf")}:6`, `${path.join(dir, "ha.cf")}:7`]);
    assert.match(errors[0]!.message, /--address beta=ADDR/);
  });
});
