// Tests for the address announcer: arping / send_ua arguments per flavour, success rules, bursts, cancelling and missing tools.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AddressAnnouncer, arpingArgs, arpingFlavorFromHelp, burstSucceeded, sendUaArgs, type AnnounceTarget } from "./address-announcer";
import type { CommandRunner, ProcessResult } from "../adapters/process-runner";

const V4: AnnounceTarget = { family: 4, address: "192.0.2.100", prefix: 24, nic: "eth0" };
const V6: AnnounceTarget = { family: 6, address: "2001:db8::10", prefix: 64, nic: "eth0" };

function exited(exitCode: number, output: string): ProcessResult {
  return { kind: "exited", pid: 1, exitCode, stdout: output, output, durationMs: 1 };
}

const HABETS_HELP = "ARPing 2.23, by Thomas Habets <thomas@habets.se>\nusage: arping [ -0aAbdDeFpPqrRuUvzZ ] ...";
const IPUTILS_HELP = "arping: invalid option -- '-'\nUsage: arping [-AbDfhqUV] [-c count] [-w timeout] [-i interval] [-I device] [-s source] destination\n";

/** A runner that answers `arping --help` with `help` and records every other call. */
function recordingRunner(help: string, answer: () => ProcessResult) {
  const calls: string[] = [];
  const run: CommandRunner = async (file, args) => {
    if (args[0] === "--help") {
      return exited(file.endsWith("arping") && help.startsWith("ARPing") ? 0 : 2, help);
    }
    calls.push([file, ...args].join(" "));
    return answer();
  };
  return { run, calls };
}

describe("arpingFlavorFromHelp()", () => {
  it("tells Habets' arping from iputils'", () => {
    assert.equal(arpingFlavorFromHelp(HABETS_HELP), "habets");
    assert.equal(arpingFlavorFromHelp(IPUTILS_HELP), "iputils");
    assert.equal(arpingFlavorFromHelp(""), "iputils");
  });
});

describe("announcement arguments", () => {
  it("iputils: unsolicited mode, interval in seconds, -I for the interface", () => {
    assert.deepEqual(arpingArgs("iputils", V4, 5, 200), ["-U", "-c", "5", "-i", "0.2", "-I", "eth0", "192.0.2.100"]);
  });

  it("Habets: unsolicited mode needs the source address; -W is the interval", () => {
    assert.deepEqual(arpingArgs("habets", V4, 3, 500), ["-U", "-c", "3", "-W", "0.5", "-i", "eth0", "-S", "192.0.2.100", "192.0.2.100"]);
  });

  it("send_ua: interval in ms, count, address, prefix, interface", () => {
    assert.deepEqual(sendUaArgs(V6, 5, 200), ["-i", "200", "-c", "5", "2001:db8::10", "64", "eth0"]);
  });
});

describe("burstSucceeded()", () => {
  const table: ReadonlyArray<readonly [Parameters<typeof burstSucceeded>[0], ProcessResult, boolean]> = [
    ["arping-iputils", exited(0, "Sent 5 probes (5 broadcast(s))\n"), true],
    ["arping-iputils", exited(2, "arping: Device eth9 not available.\n"), false],
    ["arping-habets", exited(1, "--- 192.0.2.100 statistics ---\n5 packets transmitted, 0 packets received, 100% unanswered (0 extra)\n"), true],
    ["arping-habets", exited(1, "arping: libnet_init(LIBNET_LINK, eth9): libnet_check_iface() ioctl: No such device\n"), false],
    ["send_ua", exited(0, ""), true],
    ["send_ua", exited(0, "ERROR: bind() failed: Cannot assign requested address"), false],
    ["send_ua", { kind: "timed-out", pid: 1, afterMs: 5, stdout: "", output: "" }, false],
  ];
  table.forEach(([tool, result, expected], i) => {
    it(`${tool} case ${i + 1} → ${expected}`, () => {
      assert.equal(burstSucceeded(tool, result), expected);
    });
  });
});

