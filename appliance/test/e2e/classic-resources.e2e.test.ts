// Heartbeat's classic resource names without the heartbeat package: `IPaddr::VIP/32 Filesystem::<loop device>::<dir>::ext4 MailTo::root` run by two daemons through resource-agents' OCF agents, acquired, failed over and released in order.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../../../scripts/lab/netns-lab";
import { setUpSeedPair, vipHolders } from "../../../scripts/lab/seed-pair";
import type { SeedNodeKey } from "../../../scripts/lab/seed-topology";
import { statusSeen, twinbeatArgv, waitFor, type RunningNode } from "../../../scripts/lab/lab-daemon";

const isRoot = process.getuid?.() === 0;
const OCF_AGENTS = "/usr/lib/ocf/resource.d/heartbeat";
const missingTools = ["Filesystem", "MailTo"].filter((a) => !existsSync(join(OCF_AGENTS, a))).map((a) => `${OCF_AGENTS}/${a} (resource-agents)`);
// losetup and mkfs.ext4 for the test's disk; the Filesystem agent checks for modprobe, fuser and fsck (scripts/lab/install-deps.sh).
for (const tool of ["/usr/sbin/losetup", "/usr/sbin/mkfs.ext4", "/usr/sbin/modprobe", "/usr/bin/fuser", "/usr/sbin/fsck"])
  if (!existsSync(tool)) missingTools.push(tool);
const skip = !isRoot ? "needs root for network namespaces and a loop device" : missingTools.length > 0 ? `needs ${missingTools.join(", ")}` : false;

/**
 * The stub mailer MailTo runs (`$MAILCMD -s SUBJECT ADDRESS`, body on stdin). It runs in the
 * node's own mount and network namespaces, so it records what the group looks like at that
 * moment: is the file system mounted, who signed the visitors' book on it, is the VIP here.
 * At a takeover it signs the book, so the next holder can see that the file system moved.
 */
const STUB_MAILER = `#!/bin/sh
[ "$1" = "-s" ] || { echo "stub mail: expected -s SUBJECT ADDRESS" >&2; exit 64; }
subject=$2; to=$3
cat > /dev/null
mounted=no
grep -q " $DATA_DIR ext4 " /proc/self/mounts && mounted=yes
vip=no
ip -o addr show | grep -q " $VIP/" && vip=yes
files=$(ls "$DATA_DIR" 2>/dev/null | tr '\\n' ' ')
visitors=$(cat "$DATA_DIR/visitors" 2>/dev/null | tr '\\n' ' ')
case "$subject" in *Takeover*) what=takeover ;; *Migrating*) what=migrating ;; *) what=other ;; esac
[ $mounted = yes ] && [ $what = takeover ] && echo "$HA_CURHOST" >> "$DATA_DIR/visitors"
echo "$HA_CURHOST|$to|$what|mounted=$mounted|vip=$vip|visitors=$visitors|files=$files" >> "$EVENTS"
`;

interface MailEvent {
  readonly node: string;
  readonly to: string;
  readonly what: string;
  readonly mounted: string;
  readonly vip: string;
  readonly visitors: string;
}

function mailEvents(file: string): MailEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [node, to, what, mounted, vip, visitors] = l.split("|");
      return {
        node: node!,
        to: to!,
        what: what!,
        mounted: mounted!.slice("mounted=".length),
        vip: vip!.slice("vip=".length),
        visitors: visitors!.slice("visitors=".length).trim(),
      };
    });
}

/** The log lines saying a resource of the group was started or stopped, in the order they were run. */
function operations(log: string, loop: string): string[] {
  const ops: string[] = [];
  for (const line of log.split("\n")) {
    const m = /Running (.*) (start|stop)$/.exec(line.trim());
    if (m === null) continue;
    const cmd = m[1]!;
    const what =
      cmd.includes(`${OCF_AGENTS}/Filesystem`) && cmd.includes(`OCF_RESKEY_device=${loop}`)
        ? "Filesystem"
        : cmd.includes(`${OCF_AGENTS}/MailTo`)
          ? "MailTo"
          : /IPaddr/.test(cmd)
            ? "IPaddr"
            : `other(${cmd})`;
    ops.push(`${what} ${m[2]}`);
  }
  return ops;
}

