// Tests for the per-resource report of `twinbeat check`: which implementation runs each resource, and findings (with the package) for those nothing runs.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parseHaresources } from "../config/haresources-parser";
import { formatDiagnostic } from "../config/format-diagnostic";
import { missingResourceFindings, resourceReport } from "./resource-check";
import type { ResourceDirs } from "./resource-locator";

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function executable(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
}

/** A config dir with the given haresources, an empty init dir and OCF root. */
function machine(haresources: string): ResourceDirs & { base: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "tb-rcheck-"));
  tempDirs.push(base);
  const dirs = { base, configDir: path.join(base, "ha.d"), initDir: path.join(base, "init.d"), ocfRoot: path.join(base, "ocf") };
  fs.mkdirSync(path.join(dirs.configDir, "resource.d"), { recursive: true });
  fs.mkdirSync(dirs.initDir, { recursive: true });
  fs.mkdirSync(path.join(dirs.ocfRoot, "resource.d", "heartbeat"), { recursive: true });
  fs.writeFileSync(path.join(dirs.configDir, "haresources"), haresources);
  return dirs;
}

function groupsOf(dirs: ResourceDirs): ReturnType<typeof parseHaresources>["groups"] {
  const file = path.join(dirs.configDir, "haresources");
  return parseHaresources(fs.readFileSync(file, "utf8"), file, undefined).groups;
}

/** Findings and report lines with the temporary base replaced by $B. */
function shown(dirs: ResourceDirs & { base: string }, lines: readonly string[]): string[] {
  return lines.map((l) => l.split(dirs.base).join("$B"));
}

const SURVEY_LINE = "node1 IPaddr::192.0.2.10/24 Filesystem::/dev/drbd0::/data::ext3 drbddisk::r0 apache::/etc/apache2/apache2.conf MailTo::root httpd\n";

