// GnuGetopt against glibc getopt's documented behaviour: permutation, clusters, arguments, "--", POSIXLY_CORRECT.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { GnuGetopt, type GetoptStep } from "./gnu-getopt";

function all(argv: string[], optstring: string, posixlyCorrect = false): { steps: GetoptStep[]; operands: readonly string[] } {
  const g = new GnuGetopt(argv, optstring, { posixlyCorrect });
  const steps: GetoptStep[] = [];
  for (let s = g.next(); s; s = g.next()) steps.push(s);
  return { steps, operands: g.operands };
}

describe("GnuGetopt", () => {
  it("permutes: options after operands still count, operands keep their order", () => {
    const r = all(["cmd", "a", "-m", "b", "-v"], "mv");
    assert.deepEqual(r.steps, [{ opt: "m" }, { opt: "v" }]);
    assert.deepEqual(r.operands, ["a", "b"]);
  });

  it("clusters flags and takes an argument glued or from the next word", () => {
    assert.deepEqual(all(["cmd", "-mv"], "mv").steps, [{ opt: "m" }, { opt: "v" }]);
    assert.deepEqual(all(["cmd", "-mpname"], "mp:").steps, [{ opt: "m" }, { opt: "p", arg: "name" }]);
    assert.deepEqual(all(["cmd", "-p", "-m"], "mp:").steps, [{ opt: "p", arg: "-m" }]);
  });

  it("reports an unknown option and a missing argument as glibc does, with argv[0] as the name", () => {
    assert.deepEqual(all(["listnodes", "-x"], "mv").steps, [{ opt: "?", error: "listnodes: invalid option -- 'x'" }]);
    assert.deepEqual(all(["hbparameter", "-p"], "mp:").steps, [{ opt: "?", error: "hbparameter: option requires an argument -- 'p'" }]);
    assert.deepEqual(all(["c", "-:"], "p:").steps, [{ opt: "?", error: "c: invalid option -- ':'" }]);
  });

  it("-- ends the options; - alone is an operand", () => {
    const r = all(["cmd", "x", "--", "-m", "y"], "m");
    assert.deepEqual(r.steps, []);
    assert.deepEqual(r.operands, ["x", "-m", "y"]);
    assert.deepEqual(all(["cmd", "-", "-m"], "m").operands, ["-"]);
  });

  it("POSIXLY_CORRECT stops at the first operand", () => {
    const r = all(["cmd", "-m", "a", "-v"], "mv", true);
    assert.deepEqual(r.steps, [{ opt: "m" }]);
    assert.deepEqual(r.operands, ["a", "-v"]);
  });

  it("steps come one at a time, so a caller can stop at the first error", () => {
    const g = new GnuGetopt(["c", "-xy"], "m");
    assert.equal(g.next()?.error, "c: invalid option -- 'x'");
  });
});
