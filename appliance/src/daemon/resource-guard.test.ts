// The resource guard: its stall rule (GuardState), its limits, and the real process's pipe protocol on a frozen daemon.

import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { loadConfigDir } from "../config/load-config-dir";
import { GuardState, guardArgv, guardTickMs, parseGuardLine, stallLimitMs } from "./resource-guard";
import { guardShell } from "./resource-guard-sh";
import { replayGuardMemory } from "./resource-guard-act";

/** The guards the daemon can start: the shell loop (when this machine has a shell for it) and the Node one. */
const FLAVOURS: { name: string; shell: string[] | undefined }[] = [
  ...(guardShell() ? [{ name: `shell (${guardShell()!.join(" ")})`, shell: guardShell() }] : []),
  ...(guardShell()?.[0] !== "/bin/bash" && existsSync("/bin/bash") ? [{ name: "shell (/bin/bash)", shell: ["/bin/bash"] }] : []),
  { name: "node", shell: undefined },
];

/** Starts a guard for node alpha of `dir` the way the daemon does (guardArgv). */
function startGuard(dir: string, shell: string[] | undefined) {
  const main = resolve(__dirname, "../main.js");
  const [file, ...args] = guardArgv([process.execPath, main], { configDir: dir, localNode: "alpha" }, shell);
  return spawn(file!, args, { stdio: ["pipe", "pipe", "pipe"] });
}

function configWith(haCf: string, haresources: string): { dir: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), "tb-guard-"));
  const dir = join(root, "ha.d");
  mkdirSync(join(dir, "resource.d"), { recursive: true });
  writeFileSync(join(dir, "ha.cf"), haCf);
  writeFileSync(join(dir, "haresources"), haresources);
  writeFileSync(join(dir, "authkeys"), "auth 1\n1 sha1 s\n", { mode: 0o600 });
  // A service script that does nothing (the guard must not touch it during a stall).
  writeFileSync(join(dir, "resource.d", "svc"), '#!/bin/sh\necho "$1" >> "$(dirname "$0")/svc.calls"\nexit 0\n', { mode: 0o755 });
  return { dir, root };
}

describe("GuardState", () => {
  it("drops nothing before the first tick, nor while ticks come within the limit", () => {
    const s = new GuardState(800);
    s.onLine('held ["g1"]', 0);
    assert.deepEqual(s.due(10_000), [], "a daemon that never ticked (an older one) is left alone");
    s.onLine("tick", 10_000);
    assert.deepEqual(s.due(10_800), []);
    s.onLine("tick", 10_700);
    assert.deepEqual(s.due(11_400), []);
  });

  it("a silence past the limit makes the held groups due once; the next tick reports the stall", () => {
    const s = new GuardState(800);
    s.onLine('held ["g1","g2"]', 0);
    s.onLine("tick", 0);
    assert.deepEqual(s.due(801), ["g1", "g2"]);
    assert.deepEqual(s.markDropped(["g1", "g2"]), ["g1", "g2"]);
    assert.deepEqual(s.due(2000), [], "not dropped twice");
    assert.equal(s.onLine("tick", 3500), 3500, "the daemon runs again after 3.5 s");
    // The daemon released g1 (and later took it again): it is guarded afresh.
    s.onLine('held ["g2"]', 3600);
    s.onLine('held ["g1","g2"]', 3700);
    s.onLine("tick", 3700);
    assert.deepEqual(s.due(4600), ["g1"]);
  });

  it("knows a clean exit", () => {
    const s = new GuardState(800);
    s.onLine("clean", 0);
    assert.ok(s.clean);
  });
});

