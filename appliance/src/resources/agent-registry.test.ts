// Tests for the agent registry: lookup order (built-ins, resource.d, classic names, init dir), missing scripts and packages, caching, HA_* environment.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import type { ResourceSpec } from "../config/cluster-config";
import { AgentRegistry, resourceEnvironment, UnavailableAgent } from "./agent-registry";
import { IpAddressAgent } from "./ip-address-agent";
import { OcfAgent } from "./ocf-agent";
import type { AgentContext } from "./resource-agent";
import { ScriptAgent } from "./script-agent";

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

function writeScript(file: string, mode = 0o755): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\necho "$0 $*"\n', { mode });
  fs.chmodSync(file, mode);
}

/** configDir with resource.d, an init dir and an OCF root, each starting empty. */
function layout(): { configDir: string; initDir: string; ocfRoot: string; context: AgentContext; logs: string[] } {
  const base = tempDir("tb-registry-");
  const configDir = path.join(base, "ha.d");
  const initDir = path.join(base, "init.d");
  const ocfRoot = path.join(base, "ocf");
  fs.mkdirSync(path.join(configDir, "resource.d"), { recursive: true });
  fs.mkdirSync(initDir, { recursive: true });
  fs.mkdirSync(path.join(ocfRoot, "resource.d", "heartbeat"), { recursive: true });
  const logs: string[] = [];
  const context: AgentContext = { configDir, initDir, timeoutMs: 5000, env: { OCF_ROOT: ocfRoot }, log: (level, text) => logs.push(`${level}: ${text}`) };
  return { configDir, initDir, ocfRoot, context, logs };
}

function spec(raw: string): ResourceSpec {
  const [name, ...args] = raw.split("::");
  return { raw, name: name!, args };
}

