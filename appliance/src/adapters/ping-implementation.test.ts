// Tests for telling the three ping programs apart and the command line each gets.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { implementationFromVersionText, pingInvocation } from "./ping-implementation";

describe("implementationFromVersionText", () => {
  it("recognises what each program answers to -V (Debian 12's, as captured)", () => {
    assert.equal(implementationFromVersionText("ping from iputils 20221126\nlibcap: yes, IDN: yes"), "iputils");
    assert.equal(implementationFromVersionText("ping utility, iputils-s20180629\n"), "iputils");
    assert.equal(implementationFromVersionText("ping (GNU inetutils) 2.4\nCopyright (C) 2022"), "inetutils");
    assert.equal(implementationFromVersionText("ping: invalid option -- 'V'\nBusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.\n"), "busybox");
    assert.equal(implementationFromVersionText("sh: 1: ping: not found"), undefined);
  });
});

describe("pingInvocation", () => {
  it("iputils: numeric, fractional interval, -6 for IPv6", () => {
    assert.deepEqual(pingInvocation("iputils", "ping", "192.0.2.7", 200), { program: "ping", args: ["-n", "-i", "0.2", "192.0.2.7"] });
    assert.deepEqual(pingInvocation("iputils", "/bin/ping", "2001:db8::7", 500), { program: "/bin/ping", args: ["-n", "-i", "0.5", "-6", "2001:db8::7"] });
  });

  it("inetutils: ping6 beside ping for IPv6, in whole seconds", () => {
    assert.deepEqual(pingInvocation("inetutils", "/x/bin/ping", "192.0.2.7", 200), { program: "/x/bin/ping", args: ["-n", "-i", "0.2", "192.0.2.7"] });
    assert.deepEqual(pingInvocation("inetutils", "/x/bin/ping", "2001:db8::7", 200), { program: "/x/bin/ping6", args: ["-n", "-i", "1", "2001:db8::7"] });
    assert.deepEqual(pingInvocation("inetutils", "ping", "2001:db8::7", 1500), { program: "ping6", args: ["-n", "-i", "2", "2001:db8::7"] });
  });

  it("busybox: no -n, the applet name first when run as busybox itself", () => {
    assert.deepEqual(pingInvocation("busybox", "/bin/ping", "192.0.2.7", 200), { program: "/bin/ping", args: ["-i", "0.2", "192.0.2.7"] });
    assert.deepEqual(pingInvocation("busybox", "/bin/busybox", "2001:db8::7", 1000), {
      program: "/bin/busybox",
      args: ["ping", "-i", "1.0", "-6", "2001:db8::7"],
    });
  });

  it("never asks for less than 0.2 s (the root-only floor of iputils and inetutils)", () => {
    assert.deepEqual(pingInvocation("iputils", "ping", "192.0.2.7", 50).args, ["-n", "-i", "0.2", "192.0.2.7"]);
  });
});
