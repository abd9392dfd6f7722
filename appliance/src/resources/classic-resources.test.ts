// Tests for the classic resource names: each argument mapping, and (when the heartbeat package is installed) the same haresources arguments run through Heartbeat's own wrapper and through Twinbeat against one stub OCF agent that records its environment.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import type { ResourceSpec } from "../config/cluster-config";
import { AgentRegistry, UnavailableAgent } from "./agent-registry";
import { classicResource, CLASSIC_RESOURCE_NAMES, packageOfResourceScript, type ClassicMappingProbe } from "./classic-resources";
import { OcfAgent } from "./ocf-agent";
import type { AgentContext } from "./resource-agent";

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

const noFiles = { isFile: () => false };

function mapped(name: string, args: readonly string[], probe: ClassicMappingProbe = noFiles): { instance: string; env: Record<string, string> } | string {
  const classic = classicResource(name);
  assert.ok(classic !== undefined, name);
  const m = classic.map(args, probe);
  return m.ok ? { instance: m.instance, env: Object.fromEntries(m.params) } : m.message;
}

describe("classic resource argument mapping", () => {
  it("Filesystem: device, directory, then fstype and options when given; instance named after the device", () => {
    assert.deepEqual(mapped("Filesystem", ["/dev/drbd0", "/data", "ext3"]), {
      instance: "Filesystem_/dev/drbd0",
      env: { OCF_RESKEY_device: "/dev/drbd0", OCF_RESKEY_directory: "/data", OCF_RESKEY_fstype: "ext3" },
    });
    assert.deepEqual(mapped("Filesystem", ["server:/data1", "/data1", "nfs", "ro"]), {
      instance: "Filesystem_server:/data1",
      env: { OCF_RESKEY_device: "server:/data1", OCF_RESKEY_directory: "/data1", OCF_RESKEY_fstype: "nfs", OCF_RESKEY_options: "ro" },
    });
    assert.deepEqual(mapped("Filesystem", ["-Ldata1", "/data1"]), {
      instance: "Filesystem_-Ldata1",
      env: { OCF_RESKEY_device: "-Ldata1", OCF_RESKEY_directory: "/data1" },
    });
    assert.match(mapped("Filesystem", ["/dev/sdb1"]) as string, /expected Filesystem::DEVICE::DIRECTORY/);
    assert.equal(typeof mapped("Filesystem", ["a", "b", "c", "d", "e"]), "string");
  });

  it("MailTo, apache, Delay: optional arguments, Heartbeat's instance names", () => {
    assert.deepEqual(mapped("MailTo", ["root"]), { instance: "MailTo", env: { OCF_RESKEY_email: "root" } });
    assert.deepEqual(mapped("MailTo", ["a@example.org,b@example.org", "Web"]), {
      instance: "MailTo",
      env: { OCF_RESKEY_email: "a@example.org,b@example.org", OCF_RESKEY_subject: "Web" },
    });
    assert.equal(typeof mapped("MailTo", []), "string");
    assert.deepEqual(mapped("apache", ["/etc/apache2/apache2.conf"]), {
      instance: "apache_/etc/apache2/apache2.conf",
      env: { OCF_RESKEY_configfile: "/etc/apache2/apache2.conf" },
    });
    assert.deepEqual(mapped("apache", []), { instance: "apache_", env: {} });
    assert.deepEqual(mapped("Delay", []), { instance: "Delay_10", env: {} });
    assert.deepEqual(mapped("Delay", ["5", "3"]), { instance: "Delay_5", env: { OCF_RESKEY_startdelay: "5", OCF_RESKEY_stopdelay: "3" } });
  });

  it("SendArp splits IP/INTERFACE at the first slash; portblock and AudibleAlarm as the wrappers build them", () => {
    assert.deepEqual(mapped("SendArp", ["192.0.2.10/eth0"]), { instance: "SendArp_192.0.2.10", env: { OCF_RESKEY_ip: "192.0.2.10", OCF_RESKEY_nic: "eth0" } });
    assert.deepEqual(mapped("portblock", ["tcp", "80,443", "block"]), {
      instance: "portblock_tcp_80,443_block",
      env: { OCF_RESKEY_protocol: "tcp", OCF_RESKEY_portno: "80,443", OCF_RESKEY_action: "block" },
    });
    assert.deepEqual(mapped("AudibleAlarm", ["node1", "node2"]), { instance: "AudibleAlarm", env: { OCF_RESKEY_nodelist: "node1 node2 " } });
  });

  it("WAS takes a file as its configuration and digits as a port", () => {
    assert.deepEqual(mapped("WAS", ["/opt/was/conf"], { isFile: (p) => p === "/opt/was/conf" }), {
      instance: "WAS",
      env: { OCF_RESKEY_config: "/opt/was/conf" },
    });
    assert.deepEqual(mapped("WAS", ["9080"]), { instance: "WAS", env: { OCF_RESKEY_port: "9080" } });
    assert.match(mapped("WAS", ["nope"]) as string, /neither a WAS configuration file nor a port number/);
  });

  it("knows drbddisk as drbd-utils' script, not as a classic name", () => {
    assert.equal(classicResource("drbddisk"), undefined);
    assert.equal(packageOfResourceScript("drbddisk"), "drbd-utils");
    assert.equal(packageOfResourceScript("toString"), undefined);
  });
});