/** Is `dev` mounted on `dir` in the mount namespace of process `pid`? */
function mountedIn(pid: number, dev: string, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/mounts`, "utf8")
      .split("\n")
      .some((l) => l.startsWith(`${dev} ${dir} ext4 `));
  } catch {
    return false;
  }
}

describe("classic resource names run by resource-agents, heartbeat package out of the way", { skip }, () => {
  it("IPaddr, Filesystem on a loop device and MailTo: acquired in order, failed over when the holder dies, released in reverse order", async () => {
    const work = mkdtempSync(join(tmpdir(), "tb-e2e-classic-"));
    let loop: string | undefined;
    try {
      const image = join(work, "shared-disk.img");
      execFileSync("truncate", ["-s", "16M", image]);
      execFileSync("/usr/sbin/mkfs.ext4", ["-q", "-F", image], { stdio: "pipe" });
      loop = execFileSync("/usr/sbin/losetup", ["--find", "--show", image], { encoding: "utf8" }).trim();
      assert.match(loop, /^\/dev\/loop\d+$/);
      const dataDir = join(work, "data");
      mkdirSync(dataDir);
      const events = join(work, "mail-events");
      const mailer = join(work, "stub-mail");
      writeFileSync(mailer, STUB_MAILER);
      chmodSync(mailer, 0o755);

      await NetnsLab.withLab(
        async (lab) => {
          const pair = await setUpSeedPair(lab, work, { autoFailback: "off" });
          const group = `IPaddr::${pair.vip}/32 Filesystem::${loop}::${dataDir}::ext4 MailTo::root`;
          for (const key of ["srv5", "srv6"] as const) {
            const dir = pair.cfg.dirs[key];
            writeFileSync(join(dir, "haresources"), `${pair.cfg.nodeNames.srv5} ${group}\n`);
            // Heartbeat's wrappers live in /etc/ha.d/resource.d; this config dir's resource.d
            // has only the lab's httpd, so nothing but Twinbeat's mapping can run the classic names.
            assert.deepEqual(
              readdirSync(join(dir, "resource.d")).filter((f) => f === "Filesystem" || f === "MailTo"),
              [],
            );
          }

          // twinbeat check says what will run each resource.
          const check = await lab.exec("srv5", [...twinbeatArgv(), "check", "--config-dir", pair.cfg.dirs.srv5, "--node-name", pair.cfg.nodeNames.srv5]);
          assert.equal(check.code, 0, check.stdout + check.stderr);
          assert.match(
            check.stdout,
            new RegExp(
              `note: Filesystem::${loop}::${dataDir}::ext4: classic name Filesystem → OCF agent ${OCF_AGENTS}/Filesystem \\(instance Filesystem_${loop}, device=${loop} directory=${dataDir} fstype=ext4\\)`,
            ),
          );
          assert.match(check.stdout, new RegExp(`note: MailTo::root: classic name MailTo → OCF agent ${OCF_AGENTS}/MailTo \\(instance MailTo, email=root\\)`));

          const nodes: Partial<Record<SeedNodeKey, RunningNode>> = {};
          const start = (key: SeedNodeKey): RunningNode => {
            const name = pair.cfg.nodeNames[key];
            const runDir = join(work, "run", name);
            const stateDir = join(work, "state", name);
            const rscTmp = join(work, "rsctmp", name); // the OCF agents' state files: one machine, two nodes
            for (const d of [runDir, stateDir, rscTmp]) mkdirSync(d, { recursive: true });
            const env = { ...process.env, MAILCMD: mailer, HA_RSCTMP: rscTmp, EVENTS: events, DATA_DIR: dataDir, VIP: pair.vip };
            const argv = [
              ...twinbeatArgv(),
              "heartbeat",
              "-f",
              "--config-dir",
              pair.cfg.dirs[key],
              "--state-dir",
              stateDir,
              "--run-dir",
              runDir,
              "--node-name",
              name,
            ];
            const node = { name, host: key, runDir, stateDir, proc: lab.spawn(key, argv, { stdio: "pipe", env }) };
            nodes[key] = node;
            return node;
          };
          const logs = () =>
            `--- srv5\n${nodes.srv5 ? lab.outputOf(nodes.srv5.proc).slice(-4000) : ""}\n--- srv6\n${nodes.srv6 ? lab.outputOf(nodes.srv6.proc).slice(-4000) : ""}\n--- mail\n${existsSync(events) ? readFileSync(events, "utf8") : ""}`;
          const srv5Name = pair.cfg.nodeNames.srv5;
          const srv6Name = pair.cfg.nodeNames.srv6;

          try {
            // 1. Acquired by its home node, in order.
            const srv5 = start("srv5");
            const srv6 = start("srv6");
            await waitFor("srv5 to mail its takeover", () => mailEvents(events).some((e) => e.node === srv5Name && e.what === "takeover"), 20_000);
            await waitFor(
              "both active",
              async () => (await statusSeen(srv6, srv5Name)) === "active" && (await statusSeen(srv5, srv6Name)) === "active",
              10_000,
            );
            assert.deepEqual(await vipHolders(lab, pair.vip), ["srv5"]);
            assert.ok(mountedIn(srv5.proc.pid!, loop!, dataDir), `${loop} is not mounted on ${dataDir} in srv5's daemon\n${logs()}`);
            assert.deepEqual(operations(lab.outputOf(srv5.proc), loop!), ["IPaddr start", "Filesystem start", "MailTo start"], logs());
            assert.deepEqual(operations(lab.outputOf(srv6.proc), loop!), [], logs());
            assert.deepEqual(mailEvents(events), [{ node: srv5Name, to: "root", what: "takeover", mounted: "yes", vip: "yes", visitors: "" }]);

            // 2. The holder's daemon dies (kill -9): its resource guard releases the group right to
            //    left (MailTo mails while the file system is still mounted), the peer takes over.
            process.kill(srv5.proc.pid!, "SIGKILL");
            await waitFor("srv6 to mail its takeover", () => mailEvents(events).some((e) => e.node === srv6Name && e.what === "takeover"), 15_000).catch(
              (err: Error) => assert.fail(`${err.message}\n${logs()}`),
            );
            await waitFor("srv6 alone to hold the VIP", async () => (await vipHolders(lab, pair.vip)).join() === "srv6", 5000);
            assert.ok(mountedIn(srv6.proc.pid!, loop!, dataDir), `${loop} is not mounted on ${dataDir} in srv6's daemon\n${logs()}`);
            assert.deepEqual(operations(lab.outputOf(srv6.proc), loop!), ["IPaddr start", "Filesystem start", "MailTo start"], logs());
            assert.deepEqual(
              mailEvents(events).slice(1),
              [
                // The guard releases a killed daemon's groups addresses first (the peer does not wait for it), so MailTo's stop sees no VIP.
                { node: srv5Name, to: "root", what: "migrating", mounted: "yes", vip: "no", visitors: srv5Name },
                // The same file system, moved: srv5's signature is on it.
                { node: srv6Name, to: "root", what: "takeover", mounted: "yes", vip: "yes", visitors: srv5Name },
              ],
              logs(),
            );

            // 3. Released in reverse order when srv6 stops (heartbeat -k).
            const stop = await lab.exec("srv6", [...twinbeatArgv(), "heartbeat", "-k", "--run-dir", srv6.runDir]);
            assert.equal(stop.code, 0, stop.stdout + stop.stderr);
            await lab.waitExit(srv6.proc, 15_000);
            assert.deepEqual(
              operations(lab.outputOf(srv6.proc), loop!),
              ["IPaddr start", "Filesystem start", "MailTo start", "MailTo stop", "Filesystem stop", "IPaddr stop"],
              logs(),
            );
            assert.doesNotMatch(lab.outputOf(srv6.proc), /Return code \d+ from/, logs());
            assert.deepEqual(mailEvents(events).slice(3), [
              { node: srv6Name, to: "root", what: "migrating", mounted: "yes", vip: "yes", visitors: `${srv5Name} ${srv6Name}` },
            ]);
            assert.deepEqual(await vipHolders(lab, pair.vip), []);
          } catch (err) {
            (err as Error).message += `\n${logs()}`;
            throw err;
          }
        },
        { deadlineMs: 120_000 },
      );
    } finally {
      if (loop !== undefined) {
        try {
          execFileSync("/usr/sbin/losetup", ["--detach", loop], { stdio: "pipe" });
        } catch (err) {
          process.stderr.write(`losetup --detach ${loop}: ${(err as Error).message}\n`);
        }
      }
      rmSync(work, { recursive: true, force: true });
    }
  });
});
