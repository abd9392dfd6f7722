// The defaults table is what a minimal ha.cf parses to: typed values and reported parameters, and it names only real directives.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HA_CF_DEFAULTS, HA_CF_PARAMETER_DEFAULTS } from "./ha-cf-defaults";
import { HA_CF_DIRECTIVE_NAMES, parseHaCf } from "./ha-cf-parser";

describe("ha.cf defaults", () => {
  const parsed = parseHaCf("bcast eth1\nnode alpha beta\n", "/etc/ha.d/ha.cf");

  it("a minimal ha.cf gets the typed defaults", () => {
    const ha = parsed.ha;
    assert.ok(ha, JSON.stringify(parsed.diagnostics));
    assert.equal(ha.keepaliveMs, HA_CF_DEFAULTS.keepaliveMs);
    assert.equal(ha.deadtimeMs, HA_CF_DEFAULTS.deadtimeMs);
    assert.equal(ha.udpPort, HA_CF_DEFAULTS.udpPort);
    assert.equal(ha.autoFailback, HA_CF_DEFAULTS.autoFailback);
    assert.equal(ha.hopfudge, HA_CF_DEFAULTS.hopfudge);
    assert.equal(ha.msgfmt, HA_CF_DEFAULTS.msgfmt);
    assert.equal(ha.hbgenmethod, HA_CF_DEFAULTS.hbgenmethod);
    assert.equal(ha.uuidfrom, HA_CF_DEFAULTS.uuidfrom);
    assert.equal(ha.maxRexmitDelayMs, HA_CF_DEFAULTS.maxRexmitDelayMs);
    assert.equal(ha.logBadpack, HA_CF_DEFAULTS.logBadpack);
  });

  it("reports every default parameter as the table says, and a given value instead of it", () => {
    const ha = parsed.ha!;
    for (const [name, value] of Object.entries(HA_CF_PARAMETER_DEFAULTS)) assert.equal(ha.parameters.get(name), value, name);
    assert.equal(ha.parameters.get("udpport"), String(HA_CF_DEFAULTS.udpPort));
    assert.equal(ha.parameters.get("debug"), String(HA_CF_DEFAULTS.debugLevel));
    const given = parseHaCf("keepalive 2\nbcast eth1\nnode alpha beta\n", "/etc/ha.d/ha.cf").ha!;
    assert.equal(given.parameters.get("keepalive"), "2");
    assert.equal(given.keepaliveMs, 2000);
  });

  it("names only directives ha.cf accepts", () => {
    for (const name of Object.keys(HA_CF_PARAMETER_DEFAULTS)) assert.ok(HA_CF_DIRECTIVE_NAMES.includes(name), name);
  });
});
