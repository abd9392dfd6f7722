// Table tests of every cl_status sub-command against Heartbeat 3.0.6's exact output and exit codes (spec §6, tools/cl_status.c).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TWINBEAT_VERSION } from "../cli/version";
import { CL_STATUS_USAGE, clStatusNeedsDaemon, renderClStatus, type ClStatusEnv, type DaemonAnswer } from "./cl-status-render";
import { buildDaemonStatus, type DaemonStatus } from "./daemon-status";
import { SEED_HA_CF, seedConfig, seedSnapshot, SRV5, SRV6 } from "../../test/support/status-fixtures";
import { millis } from "../cluster/time";

const ENV: ClStatusEnv = { pid: 4242, date: new Date(2014, 9, 4, 1, 28, 24), nodename: "srv5.localdomain" };
/** One cl_log line as glue 1.0.12 writes it to stderr (syslog format, the default). */
const LOG = (msg: string) => `Oct 04 01:28:24 srv5.localdomain cl_status: [4242]: ERROR: ${msg}\n`;
const VERSION = `3.0.6 (Twinbeat ${TWINBEAT_VERSION})`;

function statusOf(snapOpts: Parameters<typeof seedSnapshot>[0] = {}, haCf?: string): DaemonStatus {
  const snap = seedSnapshot(snapOpts);
  return buildDaemonStatus({
    snapshot: snap,
    config: seedConfig({ localNode: snap.localNode, ...(haCf ? { haCf } : {}) }),
    nowMs: millis(100_000),
    wallClockMs: Date.UTC(2014, 9, 4, 1, 28, 24),
    pid: 99,
  });
}

const UP: DaemonAnswer = { kind: "up", status: statusOf() };
const DOWN: DaemonAnswer = { kind: "down" };

interface Case {
  readonly args: readonly string[];
  readonly daemon?: DaemonAnswer;
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exit: number;
  readonly env?: Partial<ClStatusEnv>;
}

function run(cases: Readonly<Record<string, Case>>): void {
  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const out = renderClStatus(c.args, c.daemon ?? UP, { ...ENV, ...c.env });
      assert.equal(out.stdout, c.stdout ?? "", "stdout");
      assert.equal(out.stderr, c.stderr ?? "", "stderr");
      assert.equal(out.exitCode, c.exit, "exit code");
    });
  }
}

const SIGNON_FAILED = LOG("Cannot signon with heartbeat") + LOG("REASON: hb_api_signon: Can't initiate connection to heartbeat");

describe("cl_status: usage and sub-command dispatch", () => {
  run({
    "no arguments: the help screen, exit 0": { args: [], stdout: CL_STATUS_USAGE, exit: 0 },
    "-h alone: the help screen, exit 0": { args: ["-h"], stdout: CL_STATUS_USAGE, exit: 0, daemon: DOWN },
    "-h with more words is a sub-command name like any other": { args: ["-h", "x"], stderr: LOG("-h: invalid sub-command."), exit: 11 },
    "unknown sub-command: logged, exit 11, even with heartbeat down": { args: ["bogus"], stderr: LOG("bogus: invalid sub-command."), exit: 11, daemon: DOWN },
    "sub-command names match exactly": { args: ["hbstat"], stderr: LOG("hbstat: invalid sub-command."), exit: 11 },
    "options before the sub-command are not understood": { args: ["-m", "rscstatus"], stderr: LOG("-m: invalid sub-command."), exit: 11 },
    "HA_syslogmsgfmt=false: the traditional log line": {
      args: ["bogus"],
      env: { syslogFormat: false },
      stderr: "cl_status[4242]: 2014/10/04_01:28:24 ERROR: bogus: invalid sub-command.\n",
      exit: 11,
    },
  });

  it("the help screen is Heartbeat's, typos included", () => {
    assert.ok(
      CL_STATUS_USAGE.startsWith(
        "Usage: cl_status <sub-command> [<options>] [<parameters>]\n\nSub-commands:\nclientstatus <node-name> <client-id> [<timeout>]\n",
      ),
    );
    assert.ok(CL_STATUS_USAGE.includes("\tList the network interfaces used as hearbeat links.\n"));
    assert.ok(
      CL_STATUS_USAGE.endsWith(
        "hbparameter -p <parameter-name>\n\tRetrieve the value of a cluster parameter.\n\tAs for the valid parameter names, please refer to the man page.\n",
      ),
    );
    assert.equal(CL_STATUS_USAGE.split("\n").length, 36);
  });

  it("only known sub-commands need the daemon", () => {
    assert.equal(clStatusNeedsDaemon([]), false);
    assert.equal(clStatusNeedsDaemon(["-h"]), false);
    assert.equal(clStatusNeedsDaemon(["bogus"]), false);
    assert.equal(clStatusNeedsDaemon(["constructor"]), false);
    assert.equal(clStatusNeedsDaemon(["hbstatus"]), true);
    assert.equal(clStatusNeedsDaemon(["hbparameter", "-p", "keepalive"]), true);
  });
});