describe("stall limits", () => {
  it("is the peer's deadtime less a fifth (at least a keepalive); ticks twice per keepalive", () => {
    const fast = loadConfigDir(configWith("node a b\nkeepalive 200ms\ndeadtime 1\ninitdead 2\nucast lo 127.0.0.1\n", "").dir, { localNode: "a" }).config!;
    assert.equal(stallLimitMs(fast), 800);
    assert.equal(guardTickMs(fast), 100);
    const seed = loadConfigDir(configWith("node a b\nkeepalive 2\ndeadtime 30\ninitdead 120\nucast lo 127.0.0.1\n", "").dir, { localNode: "a" }).config!;
    assert.equal(stallLimitMs(seed), 24_000);
  });

  it("reads the guard's report lines", () => {
    assert.deepEqual(parseGuardLine('dropped ["IPaddr::198.51.100.1"]'), { droppedAddresses: ["IPaddr::198.51.100.1"] });
    assert.equal(parseGuardLine("dropped {"), undefined);
    assert.equal(parseGuardLine("hello"), undefined);
  });
});

describe("the guard's memory (shell guard)", () => {
  it("replays held and dropped lines like the pipe: a group released after a drop is guarded afresh", () => {
    const s = replayGuardMemory('held ["g1","g2"]\ndropped ["g1","g2"]\nheld ["g2"]\nheld ["g1","g2"]\n', 800);
    assert.deepEqual(s.undropped(), ["g1"]);
    assert.deepEqual(s.dropped, ["g2"]);
    assert.deepEqual(replayGuardMemory('\nheld ["g1"]\n', 800).undropped(), ["g1"]);
  });
});

