// UdpMedia on loopback: a live reconfigure opens the new media before closing the old, and keeps unchanged ones.

import { strict as assert } from "node:assert";
import { createSocket, type Socket } from "node:dgram";
import { describe, it } from "node:test";
import type { MediumConfig } from "../config/cluster-config";
import { UdpMedia, type ReceivedDatagram } from "./udp-media";

const at = { file: "ha.cf", line: 1 };

/** A free UDP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function listen(port: number): Promise<{ socket: Socket; got: Buffer[] }> {
  const socket = createSocket({ type: "udp4", reuseAddr: true });
  const got: Buffer[] = [];
  socket.on("message", (b) => got.push(b));
  return new Promise((r) => socket.bind(port, "127.0.0.2", () => r({ socket, got })));
}

async function until(pred: () => boolean, what: string): Promise<void> {
  // Bounded wait for loopback delivery (real sockets); never a fixed sleep.
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(pred(), what);
}

describe("UdpMedia.reconfigure (loopback)", () => {
  it("changes a ucast medium's peer port with no gap, and closes a removed device", async () => {
    const [peerA, peerB] = [await freePort(), await freePort()];
    const a = await listen(peerA);
    const b = await listen(peerB);
    const received: ReceivedDatagram[] = [];
    const logs: string[] = [];
    // `ucast lo 127.0.0.2` with udpport P: bound to 127.0.0.1:P, sending to 127.0.0.2:P.
    const ucast = (port: number): MediumConfig => ({ kind: "ucast", dev: "lo", peer: "127.0.0.2", port, at });
    const media = new UdpMedia({ media: [ucast(peerA)], onDatagram: (d) => received.push(d), onLog: (_l, t) => logs.push(t), interfacePollMs: 60_000 });
    try {
      await media.open();
      assert.deepEqual(media.openDevices(), ["lo"]);
      // Same medium, only the source location differs: nothing is reopened.
      await media.reconfigure([{ ...ucast(peerA), at: { file: "ha.cf", line: 9 } }]);
      assert.equal(logs.filter((l) => /changed|added/.test(l)).length, 0);
      media.sendAll(Buffer.from("before"));
      await until(() => a.got.length === 1, "the datagram reached the first port");
      // udpport changed: new sockets first, then the old ones close.
      await media.reconfigure([ucast(peerB)]);
      assert.ok(
        logs.some((l) => /Media on lo changed/.test(l)),
        logs.join("\n"),
      );
      media.sendAll(Buffer.from("after"));
      await until(() => b.got.length === 1, "the datagram reached the new port");
      assert.equal(a.got.length, 1);
      await media.reconfigure([]);
      assert.deepEqual(media.openDevices(), []);
      assert.ok(logs.some((l) => /Media on lo removed/.test(l)));
    } finally {
      await media.close();
      a.socket.close();
      b.socket.close();
    }
    assert.equal(received.length, 0);
  });
});

describe("UdpMedia link changes", () => {
  it("reports a lost link at the next heartbeat sent (not only at the 1 s poll), and its return", async () => {
    const port = await freePort();
    const lo = [{ address: "127.0.0.1", netmask: "255.0.0.0", family: "IPv4" as const, mac: "00:00:00:00:00:00", internal: true, cidr: "127.0.0.1/8" }];
    let present = true;
    let now = 1000;
    const changes: string[] = [];
    const media = new UdpMedia({
      media: [{ kind: "ucast", dev: "lo", peer: "127.0.0.2", port, at }],
      onDatagram: () => undefined,
      onLog: () => undefined,
      onLinkChange: (dev, up) => changes.push(`${dev} ${up ? "up" : "down"}`),
      interfacePollMs: 60_000,
      // Node lists only interfaces that are up and running: a pulled cable makes lo vanish here.
      interfaces: () => (present ? { lo } : {}),
      now: () => now,
    });
    try {
      await media.open();
      assert.deepEqual(changes, [], "a link up at the start is no change");
      present = false;
      media.sendAll(Buffer.from("x"));
      await until(() => changes.length === 1, "the loss was reported");
      assert.deepEqual(changes, ["lo down"]);
      assert.deepEqual(media.openDevices(), []);
      present = true;
      now += 50; // within 100 ms of the last check: not looked at
      media.sendAll(Buffer.from("x"));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(changes, ["lo down"]);
      now += 50;
      media.sendAll(Buffer.from("x"));
      await until(() => changes.length === 2, "the return was reported");
      for (let i = 0; i < 50 && media.openDevices().length === 0; i++) await new Promise((r) => setTimeout(r, 10)); // the socket binds
      assert.deepEqual(media.openDevices(), ["lo"]);
      assert.deepEqual(changes, ["lo down", "lo up"]);
    } finally {
      await media.close();
    }
  });
});
