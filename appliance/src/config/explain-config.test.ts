// Tests for `check --explain`: the effective settings of a loaded configuration.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { explainConfig, explainLines } from "./explain-config";
import { loadConfigDir } from "./load-config-dir";

function loadFrom(files: Record<string, string>): ReturnType<typeof loadConfigDir> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-explain-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  fs.mkdirSync(path.join(dir, "resource.d"));
  fs.writeFileSync(path.join(dir, "resource.d", "haproxy"), "#!/bin/sh\n", { mode: 0o755 });
  try {
    return loadConfigDir(dir, { localNode: "alton" });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("explainConfig()", () => {
  it("shows failback, media, timings, fencing and groups as Twinbeat will run them", () => {
    const loaded = loadFrom({
      "ha.cf": [
        "logfile /var/log/ha-log",
        "keepalive 1",
        "deadtime 3",
        "initdead 4",
        "bcast eth0",
        "ucast eth0 192.0.2.10",
        "auto_failback on",
        "nice_failback on",
        "node alton",
        "node tyrion",
        "ping 192.0.2.1",
        "respawn hacluster /usr/lib/heartbeat/ipfail",
        "stonith_host * baytech 192.0.2.3 login pw",
      ].join("\n"),
      haresources: "alton IPaddr::10.0.30.15//8/eth0:10 haproxy\n",
      authkeys: "auth 1\n1 sha1 k\n",
    });
    assert.ok(loaded.config, loaded.diagnostics.map((d) => d.message).join("\n"));
    const e = explainConfig(loaded.config);
    assert.equal(e.autoFailback, "off");
    assert.equal(e.autoFailbackFrom, "ha.cf:8: off (from nice_failback on)");
    assert.deepEqual(e.media, ["bcast eth0 port 694", "ucast eth0 to 192.0.2.10 port 694"]);
    assert.deepEqual(e.timingsMs, { keepalive: 1000, deadtime: 3000, warntime: 1500, initdead: 4000, deadping: 3000 });
    assert.match(e.ipfail, /^on, built into Twinbeat/);
    assert.equal(e.fencing, "none: the stonith line at ha.cf:13 has no effect");
    assert.deepEqual(e.groups, [{ home: "alton", line: 1, resources: ["IPaddr 10.0.30.15/8 on eth0:10", "haproxy"] }]);
    const text = explainLines(e).join("\n");
    assert.match(text, /auto_failback: off \(ha\.cf:8: off \(from nice_failback on\)\): groups stay where they run/);
    assert.match(text, /haresources:1: home alton \(this node\): IPaddr 10\.0\.30\.15\/8 on eth0:10, then haproxy/);
  });
});