// ---------------------------------------------------------------------------------------
// Differential: Heartbeat's wrapper and Twinbeat against the same stub agent.
// ---------------------------------------------------------------------------------------

const HEARTBEAT_RESOURCE_D = "/etc/ha.d/resource.d";
const OCF_SHELLFUNCS = "/usr/lib/ocf/lib/heartbeat/ocf-shellfuncs";
const heartbeatMissing = !fs.existsSync(path.join(HEARTBEAT_RESOURCE_D, "hto-mapfuncs")) || !fs.existsSync("/etc/ha.d/shellfuncs");
const agentsMissing = !fs.existsSync(OCF_SHELLFUNCS);
const skipReason = heartbeatMissing
  ? "the heartbeat package is not installed (its wrappers in /etc/ha.d/resource.d are the reference; scripts/lab/install-heartbeat.sh installs it)"
  : agentsMissing
    ? `resource-agents is not installed (${OCF_SHELLFUNCS} is sourced by Heartbeat's wrappers)`
    : false;

/** Writes `OCF_RESKEY_*` (but Pacemaker's CRM_meta_*) and OCF_RESOURCE_INSTANCE, sorted, to $STUB_ENV_OUT/<type>.<op>. */
const STUB_AGENT = `#!/bin/sh
env | grep -E '^(OCF_RESKEY_|OCF_RESOURCE_INSTANCE=)' | grep -v '^OCF_RESKEY_CRM_meta_' | LC_ALL=C sort > "$STUB_ENV_OUT/$(basename "$0").$1"
exit 0
`;

interface Bench {
  readonly stubRoot: string;
  readonly wrapperDir: string;
  readonly outDir: string;
  readonly configDir: string;
  readonly initDir: string;
}

/**
 * A stub OCF root (every classic agent is the recording stub, next to the real
 * .ocf-shellfuncs the wrappers source) and copies of Heartbeat's wrappers whose two
 * hard-wired paths (hto-mapfuncs, the OCF agent directory) point at it. The copies live only
 * in the test's temporary directory.
 */
