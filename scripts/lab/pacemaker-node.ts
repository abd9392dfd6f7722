// A real Corosync + Pacemaker node in a lab host: its own UTS and mount namespaces, /run, /dev/shm, /etc/corosync and /var/lib/pacemaker.

import * as fs from "node:fs";
import * as path from "node:path";
import type { NetnsLab, ExecResult } from "./netns-lab";

// $1 node name, $2 per-node dir. Private tmpfs for /run and /dev/shm (libqb IPC lives there; its
// abstract sockets are per network namespace already), the node's own config and state bound over
// the host's. Prints "ready", then sleeps: the namespaces live as long as this process.
const KEEPER_SCRIPT = String.raw`
set -e
printf %s "$1" > /proc/sys/kernel/hostname
mount -t tmpfs -o mode=0755,size=64m tb-pcmk-run /run
mount -t tmpfs -o mode=1777,size=64m tb-pcmk-shm /dev/shm
mkdir -p /run/lock /run/crm /run/resource-agents
mount --bind "$2/etc-corosync" /etc/corosync
mount --bind "$2/lib-corosync" /var/lib/corosync
mount --bind "$2/lib-pacemaker" /var/lib/pacemaker
mount --bind "$2/log" /var/log
echo ready
exec sleep 2147483647
`;

export function pacemakerInstalled(): boolean {
  return fs.existsSync("/usr/sbin/corosync") && fs.existsSync("/usr/sbin/pacemakerd") && fs.existsSync("/usr/sbin/crm_mon");
}

export interface PacemakerNode {
  readonly nodeName: string;
  readonly keeperPid: number;
  readonly base: string;
  /** Starts corosync -f, then pacemakerd, inside the node. */
  start(): void;
  exec(argv: readonly string[], timeoutMs?: number): Promise<ExecResult>;
  /** SIGKILL by PID to every process of the node except the keeper; returns the pids. */
  killStack(): number[];
  /** Kills the stack and the keeper; nothing of the node is left running or mounted. */
  cleanup(): Promise<void>;
  log(): string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function mntNs(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

function live(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Live pids whose mount namespace is `ns`, except `keeper`. */
function pidsIn(ns: string, keeper: number): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => pid !== keeper && pid !== process.pid && mntNs(pid) === ns && live(pid));
}

/**
 * Prepares `<workDir>/pacemaker/<nodeName>` with `corosyncConf` and `authkey` as its
 * /etc/corosync and starts the keeper in lab host `host`.
 */
export async function setUpPacemakerNode(
  lab: NetnsLab,
  host: string,
  nodeName: string,
  workDir: string,
  files: { corosyncConf: string; authkey: Uint8Array },
): Promise<PacemakerNode> {
  const base = path.join(workDir, "pacemaker", nodeName);
  fs.rmSync(base, { recursive: true, force: true });
  for (const d of [
    "etc-corosync",
    "lib-corosync",
    "lib-pacemaker/cib",
    "lib-pacemaker/pengine",
    "lib-pacemaker/blackbox",
    "lib-pacemaker/cores",
    "log/pacemaker",
  ]) {
    fs.mkdirSync(path.join(base, d), { recursive: true });
  }
  fs.writeFileSync(path.join(base, "etc-corosync", "corosync.conf"), files.corosyncConf);
  fs.writeFileSync(path.join(base, "etc-corosync", "authkey"), files.authkey, { mode: 0o400 });
  // Pacemaker's daemons run as hacluster:haclient (Debian's package creates them).
  await lab.exec(host, ["chown", "-R", "hacluster:haclient", path.join(base, "lib-pacemaker"), path.join(base, "log", "pacemaker")]);
  const keeper = lab.spawn(host, ["unshare", "--uts", "--mount", "--propagation", "private", "--", "sh", "-c", KEEPER_SCRIPT, "keeper", nodeName, base], {
    stdio: "pipe",
  });
  const keeperPid = keeper.pid;
  if (keeperPid === undefined) throw new Error(`${host}: no keeper for ${nodeName}`);
  for (let i = 0; !/^ready$/m.test(lab.outputOf(keeper)); i++) {
    if (keeper.exitCode !== null || i > 250) throw new Error(`${host}: keeper for ${nodeName} failed: ${lab.outputOf(keeper)}`);
    await sleep(20);
  }
  for (let i = 0; i < 100 && !/sleep/.test(fs.readFileSync(`/proc/${keeperPid}/cmdline`, "utf8")); i++) await sleep(10);
  const ns = mntNs(keeperPid);
  if (ns === undefined || ns === mntNs(process.pid)) throw new Error(`${nodeName}: keeper has no mount namespace of its own`);
  const enter = (argv: readonly string[]): string[] => ["nsenter", "-t", String(keeperPid), "-u", "-m", "-n", "--", ...argv];
  const killStack = (): number[] => {
    const pids = pidsIn(ns, keeperPid);
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    return pids;
  };
  return {
    nodeName,
    keeperPid,
    base,
    start() {
      lab.spawn(host, enter(["/usr/sbin/corosync", "-f"]), { logFile: path.join(base, "corosync.out") });
      lab.spawn(host, enter(["/usr/sbin/pacemakerd"]), { logFile: path.join(base, "pacemakerd.out") });
    },
    exec(argv, timeoutMs = 20_000) {
      return lab.exec(host, enter(argv), { timeoutMs });
    },
    killStack,
    async cleanup() {
      for (let i = 0; i < 20; i++) {
        if (killStack().length === 0) break;
        await sleep(100);
      }
      try {
        process.kill(keeperPid, "SIGKILL");
      } catch {
        /* gone */
      }
      for (let i = 0; i < 50 && live(keeperPid); i++) await sleep(20);
    },
    log() {
      const read = (f: string): string => {
        try {
          return fs.readFileSync(f, "utf8");
        } catch {
          return "";
        }
      };
      return read(path.join(base, "corosync.out")).slice(-3000) + "\n" + read(path.join(base, "log", "pacemaker", "pacemaker.log")).slice(-4000);
    },
  };
}