describe("cl_status hbstatus", () => {
  const nodesVerbose =
    `\n${SRV5}\tactive\t(nodetype: normal)\n\teth1\tup\n` +
    `\n${SRV6}\tactive\t(nodetype: normal)\n\teth1\tup\n` +
    `\n198.51.100.2\tping\t(nodetype: ping)\n\t198.51.100.2\tup\n` +
    `\n192.0.2.7\tping\t(nodetype: ping)\n\t192.0.2.7\tup\n`;
  const nodesHuman =
    "The nodes are as follow:\n" +
    `\n${SRV5}\tactive\t(nodetype: normal)\n\tthis node has the following heartbeat links:\n\teth1\tup\n` +
    `\n${SRV6}\tactive\t(nodetype: normal)\n\tthis node has the following heartbeat links:\n\teth1\tup\n` +
    `\n198.51.100.2\tping\t(nodetype: ping)\n\tthis node has the following heartbeat links:\n\t198.51.100.2\tup\n` +
    `\n192.0.2.7\tping\t(nodetype: ping)\n\tthis node has the following heartbeat links:\n\t192.0.2.7\tup\n`;
  const pacemaker = statusOf();
  (pacemaker.parameters as Record<string, string>).pacemaker = "respawn";
  run({
    running: { args: ["hbstatus"], stdout: "Heartbeat is running on this machine.\n", exit: 0 },
    "running, -m changes nothing": { args: ["hbstatus", "-m"], stdout: "Heartbeat is running on this machine.\n", exit: 0 },
    "stopped: exit 1": { args: ["hbstatus"], daemon: DOWN, stdout: "Heartbeat is stopped on this machine.\n", exit: 1 },
    "stopped, -v: the client library's reason": {
      args: ["hbstatus", "-v"],
      daemon: DOWN,
      stdout: "Heartbeat is stopped on this machine.\n(hb_api_signon: Can't initiate connection to heartbeat)\n",
      exit: 1,
    },
    "refused: apparently running, exit 0": {
      args: ["hbstatus"],
      daemon: { kind: "refused", reason: "permission denied" },
      stdout: "Heartbeat is apparently running on this machine, but refuses my connection\n",
      exit: 0,
    },
    "refused, -v": {
      args: ["hbstatus", "-v"],
      daemon: { kind: "refused", reason: "permission denied" },
      stdout: "Heartbeat is apparently running on this machine, but refuses my connection\n(permission denied)\n",
      exit: 0,
    },
    "-v: version, manager, then listnodes -v": {
      args: ["hbstatus", "-v"],
      stdout: `version:\t${VERSION}\nmanaged by:\t"haresources"\n${nodesVerbose}`,
      exit: 0,
    },
    "-v -m: the human forms": {
      args: ["hbstatus", "-v", "-m"],
      stdout: `Heartbeat version ${VERSION}\nResources controlled by "haresources"\n${nodesHuman}`,
      exit: 0,
    },
    "-vm clustered": { args: ["hbstatus", "-vm"], stdout: `Heartbeat version ${VERSION}\nResources controlled by "haresources"\n${nodesHuman}`, exit: 0 },
    "a bad option is reported by getopt and ignored": {
      args: ["hbstatus", "-x"],
      stdout: "Heartbeat is running on this machine.\n",
      stderr: "hbstatus: invalid option -- 'x'\n",
      exit: 0,
    },
    "pacemaker (never in Twinbeat, but rendered as Heartbeat would)": {
      args: ["hbstatus", "-v"],
      daemon: { kind: "up", status: pacemaker },
      stdout: `version:\t${VERSION}\nmanaged by:\tpacemaker\t(respawn)\n${nodesVerbose}`,
      exit: 0,
    },
  });
});

