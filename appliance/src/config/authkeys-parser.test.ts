// Tests for the authkeys parser: permissions, the active index and key lines.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAuthkeys } from "./authkeys-parser";
import { formatDiagnostic } from "./format-diagnostic";

const FILE = "/etc/ha.d/authkeys";

function findings(text: string, mode = 0o600): string[] {
  return parseAuthkeys(text, FILE, mode).diagnostics.map(formatDiagnostic);
}

describe("parseAuthkeys()", () => {
  it("reads the active index and every key", () => {
    const result = parseAuthkeys("# keys\n  auth 2\n1 md5 old-secret\n2 sha1 n3w!secret\n\n", FILE, 0o600);
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.authKeys?.activeIndex, 2);
    assert.deepEqual(
      [...(result.authKeys?.keys ?? [])],
      [
        [1, { method: "md5", key: "old-secret" }],
        [2, { method: "sha1", key: "n3w!secret" }],
      ],
    );
  });

  it("accepts indexes 0 to 15", () => {
    const result = parseAuthkeys("auth 0\n0 sha1 a\n15 sha1 b\n", FILE, 0o400);
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual([...(result.authKeys?.keys.keys() ?? [])], [0, 15]);
  });

  it("accepts modes that hide the file from group and others (600, 400, 700, 620)", () => {
    for (const mode of [0o600, 0o400, 0o700, 0o620]) {
      assert.deepEqual(findings("auth 1\n1 sha1 k\n", mode), [], mode.toString(8));
    }
  });

  it("warns that crc authenticates nothing when it is the active method", () => {
    const result = parseAuthkeys("auth 1\n1 crc\n", FILE, 0o600);
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      "/etc/ha.d/authkeys:1: warning: auth 1 selects crc, which only detects corrupted packets and authenticates nothing: use sha1 with a secret key",
    ]);
    assert.deepEqual(result.authKeys?.keys.get(1), { method: "crc" });
  });

  it("does not warn about an inactive crc entry", () => {
    assert.deepEqual(findings("auth 2\n1 crc\n2 sha1 k\n"), []);
  });

  it("warns that words after the key are ignored, and keeps the first word as the key", () => {
    const result = parseAuthkeys("auth 1\n1 sha1 my secret key\n", FILE, 0o600);
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      "/etc/ha.d/authkeys:2: warning: key 1 is the first word after the method only, my (exactly these 2 characters, as Heartbeat reads it); the rest of the line, secret key, is ignored (a key cannot contain spaces)",
    ]);
    assert.deepEqual(result.authKeys?.keys.get(1), { method: "sha1", key: "my" });
  });

  it("says which key is used when a quoted key has a space in it (the opening quote is part of the key)", () => {
    // A real authkeys line: 1 sha1 "twin test"
    const result = parseAuthkeys('auth 1\n1 sha1 "twin test"\n', FILE, 0o600);
    assert.deepEqual(result.authKeys?.keys.get(1), { method: "sha1", key: '"twin' });
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      '/etc/ha.d/authkeys:2: warning: key 1 is the first word after the method only, "twin (exactly these 5 characters, as Heartbeat reads it): quotes are not special in authkeys, so the opening quote is part of the key; the rest of the line, test", is ignored (a key cannot contain spaces)',
    ]);
  });

  it("uses the last auth line, with a warning", () => {
    const result = parseAuthkeys("auth 1\nauth 2\n1 sha1 a\n2 sha1 b\n", FILE, 0o600);
    assert.equal(result.authKeys?.activeIndex, 2);
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      "/etc/ha.d/authkeys:2: warning: auth is given twice (first at line 1): the last one, auth 2, is used",
    ]);
  });

  const errors: ReadonlyArray<readonly [string, number, readonly string[]]> = [
    ["auth 1\n1 sha1 k\n", 0o644, ["/etc/ha.d/authkeys: bad permissions 0644 on authkeys: it must not be readable by group or others (chmod 600)"]],
    ["auth 1\n1 sha1 k\n", 0o640, ["/etc/ha.d/authkeys: bad permissions 0640 on authkeys: it must not be readable by group or others (chmod 600)"]],
    ["auth 1\n1 sha1 k\n", 0o604, ["/etc/ha.d/authkeys: bad permissions 0604 on authkeys: it must not be readable by group or others (chmod 600)"]],
    ["auth 1\n1 crc secret\n", 0o600, ['/etc/ha.d/authkeys:2: key 1 uses crc, which takes no key, but "secret" was given']],
    [
      "auth 1\n1 crc # no key\n",
      0o600,
      ['/etc/ha.d/authkeys:2: key 1 uses crc, which takes no key, but "#" was given (a "#" after the method is not a comment in authkeys)'],
    ],
    ["auth 1\n1 sha1\n", 0o600, ['/etc/ha.d/authkeys:2: key 1 uses sha1, which needs a key: expected "1 sha1 SECRET"']],
    ["auth 1\n1 md5\n", 0o600, ['/etc/ha.d/authkeys:2: key 1 uses md5, which needs a key: expected "1 md5 SECRET"']],
    ["auth 2\n1 sha1 k\n", 0o600, ['/etc/ha.d/authkeys:1: auth 2 names a key that is not defined: add a line "2 sha1 SECRET"']],
    ["1 sha1 k\n", 0o600, ['/etc/ha.d/authkeys: no "auth N" line: add one naming the key index to sign with (e.g. "auth 1")']],
    ["auth 1\n1 sha256 k\n", 0o600, ['/etc/ha.d/authkeys:2: unknown auth method "sha256" for key 1: expected crc, md5 or sha1']],
    ["auth 1\n1 SHA1 k\n", 0o600, ['/etc/ha.d/authkeys:2: unknown auth method "SHA1" for key 1: expected crc, md5 or sha1: did you mean "sha1"?']],
    ["auth 1\n1 sha1 a\n1 sha1 b\n", 0o600, ["/etc/ha.d/authkeys:3: key index 1 is defined twice (first at line 2)"]],
    ["auth 1\n1 sha1 a\n16 sha1 b\n", 0o600, ["/etc/ha.d/authkeys:3: key index 16 is out of range: expected 0 to 15"]],
    ["auth 1\n1\n", 0o600, ['/etc/ha.d/authkeys:2: key 1 has no method: expected "1 METHOD [KEY]" with crc, md5 or sha1']],
    [
      "auth one\n1 sha1 k\n",
      0o600,
      [
        '/etc/ha.d/authkeys:1: "auth one" is not a valid auth line: expected "auth N" with N the key index to sign with',
        '/etc/ha.d/authkeys: no "auth N" line: add one naming the key index to sign with (e.g. "auth 1")',
      ],
    ],
    [
      "authenticate 1\n1 sha1 k\n",
      0o600,
      [
        '/etc/ha.d/authkeys:1: "authenticate 1" is not a valid auth line: expected "auth N" with N the key index to sign with',
        '/etc/ha.d/authkeys: no "auth N" line: add one naming the key index to sign with (e.g. "auth 1")',
      ],
    ],
    [
      "auth 1\nkey sha1 k\n",
      0o600,
      [
        '/etc/ha.d/authkeys:2: "key sha1 k" is not a valid key line: expected "auth N" or "N METHOD [KEY]"',
        '/etc/ha.d/authkeys:1: auth 1 names a key that is not defined: add a line "1 sha1 SECRET"',
      ],
    ],
  ];
  for (const [text, mode, expected] of errors) {
    it(`refuses ${JSON.stringify(text)} with mode ${mode.toString(8)}`, () => {
      const result = parseAuthkeys(text, FILE, mode);
      assert.deepEqual(result.diagnostics.map(formatDiagnostic), expected);
      assert.equal(result.authKeys, undefined);
    });
  }

  it("reports a broken active key line once", () => {
    assert.deepEqual(findings("auth 1\n1 sha1\n"), ['/etc/ha.d/authkeys:2: key 1 uses sha1, which needs a key: expected "1 sha1 SECRET"']);
  });
});
