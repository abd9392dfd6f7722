// Tests for the harness's reading of Heartbeat's own log: the media it opened and its auto_failback.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { heartbeatAutoFailback, heartbeatMedia } from "./heartbeat-differential";

const P = "Dec 03 10:42:33 alpha heartbeat: [23]: ";

describe("reading Heartbeat's log", () => {
  it("lists the media it started, in --explain's words", () => {
    const log = [
      `${P}info: glib: UDP Broadcast heartbeat started on port 694 (694) interface eth1`,
      `${P}info: glib: ucast: started on port 694 interface eth1 to 192.0.2.7`,
      `${P}info: glib: UDP multicast heartbeat started for group 225.0.0.1 port 694 interface eth2 (ttl=1 loop=0)`,
    ].join("\n");
    assert.deepEqual(heartbeatMedia(log), ["bcast eth1 port 694", "ucast eth1 to 192.0.2.7 port 694", "mcast eth2 group 225.0.0.1 port 694 ttl 1 loop 0"]);
  });

  it("replays auto_failback from the -d log, nice_failback included", () => {
    const afterOn = [
      `${P}debug: add_option(auto_failback,on)`,
      `${P}debug: add_option(nice_failback,on)`,
      `${P}ERROR: 'nice_failback on' has been changed to 'auto_failback off'`,
    ].join("\n");
    assert.equal(heartbeatAutoFailback(afterOn), "off");
    const alone = [`${P}debug: add_option(nice_failback,on)`, `${P}ERROR: nice_failback on has been strictly interpreted as 'auto_failback legacy'`].join("\n");
    assert.equal(heartbeatAutoFailback(alone), "legacy");
    assert.equal(heartbeatAutoFailback(`${P}debug: add_option(auto_failback,yes)`), "on");
    // "debug 0" turns the -d log off: the replay would be incomplete.
    assert.equal(heartbeatAutoFailback(`${P}debug: add_option(debug,0)`), undefined);
  });
});