describe("cl_status with heartbeat down: every sub-command but hbstatus fails to sign on", () => {
  const cases: Record<string, Case> = {};
  for (const args of [
    ["listnodes"],
    ["nodestatus", SRV5],
    ["nodeweight", SRV5],
    ["nodesite", SRV5],
    ["nodetype", SRV5],
    ["listhblinks", SRV5],
    ["hblinkstatus", SRV5, "eth1"],
    ["clientstatus", SRV5, "ipfail"],
    ["rscstatus"],
    ["hbparameter", "-p", "keepalive"],
    ["test"],
    ["nodestatus"],
  ]) {
    cases[args.join(" ")] = { args, daemon: DOWN, stderr: SIGNON_FAILED, exit: 1 };
  }
  cases["refused: its reason"] = {
    args: ["rscstatus"],
    daemon: { kind: "refused", reason: "permission denied" },
    stderr: LOG("Cannot signon with heartbeat") + LOG("REASON: permission denied"),
    exit: 1,
  };
  run(cases);
});

describe("cl_status listnodes", () => {
  const all = `${SRV5}\n${SRV6}\n198.51.100.2\n192.0.2.7\n`;
  run({
    "every node, config order": { args: ["listnodes"], stdout: all, exit: 0 },
    "-n: normal nodes": { args: ["listnodes", "-n"], stdout: `${SRV5}\n${SRV6}\n`, exit: 0 },
    "-p: ping nodes": { args: ["listnodes", "-p"], stdout: "198.51.100.2\n192.0.2.7\n", exit: 0 },
    "-n -p: both cancel out": { args: ["listnodes", "-n", "-p"], stdout: all, exit: 0 },
    "-np clustered": { args: ["listnodes", "-np"], stdout: all, exit: 0 },
    "-m: a heading": { args: ["listnodes", "-m"], stdout: `The nodes are as follow:\n${all}`, exit: 0 },
    "-v -n": {
      args: ["listnodes", "-v", "-n"],
      stdout: `\n${SRV5}\tactive\t(nodetype: normal)\n\teth1\tup\n\n${SRV6}\tactive\t(nodetype: normal)\n\teth1\tup\n`,
      exit: 0,
    },
    "-v -p with ping nodes not answering": {
      args: ["listnodes", "-vp"],
      daemon: { kind: "up", status: statusOf({ pings: "dead" }) },
      stdout: "\n198.51.100.2\tdead\t(nodetype: ping)\n\t198.51.100.2\tdead\n\n192.0.2.7\tdead\t(nodetype: ping)\n\t192.0.2.7\tdead\n",
      exit: 0,
    },
    "a bad option: getopt's message, then the error, exit 11": {
      args: ["listnodes", "-x"],
      stderr: "listnodes: invalid option -- 'x'\n" + LOG("Error: getopt returnedcharacter code ?."),
      exit: 11,
    },
    "only the first bad option is reported": {
      args: ["listnodes", "-xy"],
      stderr: "listnodes: invalid option -- 'x'\n" + LOG("Error: getopt returnedcharacter code ?."),
      exit: 11,
    },
  });
});

