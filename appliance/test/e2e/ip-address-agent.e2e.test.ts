// End-to-end test of the built-in IP agents in throw-away network namespaces (root only): real `ip addr`, gratuitous ARP and unsolicited NA.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { ResourceGroup, ResourceSpec } from "../../src/config/cluster-config";
import { findTool } from "../../src/resources/address-announcer";
import { AgentRegistry } from "../../src/resources/agent-registry";
import { IpAddressAgent } from "../../src/resources/ip-address-agent";
import { runProcess, type CommandRunner } from "../../src/adapters/process-runner";
import type { AgentContext } from "../../src/resources/resource-agent";
import { ResourceGroupRunner } from "../../src/resources/resource-group-runner";
import { normalizeNodeName } from "../../src/cluster/time";

const IP = findTool("ip");
const IS_ROOT = process.getuid?.() === 0;
const SKIP = !IS_ROOT ? "needs root (network namespaces)" : IP === undefined ? "needs iproute2" : false;
const HAS_ARPING = findTool("arping") !== undefined;
const HAS_SEND_UA = findTool("send_ua") !== undefined;

/** Unique per run, so parallel or leftover runs never collide. */
const RUN_ID = `${process.pid.toString(36)}${randomBytes(3).toString("hex")}`;
/** The node that holds the virtual addresses, and a neighbour on the same link that watches. */
const NODE_NS = `tb-ipa-${RUN_ID}-node`;
const PEER_NS = `tb-ipa-${RUN_ID}-peer`;
/** A MAC that belongs to nobody: the neighbour's stale idea of where the address lives. */
const STALE_MAC = "02:00:5e:00:53:99";