for (const flavour of FLAVOURS)
  describe(`the resource-guard process: ${flavour.name}`, () => {
    it("when ticks stop it reports the drop on its stdout within the limit, leaving other resources alone", async () => {
      // A group with no address: what is "dropped" is an empty set of resources, so this runs as any user.
      const { dir, root } = configWith("node alpha beta\nkeepalive 200ms\ndeadtime 1\ninitdead 2\nucast lo 127.0.0.1\n", "alpha svc\n");
      const guard = startGuard(dir, flavour.shell);
      try {
        let out = "";
        guard.stdout!.on("data", (c: Buffer) => (out += c.toString()));
        let err = "";
        guard.stderr!.on("data", (c: Buffer) => (err += c.toString()));
        guard.stdin!.write('held ["svc"]\n');
        const ticker = setInterval(() => guard.stdin!.write("tick\n"), 100);
        await new Promise((r) => setTimeout(r, 600));
        clearInterval(ticker);
        const stoppedAt = Date.now();
        for (let i = 0; i < 300 && !out.includes("dropped"); i++) await new Promise((r) => setTimeout(r, 10));
        const tookMs = Date.now() - stoppedAt;
        assert.equal(out, 'dropped ["svc"]\n', err);
        assert.ok(
          tookMs >= 700 && tookMs < 1500,
          `reported ${tookMs} ms after the last tick (limit 800 ms; the peer's deadtime is 1000 ms; the upper bound allows for a loaded machine)`,
        );
        assert.match(err, /silent for \d+ ms/);
        guard.stdin!.end("clean\n");
        const code = await new Promise<number | null>((r) => guard.once("exit", r));
        assert.equal(code, 0);
        assert.throws(() => require("node:fs").readFileSync(join(dir, "resource.d", "svc.calls")), "the service script was never called");
      } finally {
        if (guard.exitCode === null) guard.kill("SIGKILL");
        rmSync(root, { recursive: true, force: true });
      }
    });

    it("when the pipe closes without `clean` it stops the held groups (the daemon died); with `clean` it does nothing", async () => {
      const { dir, root } = configWith("node alpha beta\nkeepalive 200ms\ndeadtime 1\ninitdead 2\nucast lo 127.0.0.1\n", "alpha svc\n");
      const calls = join(dir, "resource.d", "svc.calls");
      try {
        const dying = startGuard(dir, flavour.shell);
        dying.stdin!.write('held ["svc"]\ntick\n');
        await new Promise((r) => setTimeout(r, 300));
        dying.stdin!.end();
        assert.equal(await new Promise<number | null>((r) => dying.once("exit", r)), 0);
        assert.equal(readFileSync(calls, "utf8"), "stop\n", "the group was stopped once");
        const clean = startGuard(dir, flavour.shell);
        clean.stdin!.end('held ["svc"]\ntick\nheld []\nheld ["svc"]\nclean\n');
        assert.equal(await new Promise<number | null>((r) => clean.once("exit", r)), 0);
        assert.equal(readFileSync(calls, "utf8"), "stop\n", "nothing more after a clean exit");
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    if (flavour.shell)
      it("when the daemon dies, the shell removes the held groups' addresses itself before Twinbeat stops the groups", async () => {
        // A fake `ip` first in PATH (found as the address agents find it): it answers `addr show to`
        // with the address on eth0 and logs every call, so nothing touches this machine's network.
        const { dir, root } = configWith(
          "node alpha beta\nkeepalive 200ms\ndeadtime 1\ninitdead 2\nucast lo 127.0.0.1\n",
          "alpha IPaddr::198.51.100.100/32 svc\nbeta IPaddr::198.51.100.101/32\n",
        );
        const calls = join(dir, "resource.d", "svc.calls");
        const bin = join(root, "bin");
        mkdirSync(bin);
        writeFileSync(
          join(bin, "ip"),
          `#!/bin/sh\necho "ip $*" >> ${calls}\ncase "$*" in "-o addr show to 198.51.100.100") echo "3: eth0    inet 198.51.100.100/32 scope global eth0\\\\       valid_lft forever preferred_lft forever" ;; esac\nexit 0\n`,
          { mode: 0o755 },
        );
        const main = resolve(__dirname, "../main.js");
        const [file, ...args] = guardArgv([process.execPath, main], { configDir: dir, localNode: "alpha" }, flavour.shell);
        const dying = spawn(file!, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` } });
        try {
          let err = "";
          dying.stderr!.on("data", (c: Buffer) => (err += c.toString()));
          dying.stdin!.write('held ["IPaddr::198.51.100.100/32"]\ntick\n');
          await new Promise((r) => setTimeout(r, 300));
          dying.stdin!.end();
          assert.equal(await new Promise<number | null>((r) => dying.once("exit", r)), 0, err);
          const lines = readFileSync(calls, "utf8").trim().split("\n");
          assert.deepEqual(lines.slice(0, 2), ["ip -o addr show to 198.51.100.100", "ip addr del 198.51.100.100/32 dev eth0"], `${lines.join("\n")}\n${err}`);
          assert.ok(lines.indexOf("stop") > 1, `the group is stopped after: ${lines.join(" | ")}`);
          assert.ok(!lines.some((l) => l.includes("198.51.100.101")), "the group the daemon did not hold is left alone");
          assert.match(err, /the daemon died: removed 198\.51\.100\.100\/32 from eth0/);
        } finally {
          if (dying.exitCode === null) dying.kill("SIGKILL");
          rmSync(root, { recursive: true, force: true });
        }
      });

    it("re-reads the configuration on `reload`: a longer deadtime moves the limit", async () => {
      const { dir, root } = configWith("node alpha beta\nkeepalive 200ms\ndeadtime 1\ninitdead 2\nucast lo 127.0.0.1\n", "alpha svc\n");
      const guard = startGuard(dir, flavour.shell);
      try {
        let out = "";
        guard.stdout!.on("data", (c: Buffer) => (out += c.toString()));
        writeFileSync(join(dir, "ha.cf"), "node alpha beta\nkeepalive 200ms\ndeadtime 2\ninitdead 4\nucast lo 127.0.0.1\n");
        guard.stdin!.write('reload\nheld ["svc"]\ntick\n');
        const lastTick = Date.now();
        // deadtime 2 s: limit 1600 ms. Nothing at 1.2 s (the old limit was 800 ms)…
        await new Promise((r) => setTimeout(r, 1200));
        assert.equal(out, "", "no drop at the old limit");
        for (let i = 0; i < 300 && !out.includes("dropped"); i++) await new Promise((r) => setTimeout(r, 10));
        const tookMs = Date.now() - lastTick;
        assert.equal(out, 'dropped ["svc"]\n');
        assert.ok(tookMs >= 1600, `dropped ${tookMs} ms after the last tick`);
      } finally {
        guard.stdin!.end("clean\n");
        if (guard.exitCode === null) guard.kill("SIGKILL");
        rmSync(root, { recursive: true, force: true });
      }
    });
  });