describe("cl_status nodestatus / nodetype / nodeweight / nodesite", () => {
  run({
    "nodestatus: active, exit 0": { args: ["nodestatus", SRV6], stdout: "active\n", exit: 0 },
    "nodestatus -m": { args: ["nodestatus", "-m", SRV6], stdout: `The cluster node ${SRV6} is active\n`, exit: 0 },
    "nodestatus: options after the node name (GNU getopt permutes)": {
      args: ["nodestatus", SRV6, "-m"],
      stdout: `The cluster node ${SRV6} is active\n`,
      exit: 0,
    },
    "nodestatus: POSIXLY_CORRECT stops at the node name": { args: ["nodestatus", SRV6, "-m"], env: { posixlyCorrect: true }, stdout: "active\n", exit: 0 },
    "nodestatus: names are looked up lower-cased, printed as typed": {
      args: ["nodestatus", "-m", "SRV6.LocalDomain"],
      stdout: "The cluster node SRV6.LocalDomain is active\n",
      exit: 0,
    },
    "nodestatus: up is ok too": { args: ["nodestatus", SRV6], daemon: { kind: "up", status: statusOf({ peerStatus: "up" }) }, stdout: "up\n", exit: 0 },
    "nodestatus: dead, exit 1": { args: ["nodestatus", SRV6], daemon: { kind: "up", status: statusOf({ peerStatus: "dead" }) }, stdout: "dead\n", exit: 1 },
    "nodestatus: init (never heard), exit 1": {
      args: ["nodestatus", SRV6],
      daemon: { kind: "up", status: statusOf({ peerStatus: "init" }) },
      stdout: "init\n",
      exit: 1,
    },
    "nodestatus: a ping node answering, exit 0": { args: ["nodestatus", "198.51.100.2"], stdout: "ping\n", exit: 0 },
    "nodestatus: this node": { args: ["nodestatus", SRV5], stdout: "active\n", exit: 0 },
    "nodestatus: no node name": { args: ["nodestatus"], stderr: "Not enough parameters.\n", exit: 11 },
    "nodestatus: unknown node": { args: ["nodestatus", "nosuch"], stderr: "Error. May be due to incorrect node name\n", exit: 11 },
    "nodestatus: a bad option": {
      args: ["nodestatus", "-z", SRV6],
      stderr: "nodestatus: invalid option -- 'z'\n" + LOG("Error: getopt returnedcharacter ?."),
      exit: 11,
    },
    "nodestatus: -- ends the options": { args: ["nodestatus", "--", "-m"], stderr: "Error. May be due to incorrect node name\n", exit: 11 },
    "nodetype normal": { args: ["nodetype", SRV5], stdout: "normal\n", exit: 0 },
    "nodetype ping": { args: ["nodetype", "192.0.2.7"], stdout: "ping\n", exit: 0 },
    "nodetype -m": { args: ["nodetype", "-m", "198.51.100.2"], stdout: "The node 198.51.100.2's type: ping\n", exit: 0 },
    "nodetype: no node name (its own wording)": { args: ["nodetype"], stderr: "No enough parameter.\n", exit: 11 },
    "nodetype: unknown node": { args: ["nodetype", "nosuch"], stderr: "Error. May be due to incorrect node name\n", exit: 11 },
    "nodeweight: 100": { args: ["nodeweight", SRV5], stdout: "100\n", exit: 0 },
    "nodeweight -m": { args: ["nodeweight", "-m", SRV6], stdout: `The weight of the cluster node ${SRV6} is 100\n`, exit: 0 },
    "nodeweight: no node name": { args: ["nodeweight"], stderr: "Not enough parameters.\n", exit: 11 },
    "nodeweight: unknown node (its own wording)": { args: ["nodeweight", "nosuch"], stderr: "Error. Maybe due to incorrect node name.\n", exit: 11 },
    "nodesite: empty": { args: ["nodesite", SRV5], stdout: "\n", exit: 0 },
    "nodesite -m": { args: ["nodesite", "-m", SRV5], stdout: `The site of the cluster node ${SRV5} is \n`, exit: 0 },
    "nodesite: no node name": { args: ["nodesite"], stderr: "Not enough parameters.\n", exit: 11 },
    "nodesite: unknown node": { args: ["nodesite", "nosuch"], stderr: "Error. May be due to incorrect node name\n", exit: 11 },
  });
});

