// Tests for the `path:line: message` rendering of config findings and the "did you mean" helper.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { closestName, configError, configWarning, didYouMean, formatDiagnostic, hasErrors } from "./format-diagnostic";

describe("formatDiagnostic()", () => {
  it("renders an error as path:line: message", () => {
    assert.equal(
      formatDiagnostic({ file: "/etc/ha.d/ha.cf", line: 12, severity: "error", message: 'Illegal directive "x"' }),
      '/etc/ha.d/ha.cf:12: Illegal directive "x"',
    );
  });

  it("renders a warning with a warning: label", () => {
    assert.equal(
      formatDiagnostic({ file: "/etc/ha.d/authkeys", line: 1, severity: "warning", message: "crc is weak" }),
      "/etc/ha.d/authkeys:1: warning: crc is weak",
    );
  });

  it("drops the line number for a whole-file finding (line 0)", () => {
    assert.equal(formatDiagnostic(configError({ file: "/etc/ha.d/ha.cf", line: 0 }, "no nodes")), "/etc/ha.d/ha.cf: no nodes");
    assert.equal(formatDiagnostic(configWarning({ file: "f", line: 0 }, "w")), "f: warning: w");
  });
});

describe("hasErrors()", () => {
  it("is true only when some finding is an error", () => {
    const at = { file: "f", line: 1 };
    assert.equal(hasErrors([]), false);
    assert.equal(hasErrors([configWarning(at, "w")]), false);
    assert.equal(hasErrors([configWarning(at, "w"), configError(at, "e")]), true);
  });
});

describe("closestName()", () => {
  const names = ["keepalive", "deadtime", "deadping", "warntime", "node", "ucast", "mcast", "bcast"];

  it("suggests the directive one typo away", () => {
    assert.equal(closestName("deadtme", names), "deadtime");
    assert.equal(closestName("keepalvie", names), "keepalive");
    assert.equal(closestName("Keepalive", names), "keepalive");
    assert.equal(closestName("nod", names), "node");
  });

  it("suggests nothing when the word is far from every candidate", () => {
    assert.equal(closestName("frobnicate", names), undefined);
    assert.equal(closestName("xyz", names), undefined);
  });

  it("always suggests a candidate that differs only in letter case", () => {
    assert.equal(closestName("SHA1", ["crc", "md5", "sha1"]), "sha1");
    assert.equal(closestName("BCAST", names), "bcast");
  });

  it("allows only one edit for short words", () => {
    assert.equal(closestName("nd", ["node"]), undefined);
  });

  it("didYouMean() phrases the suggestion or returns nothing", () => {
    assert.equal(didYouMean("deadtme", names), ': did you mean "deadtime"?');
    assert.equal(didYouMean("frobnicate", names), "");
  });
});