describe("AddressAnnouncer", () => {
  it("sends a first burst at once and a second one after repeatDelayMs", async () => {
    const { run, calls } = recordingRunner(HABETS_HELP, () => exited(1, "5 packets transmitted, 0 packets received\n"));
    const logs: string[] = [];
    const announcer = new AddressAnnouncer({
      log: (level, text) => logs.push(`${level}: ${text}`),
      runCommand: run,
      findTool: (name) => `/fake/${name}`,
      repeatDelayMs: 30,
    });
    assert.deepEqual(await announcer.announce(V4), { kind: "succeeded" });
    assert.equal(calls.length, 1);
    await announcer.settled();
    assert.deepEqual(calls, [
      "/fake/arping -U -c 5 -W 0.2 -i eth0 -S 192.0.2.100 192.0.2.100",
      "/fake/arping -U -c 5 -W 0.2 -i eth0 -S 192.0.2.100 192.0.2.100",
    ]);
    assert.deepEqual(logs, ["info: Sent 5 gratuitous ARP for 192.0.2.100 on eth0", "info: Sent 5 gratuitous ARP for 192.0.2.100 on eth0"]);
  });

  it("uses send_ua for IPv6", async () => {
    const { run, calls } = recordingRunner(HABETS_HELP, () => exited(0, ""));
    const announcer = new AddressAnnouncer({
      log: () => {},
      runCommand: run,
      findTool: (name) => `/fake/${name}`,
      repeatDelayMs: 0,
      count: 2,
      intervalMs: 100,
    });
    assert.deepEqual(await announcer.announce(V6), { kind: "succeeded" });
    assert.deepEqual(calls, ["/fake/send_ua -i 100 -c 2 2001:db8::10 64 eth0"]);
  });

  it("cancel() drops the second burst and aborts a burst in flight", async () => {
    let aborted = false;
    const run: CommandRunner = (_file, args, options) => {
      if (args[0] === "--help") {
        return Promise.resolve(exited(0, IPUTILS_HELP));
      }
      return new Promise((resolve) => {
        options.signal?.addEventListener("abort", () => {
          aborted = true;
          resolve({ kind: "aborted", pid: 1, stdout: "", output: "" });
        });
      });
    };
    const logs: string[] = [];
    const announcer = new AddressAnnouncer({
      log: (level, text) => logs.push(`${level}: ${text}`),
      runCommand: run,
      findTool: (name) => `/fake/${name}`,
      repeatDelayMs: 20,
    });
    const first = announcer.announce(V4);
    await new Promise((resolve) => setTimeout(resolve, 5));
    announcer.cancel();
    assert.equal((await first).kind, "failed");
    assert.ok(aborted);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await announcer.settled();
    assert.deepEqual(logs, [], "an aborted burst is not a warning, and no second burst ran");
  });

  it("names the Debian package when arping is missing", async () => {
    const logs: string[] = [];
    const announcer = new AddressAnnouncer({ log: (level, text) => logs.push(`${level}: ${text}`), findTool: () => undefined, repeatDelayMs: 0 });
    assert.deepEqual(await announcer.burst(V4), {
      kind: "not-found",
      message: "arping not found: install the Debian package arping (or iputils-arping) to send gratuitous ARP",
    });
    assert.deepEqual(logs, [
      "warn: Could not send gratuitous ARP for 192.0.2.100 on eth0: arping not found: install the Debian package arping (or iputils-arping) to send gratuitous ARP",
    ]);
  });

  it("names the Debian package when send_ua is missing", async () => {
    const announcer = new AddressAnnouncer({ log: () => {}, findTool: () => undefined, repeatDelayMs: 0 });
    const outcome = await announcer.burst(V6);
    assert.equal(outcome.kind, "not-found");
    assert.ok(outcome.kind === "not-found");
    assert.match(outcome.message, /^send_ua not found in \/usr\/libexec\/heartbeat or \/usr\/lib\/heartbeat: install the Debian package resource-agents/);
  });
});
