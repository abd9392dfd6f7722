// Tests for twinbeat.cf, Twinbeat's own settings file.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDiagnostic } from "./format-diagnostic";
import { defaultTwinbeatConfig, parseListenAddress, parseTwinbeatCf } from "./twinbeat-cf-parser";

const FILE = "/etc/ha.d/twinbeat.cf";

describe("parseTwinbeatCf()", () => {
  it("has defaults when the file is empty or absent", () => {
    for (const twinbeat of [parseTwinbeatCf("# nothing\n", FILE).twinbeat, defaultTwinbeatConfig()]) {
      assert.equal(twinbeat.resourceTimeoutMs, 60_000);
      assert.equal(twinbeat.statusHttp, undefined);
      assert.equal(twinbeat.notify, undefined);
      assert.equal(twinbeat.parameters.size, 0);
    }
  });

  it("reads every key with ha.cf's lexical rules", () => {
    const { twinbeat, diagnostics } = parseTwinbeatCf(
      "status_http 127.0.0.1:8080  # status page\nnotify /usr/local/bin/ha-notify\nresource_timeout 90s\n",
      FILE,
    );
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(twinbeat.statusHttp, { address: "127.0.0.1", port: 8080 });
    assert.equal(twinbeat.notify, "/usr/local/bin/ha-notify");
    assert.equal(twinbeat.resourceTimeoutMs, 90_000);
    assert.deepEqual(
      [...twinbeat.parameters],
      [
        ["status_http", "127.0.0.1:8080"],
        ["notify", "/usr/local/bin/ha-notify"],
        ["resource_timeout", "90s"],
      ],
    );
  });

  it("accepts Heartbeat time spellings for resource_timeout, the last value winning", () => {
    assert.equal(parseTwinbeatCf("resource_timeout 30,1500ms\n", FILE).twinbeat.resourceTimeoutMs, 1500);
    assert.equal(parseTwinbeatCf("resource_timeout 2.5\n", FILE).twinbeat.resourceTimeoutMs, 2500);
  });

  it("takes an IPv6 status address in brackets", () => {
    assert.deepEqual(parseTwinbeatCf("status_http [::1]:9000\n", FILE).twinbeat.statusHttp, { address: "::1", port: 9000 });
  });

  const errors: ReadonlyArray<readonly [string, string]> = [
    ["status_htp 127.0.0.1:8080", '1: Illegal directive "status_htp": did you mean "status_http"?'],
    ["resource_timout 30", '1: Illegal directive "resource_timout": did you mean "resource_timeout"?'],
    ["keepalive 2", '1: Illegal directive "keepalive": it belongs in ha.cf, not twinbeat.cf'],
    ["bogus 1", '1: Illegal directive "bogus"'],
    [
      "status_http localhost:8080",
      '1: status_http value "localhost:8080" is not valid: expected IPV4:PORT or [IPV6]:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:8080)',
    ],
    [
      "status_http 127.0.0.1",
      '1: status_http value "127.0.0.1" is not valid: expected IPV4:PORT or [IPV6]:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:8080)',
    ],
    [
      "status_http 127.0.0.1:0",
      '1: status_http value "127.0.0.1:0" is not valid: expected IPV4:PORT or [IPV6]:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:8080)',
    ],
    [
      "status_http ::1:8080",
      '1: status_http value "::1:8080" is not valid: expected IPV4:PORT or [IPV6]:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:8080)',
    ],
    ["notify ha-notify", '1: notify value "ha-notify" is not valid: expected an absolute path to a program'],
    ["resource_timeout 0", '1: resource_timeout value "0" is not valid: expected a time above 0 (90, 90s or 1500ms)'],
    ["resource_timeout 5m", '1: resource_timeout value "5m" is not valid: expected a time above 0 (90, 90s or 1500ms)'],
    ["notify", "1: notify has no value"],
  ];
  for (const [line, expected] of errors) {
    it(`refuses "${line}"`, () => {
      const { twinbeat, diagnostics } = parseTwinbeatCf(`${line}\n`, FILE);
      assert.deepEqual(diagnostics.map(formatDiagnostic), [`${FILE}:${expected}`]);
      assert.equal(twinbeat.resourceTimeoutMs, 60_000);
    });
  }
});

describe("parseListenAddress()", () => {
  it("reads IPv4:port and [IPv6]:port only", () => {
    assert.deepEqual(parseListenAddress("0.0.0.0:80"), { address: "0.0.0.0", port: 80 });
    assert.deepEqual(parseListenAddress("[2001:db8::1]:65535"), { address: "2001:db8::1", port: 65535 });
    assert.equal(parseListenAddress("[2001:db8::1]:65536"), undefined);
    assert.equal(parseListenAddress("[192.0.2.1]:80"), undefined);
    assert.equal(parseListenAddress("300.0.0.1:80"), undefined);
    assert.equal(parseListenAddress(":80"), undefined);
  });
});
