// The README's demo, run non-interactively as CI does: failover, failback, the tutorial's cable test and its heal, and clean up.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const isRoot = process.getuid?.() === 0;
const DEMO_JS = resolve(__dirname, "../../../scripts/lab/demo.js");

describe("the demo", { skip: !isRoot && "needs root for network namespaces" }, () => {
  it("shows NodeA, NodeB after the kill, NodeA again, NodeB while srv5's heartbeat cable is out, NodeA after the heal, httpd restarted, then moved, and leaves nothing behind", () => {
    const run = spawnSync(process.execPath, [DEMO_JS, "--non-interactive"], { encoding: "utf8", timeout: 280_000 });
    const out = run.stdout;
    assert.equal(run.status, 0, `${out}\n${run.stderr}`);
    const pages = [...out.matchAll(/→ (NodeA|NodeB)\b/g)].map((m) => m[1]);
    // NodeA, NodeB after the kill, NodeA after the failback, NodeB during the cable test, NodeA after the heal
    // (and again after httpd's restart), NodeB once httpd is broken for good.
    assert.deepEqual(
      pages.filter((p, i) => p !== pages[i - 1]),
      ["NodeA", "NodeB", "NodeA", "NodeB", "NodeA", "NodeB"],
      out,
    );
    assert.match(out, /→ only srv6 holds the VIP; the client reads NodeB \d+ ms after the cut/);
    assert.match(out, /srv5's log says why it gave way:\n\s+.*we are cut off, so we give way/);
    assert.match(out, /→ the client reads NodeA again \d+ ms after the plug; \d+ of \d+ samples unanswered since/);
    assert.match(out, /VIP on: srv5; srv6's view of srv5: active/);
    const restart = /restart:\s+(\d+) ms/.exec(out);
    assert.ok(restart && Number(restart[1]) < 3000, out);
    assert.match(out, /move:\s+\d+ ms from the final httpd crash to the client served by srv6/);
    const failover = /failover:\s+(\d+) ms/.exec(out);
    assert.ok(failover && Number(failover[1]) < 3000, out);
    assert.match(out, /VIP held by two nodes at once: never/);
    assert.match(out, /VIP held by two nodes at once during the cable test: (never seen|seen for \d+ ms)/);
    assert.match(out, /Cleaned up: namespaces and processes gone\./);
    assert.doesNotMatch(out, /\x1b\[/, "no terminal escapes when not interactive");
  });
});