describe("AgentRegistry lookup order", () => {
  it("uses the built-in IP agents even when resource.d has Heartbeat's IPaddr script", () => {
    const { configDir, context } = layout();
    writeScript(path.join(configDir, "resource.d", "IPaddr"));
    const registry = new AgentRegistry(context);
    for (const raw of ["IPaddr::192.0.2.100/32", "IPaddr2::192.0.2.100/24/eth0", "IPv6addr::2001:db8:0:0:0:0:0:10", "ocf:heartbeat:IPaddr2::192.0.2.9/24"]) {
      assert.ok(registry.agentFor(spec(raw)) instanceof IpAddressAgent, raw);
    }
    assert.deepEqual(registry.locate(spec("IPaddr::192.0.2.100")), { kind: "ip" });
  });

  it("takes <configDir>/resource.d before <initDir>, then <initDir> as an LSB script", () => {
    const { configDir, initDir, context } = layout();
    writeScript(path.join(configDir, "resource.d", "httpd"));
    writeScript(path.join(initDir, "httpd"));
    writeScript(path.join(initDir, "mysql"));
    const registry = new AgentRegistry(context);
    const httpd = registry.agentFor(spec("httpd"));
    assert.ok(httpd instanceof ScriptAgent);
    assert.equal(httpd.path, path.join(configDir, "resource.d", "httpd"));
    assert.equal(httpd.kind, "heartbeat");
    const mysql = registry.agentFor(spec("mysql"));
    assert.ok(mysql instanceof ScriptAgent);
    assert.equal(mysql.path, path.join(initDir, "mysql"));
    assert.equal(mysql.kind, "lsb");
    assert.equal(mysql.commandLine, path.join(initDir, "mysql"));
  });

  it("skips files that are not executable, as Heartbeat's `[ -f -a -x ]` does", () => {
    const { configDir, initDir, context } = layout();
    writeScript(path.join(configDir, "resource.d", "smb"), 0o644);
    writeScript(path.join(initDir, "smb"));
    const agent = new AgentRegistry(context).agentFor(spec("smb"));
    assert.ok(agent instanceof ScriptAgent);
    assert.equal(agent.path, path.join(initDir, "smb"));
  });

  it("runs OCF agents for `OCF::` and `ocf:provider:agent` names", () => {
    const { configDir, ocfRoot, context } = layout();
    writeScript(path.join(ocfRoot, "resource.d", "linbit", "drbd"));
    fs.mkdirSync(path.join(configDir, "conf", "OCF", "drbd"), { recursive: true });
    fs.writeFileSync(path.join(configDir, "conf", "OCF", "drbd", "r0"), "OCF_RESKEY_drbd_resource=r0\n");
    const registry = new AgentRegistry(context);
    assert.ok(registry.agentFor(spec("ocf:linbit:drbd::drbd_resource=r0")) instanceof OcfAgent);
    assert.ok(registry.agentFor(spec("OCF::drbd::r0")) instanceof OcfAgent);
  });

  it("falls back to the OCF agent behind a Heartbeat wrapper name when no script exists", () => {
    const { ocfRoot, context } = layout();
    writeScript(path.join(ocfRoot, "resource.d", "heartbeat", "Filesystem"));
    const agent = new AgentRegistry(context).agentFor(spec("Filesystem::/dev/sdb1::/data::ext4"));
    assert.ok(agent instanceof OcfAgent);
    assert.equal(
      agent.commandLine,
      `OCF_RESOURCE_INSTANCE=Filesystem_/dev/sdb1 OCF_RESKEY_device=/dev/sdb1 OCF_RESKEY_directory=/data OCF_RESKEY_fstype=ext4 ${ocfRoot}/resource.d/heartbeat/Filesystem`,
    );
  });

  it("prefers a Filesystem script on disk over the OCF fallback", () => {
    const { configDir, ocfRoot, context } = layout();
    writeScript(path.join(ocfRoot, "resource.d", "heartbeat", "Filesystem"));
    writeScript(path.join(configDir, "resource.d", "Filesystem"));
    assert.ok(new AgentRegistry(context).agentFor(spec("Filesystem::/dev/sdb1::/data")) instanceof ScriptAgent);
  });

  it("runs a classic name's OCF agent before an init script of the same name, and the init script when the agent is absent", () => {
    const { initDir, ocfRoot, context } = layout();
    writeScript(path.join(initDir, "apache"));
    writeScript(path.join(initDir, "MailTo"));
    writeScript(path.join(ocfRoot, "resource.d", "heartbeat", "apache"));
    const registry = new AgentRegistry(context);
    const apache = registry.agentFor(spec("apache::/etc/apache2/apache2.conf"));
    assert.ok(apache instanceof OcfAgent);
    assert.equal(apache.instance, "apache_/etc/apache2/apache2.conf");
    assert.deepEqual(registry.locate(spec("MailTo::root")), { kind: "script", path: path.join(initDir, "MailTo"), scriptKind: "lsb" });
  });

  it("says which package is missing for a classic name or a packaged script, and refuses wrong argument counts", async () => {
    const { configDir, ocfRoot, context } = layout();
    const registry = new AgentRegistry(context);
    const mail = registry.locate(spec("MailTo::root"));
    assert.equal(mail.kind, "missing");
    assert.equal(mail.kind === "missing" && mail.package, "resource-agents");
    assert.match(
      mail.kind === "missing" ? mail.message : "",
      new RegExp(`${ocfRoot}/resource.d/heartbeat/MailTo .*Debian package resource-agents; or put a script named MailTo in ${configDir}/resource.d`),
    );
    const drbd = registry.locate(spec("drbddisk::r0"));
    assert.equal(drbd.kind === "missing" && drbd.package, "drbd-utils");
    writeScript(path.join(ocfRoot, "resource.d", "heartbeat", "Filesystem"));
    const tooFew = registry.agentFor(spec("Filesystem::/dev/sdb1"));
    assert.ok(tooFew instanceof UnavailableAgent);
    assert.deepEqual(await tooFew.start(), {
      kind: "failed",
      exitCode: 2,
      output: 'resource "Filesystem::/dev/sdb1": wrong number of arguments: expected Filesystem::DEVICE::DIRECTORY[::FSTYPE[::OPTIONS]]',
    });
  });

  it("gives a missing script an agent that reports 'Cannot locate resource script' loudly", async () => {
    const { configDir, initDir, context, logs } = layout();
    const registry = new AgentRegistry(context);
    const agent = registry.agentFor(spec("nosuch::x"));
    assert.ok(agent instanceof UnavailableAgent);
    const message = `Cannot locate resource script nosuch (looked in ${configDir}/resource.d and ${initDir})`;
    assert.deepEqual(await agent.start(), { kind: "not-found", message });
    assert.deepEqual(await agent.stop(), { kind: "not-found", message });
    assert.deepEqual(await agent.status(), { kind: "unknown", words: message });
    assert.deepEqual(logs, [`error: Cannot start nosuch::x: ${message}`, `error: Cannot stop nosuch::x: ${message}`]);
    // Installed later: found on the next lookup.
    writeScript(path.join(initDir, "nosuch"));
    assert.ok(registry.agentFor(spec("nosuch::x")) instanceof ScriptAgent);
  });

  it("keeps one agent per resource, so the agent that started an address also stops it", () => {
    const { context } = layout();
    const registry = new AgentRegistry(context);
    assert.equal(registry.agentFor(spec("IPaddr2::192.0.2.100/24/eth0")), registry.agentFor(spec("IPaddr2::192.0.2.100/24/eth0")));
    assert.notEqual(registry.agentFor(spec("IPaddr2::192.0.2.100/24/eth0")), registry.agentFor(spec("IPaddr2::192.0.2.101/24/eth0")));
  });
});

describe("resourceEnvironment()", () => {
  it("gives scripts Heartbeat's process-wide variables", () => {
    assert.deepEqual(
      resourceEnvironment({
        localNode: "node1",
        configDir: "/etc/ha.d",
        logfile: "/var/log/ha-log",
        debugfile: "/var/log/ha-debug",
        logfacility: "local0",
        debugLevel: 1,
      }),
      {
        HA_CURHOST: "node1",
        HA_DIR: "/etc/ha.d",
        HA_FUNCS: "/etc/ha.d/shellfuncs",
        HA_RESOURCEDIR: "/etc/ha.d/resource.d",
        HA_DATEFMT: "%Y/%m/%d_%T ",
        HA_LOGD: "no",
        HA_debug: "1",
        OCF_ROOT: "/usr/lib/ocf",
        HA_LOGFILE: "/var/log/ha-log",
        HA_DEBUGLOG: "/var/log/ha-debug",
        HA_LOGFACILITY: "local0",
      },
    );
  });

  it("leaves out log settings that are not configured", () => {
    const env = resourceEnvironment({ localNode: "node2", configDir: "/etc/ha.d", logfacility: "none" });
    assert.equal(env.HA_LOGFILE, undefined);
    assert.equal(env.HA_LOGFACILITY, undefined);
    assert.equal(env.HA_debug, "0");
  });
});