function ip(...args: string[]): string {
  return execFileSync(IP!, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function ipJson(...args: string[]): unknown {
  return JSON.parse(ip("-j", ...args)) as unknown;
}

/** Runs every agent command inside the node namespace. */
const inNode: CommandRunner = (file, args, options) => runProcess(IP!, ["netns", "exec", NODE_NS, file, ...args], options);

function addressesOn(ns: string, dev: string): Array<{ local: string; prefixlen: number; label?: string }> {
  const links = ipJson("-n", ns, "addr", "show", "dev", dev) as Array<{ addr_info: Array<{ local: string; prefixlen: number; label?: string }> }>;
  return links[0]?.addr_info ?? [];
}

function macOf(ns: string, dev: string): string {
  return (ipJson("-n", ns, "link", "show", "dev", dev) as Array<{ address: string }>)[0]!.address;
}

/** The peer's neighbour entry for `address`, after making sure the kernel has written it. */
function peerNeighbour(address: string): string | undefined {
  const entries = ipJson("-n", PEER_NS, "neigh", "show", address, "dev", "peer0") as Array<{ lladdr?: string }>;
  return entries[0]?.lladdr;
}

/** Plants a wrong (stale) neighbour entry on the peer, as if the address had lived elsewhere. */
function plantStaleNeighbour(address: string): void {
  ip("-n", PEER_NS, "neigh", "replace", address, "lladdr", STALE_MAC, "dev", "peer0", "nud", "stale");
  assert.equal(peerNeighbour(address), STALE_MAC);
}

async function eventually(predicate: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (predicate()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return predicate();
}

function agentFor(raw: string, arg: string): { agent: IpAddressAgent; logs: string[] } {
  const logs: string[] = [];
  const context: AgentContext = {
    configDir: "/etc/ha.d",
    initDir: "/etc/init.d",
    timeoutMs: 10_000,
    env: {},
    log: (level, text) => logs.push(`${level}: ${text}`),
    runCommand: inNode,
  };
  const spec: ResourceSpec = { raw, name: raw.split("::")[0]!, args: [arg] };
  return { agent: new IpAddressAgent({ spec, context, announce: { count: 3, intervalMs: 100, repeatDelayMs: 300 } }), logs };
}

describe("built-in IP agents in a network namespace", { skip: SKIP }, () => {
  let nodeMac = "";

  before(() => {
    ip("netns", "add", NODE_NS);
    ip("netns", "add", PEER_NS);
    ip("link", "add", "eth0", "netns", NODE_NS, "type", "veth", "peer", "name", "peer0", "netns", PEER_NS);
    for (const [ns, dev, v4, v6] of [
      [NODE_NS, "eth0", "192.0.2.1/24", "2001:db8:0:1::1/64"],
      [PEER_NS, "peer0", "192.0.2.2/24", "2001:db8:0:1::2/64"],
    ] as const) {
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "addr", "add", v4, "dev", dev);
      ip("-n", ns, "addr", "add", v6, "dev", dev, "nodad");
      ip("-n", ns, "link", "set", dev, "up");
    }
    // Let the peer accept an ARP update at once instead of after the 1 s lock time.
    execFileSync(IP!, ["netns", "exec", PEER_NS, "sysctl", "-qw", "net.ipv4.neigh.peer0.locktime=0"]);
    nodeMac = macOf(NODE_NS, "eth0");
  });

  after(() => {
    for (const ns of [NODE_NS, PEER_NS]) {
      try {
        ip("netns", "del", ns);
      } catch {
        // already gone
      }
    }
  });

  it("IPaddr2 adds, reports and removes an IPv4 address with a label, idempotently", async () => {
    const { agent, logs } = agentFor("IPaddr2::192.0.2.100/24/eth0:vip", "192.0.2.100/24/eth0:vip");
    assert.deepEqual(await agent.status(), { kind: "stopped", words: "192.0.2.100 is not on eth0" });
    assert.deepEqual(await agent.start(), { kind: "succeeded" }, logs.join("\n"));
    const added = addressesOn(NODE_NS, "eth0").find((a) => a.local === "192.0.2.100");
    assert.deepEqual(added && { prefixlen: added.prefixlen, label: added.label }, { prefixlen: 24, label: "eth0:vip" });
    assert.deepEqual(await agent.status(), { kind: "running", words: "192.0.2.100 is running on eth0" });
    assert.deepEqual(await agent.start(), { kind: "succeeded" }, "start when present");
    await agent.settled();
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
    assert.ok(!addressesOn(NODE_NS, "eth0").some((a) => a.local === "192.0.2.100"));
    assert.deepEqual(await agent.status(), { kind: "stopped", words: "192.0.2.100 is not on eth0" });
    assert.deepEqual(await agent.stop(), { kind: "succeeded" }, "stop when absent");
  });

  it("IPaddr finds interface and netmask from the connected route", async () => {
    const { agent, logs } = agentFor("IPaddr::192.0.2.101", "192.0.2.101");
    assert.deepEqual(await agent.start(), { kind: "succeeded" }, logs.join("\n"));
    assert.ok(addressesOn(NODE_NS, "eth0").some((a) => a.local === "192.0.2.101" && a.prefixlen === 24));
    await agent.settled();
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
  });

  it("refuses an address no connected route contains when no nic is given", async () => {
    const { agent } = agentFor("IPaddr::203.0.113.50", "203.0.113.50");
    const outcome = await agent.start();
    assert.equal(outcome.kind, "failed");
    assert.ok(outcome.kind === "failed");
    assert.match(outcome.output, /^Cannot find an interface for 203\.0\.113\.50: no connected route contains it/);
  });

  it(
    "announces an IPv4 takeover with gratuitous ARP: the neighbour's stale entry moves to our MAC",
    { skip: !HAS_ARPING && "arping is not installed" },
    async () => {
      plantStaleNeighbour("192.0.2.102");
      const { agent, logs } = agentFor("IPaddr2::192.0.2.102/24/eth0", "192.0.2.102/24/eth0");
      assert.deepEqual(await agent.start(), { kind: "succeeded" });
      assert.ok(await eventually(() => peerNeighbour("192.0.2.102") === nodeMac, 3000), `peer still has ${peerNeighbour("192.0.2.102")}\n${logs.join("\n")}`);
      await agent.settled();
      assert.ok(
        logs.some((l) => l === "info: IPaddr2: Sent 3 gratuitous ARP for 192.0.2.102 on eth0"),
        logs.join("\n"),
      );

      // After a partition heals, the core asks for announce() again.
      plantStaleNeighbour("192.0.2.102");
      assert.deepEqual(await agent.announce(), { kind: "succeeded" });
      assert.ok(await eventually(() => peerNeighbour("192.0.2.102") === nodeMac, 3000));
      await agent.stop();
      await agent.settled();
    },
  );

  it("IPaddr2 adds an IPv6 address usable at once (nodad) and removes it", async () => {
    const { agent, logs } = agentFor("IPaddr2::2001:db8:0:1::100/64/eth0", "2001:db8:0:1::100/64/eth0");
    assert.deepEqual(await agent.start(), { kind: "succeeded" }, logs.join("\n"));
    const links = ipJson("-n", NODE_NS, "-6", "addr", "show", "dev", "eth0") as Array<{
      addr_info: Array<{ local: string; nodad?: boolean; tentative?: boolean }>;
    }>;
    const added = links[0]!.addr_info.find((a) => a.local === "2001:db8:0:1::100");
    assert.ok(added !== undefined && added.nodad === true && added.tentative !== true, JSON.stringify(added));
    assert.equal((await agent.status()).kind, "running");
    await agent.settled();
    assert.deepEqual(await agent.stop(), { kind: "succeeded" });
    assert.equal((await agent.status()).kind, "stopped");
  });

  it(
    "IPv6addr finds the interface and prefix from the route, and announces with unsolicited NA",
    { skip: !HAS_SEND_UA && "send_ua (Debian resource-agents) is not installed" },
    async () => {
      plantStaleNeighbour("2001:db8:0:1::101");
      const { agent, logs } = agentFor("IPv6addr::2001:db8:0:1::101", "2001:db8:0:1::101");
      assert.deepEqual(await agent.start(), { kind: "succeeded" }, logs.join("\n"));
      assert.ok(addressesOn(NODE_NS, "eth0").some((a) => a.local === "2001:db8:0:1::101" && a.prefixlen === 64));
      assert.ok(
        await eventually(() => peerNeighbour("2001:db8:0:1::101") === nodeMac, 3000),
        `peer still has ${peerNeighbour("2001:db8:0:1::101")}\n${logs.join("\n")}`,
      );
      await agent.settled();
      assert.deepEqual(await agent.stop(), { kind: "succeeded" });
      assert.ok(!addressesOn(NODE_NS, "eth0").some((a) => a.local === "2001:db8:0:1::101"));
    },
  );

  it("a group whose script fails to start is rolled back: its address does not stay up", async () => {
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-ipa-e2e-"));
    try {
      fs.mkdirSync(path.join(configDir, "resource.d"));
      const script = path.join(configDir, "resource.d", "failing-start");
      fs.copyFileSync(path.join(testdataDir(), "failing-start"), script);
      fs.chmodSync(script, 0o755);
      const logs: string[] = [];
      const context: AgentContext = {
        configDir,
        initDir: path.join(configDir, "init.d"),
        timeoutMs: 10_000,
        env: {},
        log: (level, text) => logs.push(`${level}: ${text}`),
        runCommand: inNode,
      };
      const registry = new AgentRegistry(context, { announce: { count: 1, intervalMs: 100, repeatDelayMs: 0 } });
      const runner = new ResourceGroupRunner({ agentFor: (spec) => registry.agentFor(spec), log: context.log, stopRetryDelayMs: 10 });
      const group = (...raws: string[]): ResourceGroup => ({
        homeNode: normalizeNodeName("node1"),
        key: raws[0]!,
        resources: raws.map((raw) => ({ raw, name: raw.split("::")[0]!, args: raw.split("::").slice(1) })),
        at: { file: path.join(configDir, "haresources"), line: 1 },
      });

      const broken = group("IPaddr2::192.0.2.110/24/eth0", "failing-start");
      const outcome = await runner.startGroup(broken);
      assert.equal(outcome.kind, "failed");
      assert.ok(outcome.kind === "failed");
      assert.equal(outcome.resource, "failing-start");
      assert.match(outcome.words, /Address already in use/);
      assert.ok(!addressesOn(NODE_NS, "eth0").some((a) => a.local === "192.0.2.110"), "the address was removed again");
      assert.equal((await runner.statusGroup(broken)).kind, "none");
      assert.ok(logs.includes("info: Acquiring resource group: node1 IPaddr2::192.0.2.110/24/eth0 failing-start"), logs.join("\n"));
      assert.ok(logs.includes(`info: Running ${configDir}/resource.d/IPaddr2 192.0.2.110/24/eth0 start`), logs.join("\n"));

      const healthy = group("IPaddr2::192.0.2.111/24/eth0");
      assert.deepEqual(await runner.startGroup(healthy), { kind: "succeeded" });
      assert.equal((await runner.statusGroup(healthy)).kind, "all");
      assert.deepEqual(await runner.stopGroup(healthy), { kind: "succeeded" });
      assert.equal((await runner.statusGroup(healthy)).kind, "none");
      await (registry.agentFor(healthy.resources[0]!) as IpAddressAgent).settled();
    } finally {
      fs.rmSync(configDir, { recursive: true, force: true });
    }
  });
});

/** The resources' testdata folder, found from the compiled test (any out dir) or the repo root. */
function testdataDir(): string {
  const relative = path.join("appliance", "src", "resources", "testdata");
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, relative))) {
      return path.join(dir, relative);
    }
  }
  return path.resolve(process.cwd(), relative);
}