function bench(): Bench {
  const base = tempDir("tb-classic-");
  const stubRoot = path.join(base, "ocf");
  const agentDir = path.join(stubRoot, "resource.d", "heartbeat");
  const wrapperDir = path.join(base, "wrappers");
  const outDir = path.join(base, "out");
  const configDir = path.join(base, "ha.d");
  const initDir = path.join(base, "init.d");
  for (const dir of [agentDir, wrapperDir, outDir, path.join(configDir, "resource.d"), initDir]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  fs.symlinkSync(OCF_SHELLFUNCS, path.join(agentDir, ".ocf-shellfuncs"));
  for (const name of CLASSIC_RESOURCE_NAMES) {
    fs.writeFileSync(path.join(agentDir, name), STUB_AGENT, { mode: 0o755 });
  }
  const mapfuncs = fs.readFileSync(path.join(HEARTBEAT_RESOURCE_D, "hto-mapfuncs"), "utf8");
  assert.match(mapfuncs, /^OCF_RA_DIR=.*$/m, "hto-mapfuncs no longer sets OCF_RA_DIR: the reference changed");
  fs.writeFileSync(path.join(wrapperDir, "hto-mapfuncs"), mapfuncs.replace(/^OCF_RA_DIR=.*$/m, `OCF_RA_DIR=${stubRoot}/resource.d/`));
  for (const name of CLASSIC_RESOURCE_NAMES) {
    const text = fs.readFileSync(path.join(HEARTBEAT_RESOURCE_D, name), "utf8");
    assert.match(text, /\/etc\/ha\.d\/resource\.d\/+hto-mapfuncs/, `${name} no longer sources hto-mapfuncs`);
    fs.writeFileSync(path.join(wrapperDir, name), text.replace(/\/etc\/ha\.d\/resource\.d\/+hto-mapfuncs/g, path.join(wrapperDir, "hto-mapfuncs")), {
      mode: 0o755,
    });
  }
  return { stubRoot, wrapperDir, outDir, configDir, initDir };
}

/** What the stub recorded for one run, or "not run". */
function recorded(b: Bench, name: string, op: string): string {
  const file = path.join(b.outDir, `${name}.${op}`);
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "not run";
  fs.rmSync(file, { force: true });
  return text;
}

/** Heartbeat's way: `resource.d/<name> args… <op>`, as ResourceManager runs it. */
function runHeartbeatWrapper(b: Bench, name: string, args: readonly string[], op: "start" | "status"): string {
  const result = spawnSync(path.join(b.wrapperDir, name), [...args, op], {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", STUB_ENV_OUT: b.outDir },
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(result.error, undefined, `${name}: ${String(result.error)}`);
  return recorded(b, name, op === "status" ? "monitor" : op);
}

/** Twinbeat's way: the registry's agent for the same haresources token. */
async function runTwinbeat(b: Bench, name: string, args: readonly string[], op: "start" | "status"): Promise<string> {
  const context: AgentContext = {
    configDir: b.configDir,
    initDir: b.initDir,
    timeoutMs: 20_000,
    env: { OCF_ROOT: b.stubRoot, STUB_ENV_OUT: b.outDir },
    log: () => {},
  };
  const spec: ResourceSpec = { raw: [name, ...args].join("::"), name, args };
  const agent = new AgentRegistry(context).agentFor(spec);
  if (agent instanceof UnavailableAgent) {
    return "not run";
  }
  assert.ok(agent instanceof OcfAgent, `${spec.raw} is not run as an OCF agent`);
  if (op === "start") {
    assert.deepEqual(await agent.start(), { kind: "succeeded" });
  } else {
    assert.equal((await agent.status()).kind, "running");
  }
  return recorded(b, name, op === "status" ? "monitor" : op);
}

/** haresources arguments per classic name: the common forms, the optional ones, and wrong counts. */
function argumentCases(b: Bench): Record<string, ReadonlyArray<readonly string[]>> {
  const wasConf = path.join(b.outDir, "..", "was.conf");
  fs.writeFileSync(wasConf, "");
  return {
    Filesystem: [
      [],
      ["/dev/sdb1"],
      ["/dev/drbd0", "/data"],
      ["/dev/drbd0", "/data", "ext3"],
      ["server:/data1", "/data1", "nfs", "ro"],
      ["-Ldata1", "/data1", "ext2"],
      ["a", "b", "c", "d", "e"],
    ],
    MailTo: [[], ["root"], ["alanr@example.org,spoppi@example.net", "BigImportantWebServer"], ["a", "b", "c"]],
    apache: [[], ["/etc/apache2/apache2.conf"], ["a", "b"]],
    Delay: [[], ["5"], ["5", "3"], ["1", "2", "3"]],
    IPsrcaddr: [[], ["192.0.2.10"], ["192.0.2.10", "x"]],
    SendArp: [[], ["192.0.2.10/eth0"], ["192.0.2.10"], ["192.0.2.10/eth0", "x"]],
    LVM: [[], ["vg0"], ["vg0", "x"]],
    Raid1: [[], ["/etc/raidtab"], ["/etc/raidtab", "/dev/md0"], ["a", "b", "c"]],
    Xinetd: [[], ["tftp"], ["tftp", "x"]],
    portblock: [
      ["tcp", "80"],
      ["tcp", "80,443", "block"],
      ["udp", "53", "unblock"],
      ["a", "b", "c", "d"],
    ],
    AudibleAlarm: [[], ["node1"], ["node1", "node2"]],
    ICP: [["c0h0"], ["c0h0", "/dev/sda"], ["a", "b", "c"]],
    LinuxSCSI: [[], ["0:0:1:0"], ["0:0:1", "x"]],
    ServeRAID: [["1"], ["1", "2"], ["1", "2", "3"]],
    WAS: [[], [wasConf], ["9080"], ["not-a-port"], ["9080", "x"]],
    WinPopup: [[], ["/etc/hosts.win"], ["a", "b"]],
    db2: [[], ["db2inst1"], ["db2inst1", "x"]],
    ids: [[], ["/opt/informix"], ["/opt/informix", "srv1", "onconfig.srv1"], ["a", "b", "c", "d"]],
  };
}

describe("classic names against Heartbeat's own wrappers", { skip: skipReason }, () => {
  it("every classic name has cases, and a wrapper in the heartbeat package", () => {
    const b = bench();
    assert.deepEqual(Object.keys(argumentCases(b)).sort(), [...CLASSIC_RESOURCE_NAMES].sort());
  });

  for (const name of CLASSIC_RESOURCE_NAMES) {
    it(`${name}: the agent sees the same OCF_RESKEY_* and instance for every argument list (start and status)`, async () => {
      const b = bench();
      const cases = argumentCases(b)[name] ?? [];
      let ran = 0;
      for (const args of cases) {
        for (const op of ["start", "status"] as const) {
          const heartbeat = runHeartbeatWrapper(b, name, args, op);
          const twinbeat = await runTwinbeat(b, name, args, op);
          assert.equal(twinbeat, heartbeat, `${[name, ...args].join("::")} ${op}`);
          if (heartbeat !== "not run") ran++;
        }
      }
      assert.ok(ran > 0, `no argument list of ${name} reached the agent`);
    });
  }
});