describe("cl_status listhblinks / hblinkstatus", () => {
  run({
    "listhblinks: one line per link": { args: ["listhblinks", SRV6], stdout: "\teth1\n", exit: 0 },
    "listhblinks -v": { args: ["listhblinks", "-v", SRV6], stdout: "\teth1\tup\n", exit: 0 },
    "listhblinks -m": { args: ["listhblinks", "-m", SRV6], stdout: "\tthis node has the following heartbeat links:\n\teth1\n", exit: 0 },
    "listhblinks: a ping node has one link named after itself": { args: ["listhblinks", "-v", "198.51.100.2"], stdout: "\t198.51.100.2\tup\n", exit: 0 },
    "listhblinks: a link never heard is dead": {
      args: ["listhblinks", "-v", SRV6],
      daemon: { kind: "up", status: statusOf({ peerStatus: "init", peerLinkStatus: "init" }) },
      stdout: "\teth1\tdead\n",
      exit: 0,
    },
    "listhblinks: no node name": { args: ["listhblinks", "-v"], stderr: "No enough parameter.\n", exit: 11 },
    "listhblinks: unknown node": {
      args: ["listhblinks", "nosuch"],
      stderr: LOG("Cannot start heartbeat link interface walk.") + LOG("REASON: EINVAL"),
      exit: 13,
    },
    "listhblinks: a bad option": {
      args: ["listhblinks", "-q", SRV6],
      stderr: "listhblinks: invalid option -- 'q'\n" + LOG("Error: getopt returnedcharacter code ?."),
      exit: 11,
    },
    "hblinkstatus: up, exit 0": { args: ["hblinkstatus", SRV6, "eth1"], stdout: "up\n", exit: 0 },
    "hblinkstatus -m": { args: ["hblinkstatus", "-m", SRV6, "eth1"], stdout: `The node ${SRV6}'s heartbeat link eth1 is up\n`, exit: 0 },
    "hblinkstatus: dead, exit 1": {
      args: ["hblinkstatus", SRV6, "eth1"],
      daemon: { kind: "up", status: statusOf({ peerLinkStatus: "dead" }) },
      stdout: "dead\n",
      exit: 1,
    },
    "hblinkstatus: never heard = dead": {
      args: ["hblinkstatus", SRV6, "eth1"],
      daemon: { kind: "up", status: statusOf({ peerLinkStatus: "init" }) },
      stdout: "dead\n",
      exit: 1,
    },
    "hblinkstatus: a ping node's link": { args: ["hblinkstatus", "192.0.2.7", "192.0.2.7"], stdout: "up\n", exit: 0 },
    "hblinkstatus: only the node name": { args: ["hblinkstatus", SRV6], stderr: "No enough parameter.\n", exit: 11 },
    "hblinkstatus: unknown link (empty reason)": {
      args: ["hblinkstatus", SRV6, "eth9"],
      stderr: LOG("Cannot get heartbeat link status") + LOG("REASON: "),
      exit: 13,
    },
    "hblinkstatus: unknown node": { args: ["hblinkstatus", "nosuch", "eth1"], stderr: LOG("Cannot get heartbeat link status") + LOG("REASON: "), exit: 13 },
  });
});

describe("cl_status clientstatus", () => {
  const noIpfail = SEED_HA_CF.replace(/^respawn .*\n/m, "").replace(/^apiauth .*\n/m, "");
  const legacy = SEED_HA_CF.replace("auto_failback on", "auto_failback legacy");
  run({
    "the built-in ipfail is online here": { args: ["clientstatus", SRV5, "ipfail"], stdout: "online\n", exit: 0 },
    "and on the active peer (same ha.cf)": { args: ["clientstatus", SRV6, "ipfail"], stdout: "online\n", exit: 0 },
    "a timeout argument is accepted": { args: ["clientstatus", SRV6, "ipfail", "100"], stdout: "online\n", exit: 0 },
    "-m prints the same word": { args: ["clientstatus", "-m", SRV5, "ipfail"], stdout: "online\n", exit: 0 },
    "a dead peer: offline, exit 1": {
      args: ["clientstatus", SRV6, "ipfail"],
      daemon: { kind: "up", status: statusOf({ peerStatus: "dead" }) },
      stdout: "offline\n",
      exit: 1,
    },
    "a peer still up (not active): offline": {
      args: ["clientstatus", SRV6, "ipfail"],
      daemon: { kind: "up", status: statusOf({ peerStatus: "up" }) },
      stdout: "offline\n",
      exit: 1,
    },
    "any other client: offline": { args: ["clientstatus", SRV5, "crmd"], stdout: "offline\n", exit: 1 },
    "a ping node has no clients": { args: ["clientstatus", "198.51.100.2", "ipfail"], stdout: "offline\n", exit: 1 },
    "no respawn ipfail line: offline": {
      args: ["clientstatus", SRV5, "ipfail"],
      daemon: { kind: "up", status: statusOf({}, noIpfail) },
      stdout: "offline\n",
      exit: 1,
    },
    "legacy mode: ipfail exits at once, offline": {
      args: ["clientstatus", SRV5, "ipfail"],
      daemon: { kind: "up", status: statusOf({}, legacy) },
      stdout: "offline\n",
      exit: 1,
    },
    "missing the client name": { args: ["clientstatus", SRV5], stderr: "No enough parameter.\n", exit: 11 },
    "unknown node: no timely response, exit 13": {
      args: ["clientstatus", "nosuch", "ipfail"],
      stderr: LOG("Cannot get heartbeat client ipfail's status") + LOG("REASON: No timely response."),
      exit: 13,
    },
  });
});

