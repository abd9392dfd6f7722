// Tests for twinbeat.cf's monitor/check lines and their check against haresources.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDiagnostic } from "./format-diagnostic";
import { parseHaresources } from "./haresources-parser";
import { monitoredGroups, parseTarget, resolveMonitors } from "./monitor-directives";
import { parseTwinbeatCf } from "./twinbeat-cf-parser";
import { normalizeNodeName } from "../cluster/time";

const FILE = "/etc/ha.d/twinbeat.cf";
const GROUPS = parseHaresources(
  "srv5.localdomain IPaddr::198.51.100.100/32 httpd\n",
  "/etc/ha.d/haresources",
  ["srv5.localdomain", "srv6.localdomain"].map(normalizeNodeName),
).groups;

function parse(text: string) {
  const r = parseTwinbeatCf(text, FILE);
  return { twinbeat: r.twinbeat, messages: r.diagnostics.map(formatDiagnostic) };
}

describe("twinbeat.cf monitor and check lines", () => {
  it("reads the issue's examples with their options and the group-wide settings", () => {
    const { twinbeat, messages } = parse(
      [
        "monitor httpd interval=2s timeout=2s fall=3 rise=2 on-fail=restart",
        'check httpd http://127.0.0.1/ expect=200 interval=500ms fall=2 body="It works" source=127.0.0.1',
        "check httpd tcp://127.0.0.1:80 interval=1 timeout=300ms on-fail=failover",
        "check IPaddr /bin/true interval=5",
        "migration_threshold 2",
        "failure_timeout 10min",
      ].join("\n"),
    );
    assert.deepEqual(messages, []);
    const [mon, http, tcp, script] = twinbeat.monitors!;
    assert.deepEqual(
      { ...mon!, at: undefined },
      {
        id: "httpd monitor",
        resource: "httpd",
        target: { kind: "status", depth: 0 },
        intervalMs: 2000,
        timeoutMs: 2000,
        fall: 3,
        rise: 2,
        onFail: "restart",
        at: undefined,
      },
    );
    assert.deepEqual(http!.target, {
      kind: "http",
      url: "http://127.0.0.1/",
      host: "127.0.0.1",
      port: 80,
      path: "/",
      expect: [{ from: 200, to: 200 }],
      bodyContains: "It works",
      source: "127.0.0.1",
    });
    assert.equal(http!.timeoutMs, 500, "timeout defaults to the interval");
    assert.equal(http!.fall, 2);
    assert.deepEqual(tcp!.target, { kind: "tcp", host: "127.0.0.1", port: 80 });
    assert.equal(tcp!.onFail, "failover");
    assert.deepEqual(script!.target, { kind: "script", command: "/bin/true" });
    assert.equal(twinbeat.migrationThreshold, 2);
    assert.equal(twinbeat.failureTimeoutMs, 600_000);
    assert.equal(mon!.at.line, 1);
  });

  it("refuses bad intervals, URLs, options and a timeout longer than the interval, each at its line", () => {
    const { messages, twinbeat } = parse(
      [
        "monitor httpd interval=fast",
        "check httpd http://web.example/ interval=1s",
        "check httpd ftp://127.0.0.1/",
        "monitor httpd interval=500ms timeout=2s",
        "monitor httpd on-fail=reboot",
        "check httpd tcp://127.0.0.1",
        "check httpd http://127.0.0.1/ expect=ok",
        "monitor httpd intervl=2s",
        "migration_threshold 0",
        "failure_timeout soon",
        'check httpd http://127.0.0.1/ body="open',
      ].join("\n"),
    );
    assert.equal(twinbeat.monitors!.length, 0);
    const expected = [
      /:1: monitor interval "fast" is not valid/,
      /:2: check target "http:\/\/web.example\/" is not valid: "web.example" is not an IP address/,
      /:3: check target .* unknown scheme "ftp"/,
      /:4: monitor timeout \(2000 ms\) is longer than its interval \(500 ms\)/,
      /:5: monitor on-fail "reboot" is not valid/,
      /:6: check target .* a tcp check needs a port/,
      /:7: check expect "ok" is not valid/,
      /:8: monitor option "intervl=2s" is not known here: did you mean "interval"\?/,
      /:9: migration_threshold value "0" is not valid/,
      /:10: failure_timeout value "soon" is not valid/,
      /:11: check: unbalanced double quote/,
    ];
    assert.equal(messages.length, expected.length, messages.join("\n"));
    expected.forEach((re, i) => assert.match(messages[i]!, re));
  });

  it("parses targets", () => {
    assert.deepEqual(parseTarget("http://[::1]:8080/health?x=1"), {
      kind: "http",
      url: "http://[::1]:8080/health?x=1",
      host: "::1",
      port: 8080,
      path: "/health?x=1",
      expect: [{ from: 200, to: 200 }],
    });
    assert.match(String(parseTarget("https://127.0.0.1/")), /https is not built in/);
    assert.match(String(parseTarget("relative/path")), /expected http/);
  });
});

describe("resolveMonitors()", () => {
  it("finds resources by token or by unique name, and names an unknown one at its line", () => {
    const { twinbeat } = parse("monitor httpd\nmonitor IPaddr interval=1s\nmonitor IPaddr::198.51.100.100/32\nmonitor htpd\n");
    const { resolved, diagnostics } = resolveMonitors(twinbeat.monitors!, GROUPS);
    assert.deepEqual(
      resolved.map((r) => [r.id, r.resourceToken]),
      [
        ["httpd monitor", "httpd"],
        ["IPaddr monitor", "IPaddr::198.51.100.100/32"],
        ["IPaddr::198.51.100.100/32 monitor", "IPaddr::198.51.100.100/32"],
      ],
    );
    assert.deepEqual(diagnostics.map(formatDiagnostic), [`${FILE}:4: resource "htpd" is not in haresources: did you mean "httpd"?`]);
  });

  it("builds the core's groups with the group-wide threshold and unique check ids", () => {
    const { twinbeat } = parse("monitor httpd\nmonitor httpd fall=2\nmigration_threshold 5\nfailure_timeout 0\n");
    const { resolved } = resolveMonitors(twinbeat.monitors!, GROUPS);
    const groups = monitoredGroups(resolved, GROUPS, { migrationThreshold: twinbeat.migrationThreshold!, failureTimeoutMs: twinbeat.failureTimeoutMs! });
    assert.equal(groups.length, 1);
    assert.deepEqual(groups[0]!.resources, ["IPaddr::198.51.100.100/32", "httpd"]);
    assert.deepEqual(
      groups[0]!.checks.map((c) => c.id),
      ["httpd monitor", "httpd monitor #2"],
    );
    assert.equal(groups[0]!.migrationThreshold, 5);
    assert.equal(groups[0]!.failureTimeoutMs, 0);
  });
});
