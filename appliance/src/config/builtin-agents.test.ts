// Tests for the list of agents and respawn programs Twinbeat implements itself.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinAgentKind, builtinAgentSpelledLike, isBuiltinAgent, isBuiltinIpfail, isIpAgent } from "./builtin-agents";

describe("builtin agents", () => {
  it("knows the virtual-address agents in their haresources and OCF spellings", () => {
    for (const name of ["IPaddr", "IPaddr2", "IPv6addr", "ocf:heartbeat:IPaddr2", "ocf:heartbeat:IPv6addr"]) {
      assert.equal(builtinAgentKind(name), "ip", name);
      assert.equal(isIpAgent(name), true, name);
    }
  });

  it("knows the OCF wrapper and ocf:heartbeat: agents", () => {
    assert.equal(builtinAgentKind("OCF"), "ocf");
    assert.equal(builtinAgentKind("ocf:heartbeat:Filesystem"), "ocf");
    assert.equal(isIpAgent("OCF"), false);
  });

  it("leaves scripts, wrong case and other OCF providers to the disk lookup", () => {
    for (const name of ["httpd", "Filesystem", "MailTo", "ipaddr", "IPADDR2", "ocf:pacemaker:Dummy", "ocf:heartbeat:"]) {
      assert.equal(isBuiltinAgent(name), false, name);
    }
  });

  it("suggests the right case of a built-in agent", () => {
    assert.equal(builtinAgentSpelledLike("ipaddr2"), "IPaddr2");
    assert.equal(builtinAgentSpelledLike("ocf"), "OCF");
    assert.equal(builtinAgentSpelledLike("IPaddr2"), undefined);
    assert.equal(builtinAgentSpelledLike("httpd"), undefined);
  });
});

describe("isBuiltinIpfail()", () => {
  it("matches ipfail in any directory", () => {
    assert.equal(isBuiltinIpfail("/usr/lib/heartbeat/ipfail"), true);
    assert.equal(isBuiltinIpfail("/usr/libexec/heartbeat/ipfail"), true);
    assert.equal(isBuiltinIpfail("/opt/x/ipfail"), true);
  });

  it("does not match other programs", () => {
    assert.equal(isBuiltinIpfail("/usr/lib/heartbeat/ipfail2"), false);
    assert.equal(isBuiltinIpfail("/usr/lib/ipfail/ccm"), false);
  });
});