describe("resource report and findings", () => {
  it("on a machine without the heartbeat package or resource-agents: every classic name is an error naming resource-agents, drbddisk names drbd-utils", () => {
    const dirs = machine(SURVEY_LINE);
    executable(path.join(dirs.initDir, "httpd"));
    const findings = missingResourceFindings(groupsOf(dirs), dirs, "error").map(formatDiagnostic);
    assert.deepEqual(shown(dirs, findings), [
      "$B/ha.d/haresources:1: Cannot locate the OCF agent $B/ocf/resource.d/heartbeat/Filesystem that runs the classic resource Filesystem (Debian package resource-agents; or put a script named Filesystem in $B/ha.d/resource.d)",
      "$B/ha.d/haresources:1: Cannot locate resource script drbddisk (looked in $B/ha.d/resource.d and $B/init.d); drbddisk comes with the Debian package drbd-utils (it installs /etc/ha.d/resource.d/drbddisk)",
      "$B/ha.d/haresources:1: Cannot locate the OCF agent $B/ocf/resource.d/heartbeat/apache that runs the classic resource apache (Debian package resource-agents; or put a script named apache in $B/ha.d/resource.d)",
      "$B/ha.d/haresources:1: Cannot locate the OCF agent $B/ocf/resource.d/heartbeat/MailTo that runs the classic resource MailTo (Debian package resource-agents; or put a script named MailTo in $B/ha.d/resource.d)",
    ]);
    assert.deepEqual(shown(dirs, resourceReport(dirs)), [
      "$B/ha.d/haresources:1: note: IPaddr::192.0.2.10/24: built-in IP address agent (Twinbeat adds and removes the address itself)",
      "$B/ha.d/haresources:1: note: httpd: LSB init script $B/init.d/httpd",
    ]);
  });

  it("with resource-agents and drbd-utils' script: says which OCF agent runs each classic name, with its parameters", () => {
    const dirs = machine(SURVEY_LINE);
    executable(path.join(dirs.initDir, "httpd"));
    for (const agent of ["Filesystem", "apache", "MailTo"]) {
      executable(path.join(dirs.ocfRoot, "resource.d", "heartbeat", agent));
    }
    executable(path.join(dirs.configDir, "resource.d", "drbddisk"));
    assert.deepEqual(missingResourceFindings(groupsOf(dirs), dirs, "error"), []);
    assert.deepEqual(shown(dirs, resourceReport(dirs)), [
      "$B/ha.d/haresources:1: note: IPaddr::192.0.2.10/24: built-in IP address agent (Twinbeat adds and removes the address itself)",
      "$B/ha.d/haresources:1: note: Filesystem::/dev/drbd0::/data::ext3: classic name Filesystem → OCF agent $B/ocf/resource.d/heartbeat/Filesystem (instance Filesystem_/dev/drbd0, device=/dev/drbd0 directory=/data fstype=ext3)",
      "$B/ha.d/haresources:1: note: drbddisk::r0: resource.d script $B/ha.d/resource.d/drbddisk",
      "$B/ha.d/haresources:1: note: apache::/etc/apache2/apache2.conf: classic name apache → OCF agent $B/ocf/resource.d/heartbeat/apache (instance apache_/etc/apache2/apache2.conf, configfile=/etc/apache2/apache2.conf)",
      "$B/ha.d/haresources:1: note: MailTo::root: classic name MailTo → OCF agent $B/ocf/resource.d/heartbeat/MailTo (instance MailTo, email=root)",
      "$B/ha.d/haresources:1: note: httpd: LSB init script $B/init.d/httpd",
    ]);
  });

  it("a local resource.d script of a classic name wins; wrong argument counts and OCF resources are checked too", () => {
    const dirs = machine("node1 192.0.2.10 Filesystem::/dev/sdb1::/srv MailTo ocf:heartbeat:Dummy::state=/run/x OCF::Nope::inst\n");
    executable(path.join(dirs.configDir, "resource.d", "Filesystem"));
    executable(path.join(dirs.ocfRoot, "resource.d", "heartbeat", "MailTo"));
    executable(path.join(dirs.ocfRoot, "resource.d", "heartbeat", "Dummy"));
    const findings = missingResourceFindings(groupsOf(dirs), dirs, "warning").map(formatDiagnostic);
    assert.deepEqual(shown(dirs, findings), [
      '$B/ha.d/haresources:1: warning: resource "MailTo": wrong number of arguments: expected MailTo::EMAIL[,EMAIL…][::SUBJECT]',
      '$B/ha.d/haresources:1: warning: Cannot locate OCF resource agent "Nope" in $B/ocf/resource.d/*/ (is the Debian package resource-agents installed?)',
    ]);
    assert.deepEqual(shown(dirs, resourceReport(dirs)).slice(1), [
      "$B/ha.d/haresources:1: note: Filesystem::/dev/sdb1::/srv: resource.d script $B/ha.d/resource.d/Filesystem",
      "$B/ha.d/haresources:1: note: ocf:heartbeat:Dummy::state=/run/x: OCF agent $B/ocf/resource.d/heartbeat/Dummy (instance Dummy_/run/x)",
    ]);
  });

  it("keeps Heartbeat's wording and hints for a plain script that is nowhere", () => {
    const dirs = machine("node1 192.0.2.10 ipaddr2::192.0.2.11/24 smb mailto::root\n");
    fs.writeFileSync(path.join(dirs.initDir, "smb"), "#!/bin/sh\n", { mode: 0o644 });
    assert.deepEqual(shown(dirs, missingResourceFindings(groupsOf(dirs), dirs, "warning").map(formatDiagnostic)), [
      '$B/ha.d/haresources:1: warning: cannot locate resource script "ipaddr2" in $B/ha.d/resource.d or $B/init.d: did you mean "IPaddr2"? (names are case-sensitive)',
      '$B/ha.d/haresources:1: warning: cannot locate resource script "smb" in $B/ha.d/resource.d or $B/init.d: $B/init.d/smb is not an executable file',
      '$B/ha.d/haresources:1: warning: cannot locate resource script "mailto" in $B/ha.d/resource.d or $B/init.d: did you mean "MailTo"? (names are case-sensitive)',
    ]);
  });
});