describe("cl_status rscstatus / hbparameter / test", () => {
  const pacemaker = statusOf();
  (pacemaker.parameters as Record<string, string>).pacemaker = "on";
  run({
    "rscstatus: local": { args: ["rscstatus"], stdout: "local\n", exit: 0 },
    "rscstatus -m": { args: ["rscstatus", "-m"], stdout: "This node is holding local resources.\n", exit: 0 },
    "rscstatus on the standby: none": { args: ["rscstatus"], daemon: { kind: "up", status: statusOf({ localNode: SRV6 }) }, stdout: "none\n", exit: 0 },
    "rscstatus after a takeover: all": {
      args: ["rscstatus"],
      daemon: { kind: "up", status: statusOf({ localNode: SRV6, peerStatus: "dead", groupState: "running", rscStatus: "all" }) },
      stdout: "all\n",
      exit: 0,
    },
    "rscstatus in transition": {
      args: ["rscstatus", "-m"],
      daemon: { kind: "up", status: statusOf({ rscStatus: "transition", groupState: "starting" }) },
      stdout: "This node is holding transition resources.\n",
      exit: 0,
    },
    "rscstatus under pacemaker": {
      args: ["rscstatus"],
      daemon: { kind: "up", status: pacemaker },
      stderr: LOG("Cannot get cluster resource status of a pacemaker cluster; try crm_mon"),
      exit: 1,
    },
    "rscstatus: a bad option": {
      args: ["rscstatus", "-v"],
      stderr: "rscstatus: invalid option -- 'v'\n" + LOG("Error: getopt returnedcharacter ?."),
      exit: 11,
    },
    "hbparameter: the raw ha.cf value": { args: ["hbparameter", "-p", "keepalive"], stdout: "2\n", exit: 0 },
    "hbparameter: deadtime": { args: ["hbparameter", "-p", "deadtime"], stdout: "30\n", exit: 0 },
    "hbparameter: glued argument": { args: ["hbparameter", "-pwarntime"], stdout: "10\n", exit: 0 },
    "hbparameter: a default Heartbeat records (baud)": { args: ["hbparameter", "-p", "baud"], stdout: "19200\n", exit: 0 },
    "hbparameter: auto_failback": { args: ["hbparameter", "-p", "auto_failback"], stdout: "on\n", exit: 0 },
    "hbparameter: hbversion": { args: ["hbparameter", "-p", "hbversion"], stdout: `${VERSION}\n`, exit: 0 },
    "hbparameter: crm is pacemaker's old name": { args: ["hbparameter", "-p", "crm"], stdout: "false\n", exit: 0 },
    "hbparameter -m": { args: ["hbparameter", "-m", "-p", "udpport"], stdout: "Heartbeat parameter udpport's value: 694\n", exit: 0 },
    "hbparameter: the last -p wins": { args: ["hbparameter", "-p", "keepalive", "-p", "deadtime"], stdout: "30\n", exit: 0 },
    "hbparameter: not recorded (node)": { args: ["hbparameter", "-p", "node"], stderr: LOG("Cannot get parameter node's value") + LOG("REASON: "), exit: 1 },
    "hbparameter: unknown name": { args: ["hbparameter", "-p", "nosuch"], stderr: LOG("Cannot get parameter nosuch's value") + LOG("REASON: "), exit: 1 },
    "hbparameter: inherited names are not parameters": {
      args: ["hbparameter", "-p", "constructor"],
      stderr: LOG("Cannot get parameter constructor's value") + LOG("REASON: "),
      exit: 1,
    },
    "hbparameter: no -p": { args: ["hbparameter", "keepalive"], stderr: LOG("parameter name required"), exit: 11 },
    "hbparameter: -p without a name": {
      args: ["hbparameter", "-p"],
      stderr: "hbparameter: option requires an argument -- 'p'\n" + LOG("Error: getopt returnedcharacter code ?."),
      exit: 11,
    },
    "hbparameter: -- ends the options": { args: ["hbparameter", "--", "-p", "keepalive"], stderr: LOG("parameter name required"), exit: 11 },
    "test: the signon values": { args: ["test"], stdout: `Dead time: 30000\n keeplive time: 2000\n mynodeid: ${SRV5}\n rsc: local\n`, exit: 0 },
  });
});
