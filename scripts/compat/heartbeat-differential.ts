// Differential harness: runs each configuration set through the real Heartbeat 3.0.6 (isolated namespaces) and `twinbeat check`, and compares.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** Debian's Heartbeat daemon and its /etc/ha.d (harc, rc.d, resource.d, shellfuncs). */
const HEARTBEAT_BIN = "/usr/libexec/heartbeat/heartbeat";
const DEBIAN_HA_D = "/etc/ha.d";
const DEBIAN_IPFAIL = "/usr/libexec/heartbeat/ipfail";
/** The authkeys given to a set that has none (the file is about ha.cf and haresources then). */
const DEFAULT_AUTHKEYS = "auth 1\n1 sha1 compat-harness\n";
/** How long one Heartbeat start may take before the harness gives up on it. */
const HEARTBEAT_TIMEOUT_MS = 20_000;
/** Interface names Linux can create (IFNAMSIZ - 1, no "/", ":" or blanks). */
const CREATABLE_IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

export type Verdict = "accepted" | "refused" | "unknown";

/** What the harness found for one configuration set. */
export interface SetResult {
  readonly name: string;
  readonly origin: string;
  readonly nodeName: string;
  /** What the harness changed about the machine so that only the file is judged (stand-ins). */
  readonly machineFixes: readonly string[];
  readonly heartbeat: {
    readonly verdict: Verdict;
    readonly errors: readonly string[];
    readonly autoFailback?: string;
    readonly media: readonly string[];
    readonly pingNodes?: number;
  };
  readonly twinbeat: {
    readonly verdict: Verdict;
    readonly errors: readonly string[];
    readonly autoFailback?: string;
    readonly media: readonly string[];
    readonly pingNodes: number;
  };
  /** `twinbeat check --for-another-machine` on the host (no stand-ins): the file judged for another machine. */
  readonly forAnotherMachine: Verdict;
  /** Heartbeat's resource.d wrappers' reading of each IP resource, next to Twinbeat's. */
  readonly ipResources: ReadonlyArray<{ readonly token: string; readonly heartbeat: string; readonly twinbeat?: string }>;
  /** agree | deliberate: <why> | disagree: <why> */
  readonly outcome: string;
  readonly semanticsNotes: readonly string[];
}

/** A set's directory: ha.cf (required), haresources, authkeys, ORIGIN (where it comes from), node (which node to be). */
interface ConfigSet {
  readonly name: string;
  readonly dir: string;
  readonly haCf: Buffer;
  readonly haresources: Buffer;
  readonly authkeys: Buffer;
  readonly origin: string;
  readonly nodeName: string;
}

// ---------------------------------------------------------------------------------------
// Reading a set (an independent, simple reading: the harness must not share Twinbeat's parser)
// ---------------------------------------------------------------------------------------

interface HaCfFacts {
  readonly nodes: string[];
  readonly devs: string[];
  readonly hosts: string[];
  readonly respawnPrograms: string[];
  pacemaker: boolean;
  serial: boolean;
  readonly ttys: string[];
}

function haCfFacts(text: string): HaCfFacts {
  const facts: HaCfFacts = { nodes: [], devs: [], hosts: [], respawnPrograms: [], pacemaker: false, serial: false, ttys: [] };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").replace(/\r.*/, "").trim();
    const [directive, ...words] = line.split(/[ \t]+/);
    const values = line
      .split(/[ \t,]+/)
      .slice(1)
      .filter((w) => w !== "");
    switch (directive) {
      case "node":
        facts.nodes.push(...values);
        break;
      case "bcast":
      case "udp":
        facts.devs.push(...values);
        break;
      case "ucast":
      case "mcast":
        if (words[0] !== undefined) facts.devs.push(words[0]);
        if (directive === "ucast" && words[1] !== undefined) facts.hosts.push(words[1]);
        break;
      case "ping":
        facts.hosts.push(...values);
        break;
      case "ping_group":
        facts.hosts.push(...words.slice(1));
        break;
      case "respawn":
        if (words[1] !== undefined) facts.respawnPrograms.push(words[1]);
        break;
      case "crm":
      case "pacemaker":
        facts.pacemaker = !/^(off|no|false|n|0)$/i.test(values[0] ?? "off");
        break;
      case "serial":
        facts.serial = true;
        facts.ttys.push(...values);
        break;
    }
  }
  return facts;
}

/** Every IP-agent token of haresources (IPaddr::, IPaddr2::, bare IPv4), as Heartbeat's ResourceManager splits lines. */
function ipResourceTokens(text: string): Array<{ agent: "IPaddr" | "IPaddr2"; token: string; arg: string }> {
  const joined = text.replace(/\\\n/g, "");
  const out: Array<{ agent: "IPaddr" | "IPaddr2"; token: string; arg: string }> = [];
  for (const raw of joined.split("\n")) {
    const words = raw
      .replace(/#.*/, "")
      .replace(/\r$/, "")
      .trim()
      .split(/[ \t]+/)
      .slice(1);
    for (const w of words) {
      const m = /^(IPaddr2?)::(.*)$/.exec(w);
      if (m) out.push({ agent: m[1] as "IPaddr" | "IPaddr2", token: w, arg: m[2]!.split("::")[0]! });
      else if (/^[0-9].*\.[0-9].*\.[0-9].*\.[0-9]/.test(w)) out.push({ agent: "IPaddr", token: w, arg: w });
    }
  }
  return out;
}

/**
 * Script resources of haresources (`name` or `name::args`), not IP addresses, OCF names or the
 * built-in IP agents: those a machine has or lacks (an init script comes with its package).
 */
function scriptResourceNames(text: string): string[] {
  const joined = text.replace(/\\\n/g, "");
  const out = new Set<string>();
  for (const raw of joined.split("\n")) {
    const words = raw
      .replace(/#.*/, "")
      .replace(/\r$/, "")
      .trim()
      .split(/[ \t]+/)
      .slice(1);
    for (const w of words) {
      const name = w.split("::")[0]!;
      if (name === "" || /^[0-9]/.test(name) || /^(IPaddr2?|IPv6addr|OCF)$/.test(name) || /^ocf:/i.test(name) || name.includes("/") || name.includes(":"))
        continue;
      out.add(name);
    }
  }
  return [...out];
}

function readSet(dir: string): ConfigSet {
  const read = (name: string, fallback: string): Buffer => {
    const file = path.join(dir, name);
    return fs.existsSync(file) ? fs.readFileSync(file) : Buffer.from(fallback);
  };
  const haCf = read("ha.cf", "");
  const nodeFile = path.join(dir, "node");
  const nodeName = fs.existsSync(nodeFile) ? fs.readFileSync(nodeFile, "utf8").trim() : (haCfFacts(haCf.toString("latin1")).nodes[0] ?? "node1");
  return {
    name: path.basename(dir),
    dir,
    haCf,
    haresources: read("haresources", ""),
    authkeys: read("authkeys", DEFAULT_AUTHKEYS),
    origin: fs.existsSync(path.join(dir, "ORIGIN")) ? fs.readFileSync(path.join(dir, "ORIGIN"), "utf8").split("\n")[0]!.trim() : "",
    nodeName,
  };
}

// ---------------------------------------------------------------------------------------
// One run in private namespaces
// ---------------------------------------------------------------------------------------

/**
 * The script run as PID 1 of new mount, UTS, network and PID namespaces ($1 = work dir).
 * Nothing leaves: the network namespace has only loopback and veth pairs whose both ends are
 * inside it, /dev is the namespace's own (serial ports are pseudo-terminals, syslog() goes to a
 * syslogd of the namespace). It starts `heartbeat -d -f`, waits until Heartbeat has refused or brought its
 * media up, kills it, reads each IP resource through Heartbeat's own resource.d wrapper (with a
 * stand-in OCF agent that only reports the parameters it was given), then runs `twinbeat check`.
 */
const INNER_SCRIPT = String.raw`
w=$1
mount -t proc proc /proc || exit 90
printf %s "$(cat $w/nodename)" > /proc/sys/kernel/hostname || exit 94
mount -t tmpfs -o mode=0755,size=32m tb-compat-run /run || exit 91
mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm /run/lock/subsys /run/resource-agents
chown hacluster:haclient /run/heartbeat /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm 2>/dev/null
mount --bind $w/etc /etc/ha.d && mount --bind $w/lib /var/lib/heartbeat && mount --bind $w/log /var/log || exit 92
mount --bind $w/hosts /etc/hosts || exit 93
# A /dev of our own, so that syslog() lands in a syslogd of the namespace (files that log to syslog only).
mkdir -p /run/hostdev && mount --bind /dev /run/hostdev && mount -t tmpfs -o mode=0755,size=1m tb-compat-dev /dev || exit 95
for n in null zero full random urandom tty; do
  touch /dev/$n && mount --bind /run/hostdev/$n /dev/$n
done
# Serial links get a pseudo-terminal of the namespace's own (never the machine's real port).
mkdir -p /dev/pts && mount -t devpts -o newinstance,ptmxmode=0666 tb-compat-pts /dev/pts && ln -s pts/ptmx /dev/ptmx
k=0
for tty in $(cat $w/ttys); do
  k=$((k+1))
  python3 -c 'import os,pty,time; m,s=pty.openpty(); print(os.ttyname(s), flush=True); time.sleep(3600)' > $w/pty.$k 2>&1 &
  for t in 1 2 3 4 5 6 7 8 9 10; do [ -s $w/pty.$k ] && break; sleep 0.1; done
  mkdir -p "$(dirname "$tty")" && touch "$tty" && mount --bind "$(cat $w/pty.$k)" "$tty" || echo "cannot stand in for serial port $tty" >> $w/setup-errors
done
ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
mkdir -p /dev/shm && mount -t tmpfs -o size=8m tb-compat-shm /dev/shm
busybox syslogd -n -O /var/log/syslog &
sleep 0.2
ip link set lo up
i=0
for dev in $(cat $w/devs); do
  i=$((i+1))
  ip link add "$dev" type veth peer name "tbpeer$i" && ip addr add "198.51.100.$((10+i))/24" dev "$dev" && ip link set "$dev" up && ip link set "tbpeer$i" up || echo "cannot create interface $dev" >> $w/setup-errors
done
if [ -s $w/standins ]; then
  mkdir -p /run/ov/usr /run/ov/work
  mount -t overlay tb-compat-usr -o lowerdir=/usr,upperdir=/run/ov/usr,workdir=/run/ov/work /usr || echo "cannot overlay /usr" >> $w/setup-errors
  while read -r target source; do
    mkdir -p "$(dirname "$target")" && ln -sf "$source" "$target" || echo "cannot stand in for $target" >> $w/setup-errors
  done < $w/standins
fi
# A logging daemon of the namespace's own: files without log lines make Heartbeat log through logd.
printf 'debugfile /var/log/logd-debug\nlogfile /var/log/logd-log\nlogfacility none\nentity logd\n' > /run/logd.cf
/usr/lib/heartbeat/ha_logd -c /run/logd.cf -d > $w/logd.out 2>&1
/usr/libexec/heartbeat/heartbeat -d -f > $w/heartbeat.out 2>&1 &
hb=$!
# Up means "Local status now set to", written once every medium and ping node has started. A file
# whose media start but that never gets that far counts as up once its log has been quiet for 1 s
# after a medium started: the first medium's line alone comes before the others' (a race on a slow machine).
n=0; quiet=0; last=-1
while [ $n -lt $(( $2 / 100 )) ]; do
  kill -0 $hb 2>/dev/null || break
  cat $w/log/* $w/heartbeat.out 2>/dev/null | grep -q "Local status now set to" && break
  size=$(cat $w/log/* $w/heartbeat.out 2>/dev/null | wc -c)
  if cat $w/log/* $w/heartbeat.out 2>/dev/null | grep -Eq "heartbeat started|ucast: started|Starting serial heartbeat"; then
    if [ "$size" = "$last" ]; then quiet=$((quiet+1)); else quiet=0; fi
    [ $quiet -ge 10 ] && break
  fi
  last=$size
  sleep 0.1; n=$((n+1))
done
if kill -0 $hb 2>/dev/null; then
  cat $w/log/* $w/heartbeat.out 2>/dev/null | grep -Eq "Local status now set to|heartbeat started|ucast: started|Starting serial heartbeat" && echo up > $w/heartbeat.state || echo timeout > $w/heartbeat.state
else
  wait $hb; echo "exit $?" > $w/heartbeat.state
fi
kill -9 -1 2>/dev/null; sleep 0.2
# Heartbeat's own reading of each IP resource argument (resource.d/IPaddr and IPaddr2 wrappers).
for agent in IPaddr IPaddr2; do
  mount --bind $w/ocf-stub /usr/lib/ocf/resource.d/heartbeat/$agent 2>/dev/null
done
while read -r agent arg; do
  printf '%s %s => ' "$agent" "$arg" >> $w/ipres
  /etc/ha.d/resource.d/$agent "$arg" status 2>/dev/null | grep '^STUB' | tr '\n' ' ' >> $w/ipres
  echo >> $w/ipres
done < $w/ipargs
node "$3" check --config-dir /etc/ha.d --explain=json > $w/twinbeat.json 2> $w/twinbeat.err
echo $? > $w/twinbeat.rc
`;

/** The stand-in OCF agent: prints what the wrapper passed and says "not running". */
const OCF_STUB = `#!/bin/sh
echo "STUB ip=$OCF_RESKEY_ip mask=$OCF_RESKEY_cidr_netmask nic=$OCF_RESKEY_nic broadcast=$OCF_RESKEY_broadcast"
exit 7
`;

function mainJs(): string {
  return path.resolve(__dirname, "../../appliance/src/main.js");
}

async function runSet(set: ConfigSet, work: string): Promise<SetResult> {
  const w = path.join(work, set.name);
  fs.rmSync(w, { recursive: true, force: true });
  for (const d of ["etc", "lib/cores/root", "lib/cores/nobody", "lib/cores/hacluster", "lib/ccm", "lib/crm", "log"])
    fs.mkdirSync(path.join(w, d), { recursive: true });
  fs.cpSync(DEBIAN_HA_D, path.join(w, "etc"), { recursive: true, dereference: true });
  for (const f of ["ha.cf", "haresources", "authkeys", "nodeinfo"]) fs.rmSync(path.join(w, "etc", f), { force: true });
  fs.writeFileSync(path.join(w, "etc", "ha.cf"), set.haCf, { mode: 0o644 });
  fs.writeFileSync(path.join(w, "etc", "haresources"), set.haresources, { mode: 0o644 });
  fs.writeFileSync(path.join(w, "etc", "authkeys"), set.authkeys, { mode: 0o600 });
  fs.chmodSync(path.join(w, "etc", "authkeys"), 0o600);
  fs.writeFileSync(path.join(w, "nodename"), set.nodeName + "\n");
  fs.writeFileSync(path.join(w, "ocf-stub"), OCF_STUB, { mode: 0o755 });

  const facts = haCfFacts(set.haCf.toString("latin1"));
  const fixes: string[] = [];
  // Interfaces named in the media: veth pairs inside the namespace (a machine has its own interfaces).
  const devs = [...new Set(facts.devs.map((d) => d.split(":")[0]!))].filter((d) => CREATABLE_IFNAME.test(d) && d !== "lo");
  fs.writeFileSync(path.join(w, "devs"), devs.join("\n") + "\n");
  if (devs.length > 0) fixes.push(`interfaces ${devs.join(", ")} created`);
  // Host names of ucast peers and ping nodes: resolved by a stand-in /etc/hosts (documentation addresses).
  const names = [...new Set(facts.hosts.filter((h) => net.isIP(h) === 0 && /^[A-Za-z0-9.-]+$/.test(h)))];
  const hosts = ["127.0.0.1 localhost", `127.0.1.1 ${set.nodeName}`, ...names.map((h, i) => `203.0.113.${10 + i} ${h}`)];
  fs.writeFileSync(path.join(w, "hosts"), hosts.join("\n") + "\n");
  if (names.length > 0) fixes.push(`host names ${names.join(", ")} resolved by a stand-in /etc/hosts`);
  // Respawn programs that this machine lacks: Debian keeps ipfail elsewhere; others get a stub.
  const standins: string[] = [];
  for (const program of facts.respawnPrograms) {
    if (!program.startsWith("/usr/") || fs.existsSync(program)) continue;
    const source = path.basename(program) === "ipfail" ? DEBIAN_IPFAIL : "/bin/true";
    standins.push(`${program} ${source}`);
    fixes.push(`${program} missing here: stood in by ${source}`);
  }
  fs.writeFileSync(path.join(w, "standins"), standins.join("\n") + (standins.length > 0 ? "\n" : ""));
  // Resource scripts this machine lacks (an init script comes with its package; Heartbeat does not
  // look for them at start, \`twinbeat check\` does): a stub in the set's resource.d stands in.
  const stubbed: string[] = [];
  for (const name of scriptResourceNames(set.haresources.toString("latin1"))) {
    if (fs.existsSync(path.join(w, "etc", "resource.d", name)) || fs.existsSync(path.join("/etc/init.d", name))) continue;
    fs.mkdirSync(path.join(w, "etc", "resource.d"), { recursive: true });
    fs.writeFileSync(path.join(w, "etc", "resource.d", name), "#!/bin/sh\n# stand-in written by the differential harness\nexit 0\n", { mode: 0o755 });
    stubbed.push(name);
  }
  if (stubbed.length > 0) fixes.push(`resource scripts ${stubbed.join(", ")} missing here: stood in by stubs in resource.d`);
  // Serial ports: a pseudo-terminal in the namespace stands in for each one.
  const ttys = facts.ttys.filter((t) => /^\/dev\/[A-Za-z0-9_/-]+$/.test(t));
  fs.writeFileSync(path.join(w, "ttys"), ttys.join("\n") + "\n");
  if (ttys.length > 0) fixes.push(`serial ports ${ttys.join(", ")} stood in by pseudo-terminals`);
  const ipTokens = ipResourceTokens(set.haresources.toString("latin1"));
  fs.writeFileSync(path.join(w, "ipargs"), ipTokens.map((t) => `${t.agent} ${t.arg}`).join("\n") + (ipTokens.length > 0 ? "\n" : ""));

  await runInNamespaces(w);

  const log = heartbeatLog(w);
  const state = readText(path.join(w, "heartbeat.state")).trim();
  for (const e of readText(path.join(w, "setup-errors"))
    .split("\n")
    .filter((l) => l !== ""))
    fixes.push(`setup problem: ${e}`);
  const hbErrors = log
    .split("\n")
    .filter(
      (l) =>
        / (ERROR|CRIT): /.test(l) &&
        !/Cannot lock ourselves into memory|Error sending packet|write_child: write failure|nice_failback|Consider converting|When you do|See documentation|Configuration error, heartbeat not started|Heartbeat not started: configuration error/.test(
          l,
        ),
    )
    .map((l) => l.replace(/^.*?(ERROR|CRIT): /, ""));
  // A refusal is an exit; a Heartbeat still running after its configuration was validated has accepted
  // the file even when a busy machine's logd has not written the media lines yet.
  const stillRunning = state === "timeout" && /Configuration validated/.test(log);
  let hbVerdict: Verdict = state === "up" || stillRunning ? "accepted" : state.startsWith("exit") ? "refused" : "unknown";
  // Pacemaker 1.x daemons (cib, crmd...) are not installed here: a refusal for that alone is the machine's.
  const pacemakerMissing = (e: string): boolean => /Failed to add pacemaker client child/.test(e);
  if (facts.pacemaker && hbErrors.some(pacemakerMissing)) {
    fixes.push("Pacemaker 1.x daemons are not installed here (judged as if they were)");
    if (hbVerdict === "refused" && hbErrors.every(pacemakerMissing)) hbVerdict = "accepted";
  }

  const tbJsonText = readText(path.join(w, "twinbeat.json")).trim();
  const tbRc = readText(path.join(w, "twinbeat.rc")).trim();
  const tbErr = readText(path.join(w, "twinbeat.err"));
  const tbErrors = tbErr
    .split("\n")
    .filter((l) => /^\S+?(:\d+)?: (?!warning: |note: )/.test(l) && !/: (valid|not valid) for node/.test(l))
    .map((l) => l.replace(/^\/etc\/ha\.d\//, ""));
  const tbVerdict: Verdict = tbRc === "0" ? "accepted" : tbRc === "1" ? "refused" : "unknown";
  let explained: { autoFailback?: string; media?: string[]; pingNodes?: string[]; groups?: Array<{ resources: string[] }> } = {};
  try {
    explained = tbJsonText === "" ? {} : (JSON.parse(tbJsonText) as typeof explained);
  } catch {
    explained = {};
  }

  const hostIp = new Map(names.map((h, i) => [h, `203.0.113.${10 + i}`]));
  const hbMedia = heartbeatMedia(log);
  const tbMedia = (explained.media ?? []).map((m) => m.replace(/ to (\S+) /, (_all, peer: string) => ` to ${hostIp.get(peer) ?? peer} `));
  const hbResult = { verdict: hbVerdict, errors: hbErrors, autoFailback: heartbeatAutoFailback(log), media: hbMedia, pingNodes: heartbeatPingNodes(log) };
  const tbResult = { verdict: tbVerdict, errors: tbErrors, autoFailback: explained.autoFailback, media: tbMedia, pingNodes: explained.pingNodes?.length ?? 0 };

  // Heartbeat's reading of the IP resources next to Twinbeat's.
  const hbIp = readText(path.join(w, "ipres"))
    .split("\n")
    .filter((l) => l.trim() !== "");
  const tbIp = (explained.groups ?? []).flatMap((g) => g.resources).filter((r) => /^IPaddr2? /.test(r));
  const ipResources = ipTokens.map((t, i) => ({ token: t.token, heartbeat: (hbIp[i] ?? "").replace(/^.*=> /, "").trim(), twinbeat: tbIp[i] }));

  const forAnother = runCheckOnHost(w, set.nodeName);
  const { outcome, notes } = judge(set, facts, hbResult, tbResult, ipResources);
  return {
    name: set.name,
    origin: set.origin,
    nodeName: set.nodeName,
    machineFixes: fixes,
    heartbeat: hbResult,
    twinbeat: tbResult,
    forAnotherMachine: forAnother,
    ipResources,
    outcome,
    semanticsNotes: notes,
  };
}

function runInNamespaces(w: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(
      "unshare",
      [
        "--mount",
        "--uts",
        "--net",
        "--pid",
        "--fork",
        "--propagation",
        "private",
        "--kill-child",
        "--",
        "sh",
        "-c",
        INNER_SCRIPT,
        "inner",
        w,
        String(HEARTBEAT_TIMEOUT_MS),
        mainJs(),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), HEARTBEAT_TIMEOUT_MS + 30_000);
    child.on("exit", () => {
      clearTimeout(timer);
      if (stderr.trim() !== "") fs.appendFileSync(path.join(w, "setup-errors"), stderr);
      resolve();
    });
  });
}

/** `twinbeat check --for-another-machine` on the host, on the same files, without any stand-in. */
function runCheckOnHost(w: string, nodeName: string): Verdict {
  const r = spawnSync("node", [mainJs(), "check", "--config-dir", path.join(w, "etc"), "--node-name", nodeName, "--for-another-machine"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return r.status === 0 ? "accepted" : r.status === 1 ? "refused" : "unknown";
}

/** Everything Heartbeat logged: its stderr (-f) and whatever files it wrote under /var/log, de-duplicated. */
function heartbeatLog(w: string): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  const logDir = path.join(w, "log");
  const files = [path.join(w, "heartbeat.out"), ...(fs.existsSync(logDir) ? fs.readdirSync(logDir).map((f) => path.join(logDir, f)) : [])];
  for (const file of files) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) continue;
    for (const line of readText(file).split("\n")) {
      const key = line.replace(/^.*?heartbeat: \[\d+\]: /, "");
      if (line.trim() !== "" && !seen.has(key)) {
        seen.add(key);
        lines.push(line);
      }
    }
  }
  return lines.join("\n");
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** The media Heartbeat opened, from its log, in Twinbeat's --explain wording. */
export function heartbeatMedia(log: string): string[] {
  const out: string[] = [];
  for (const line of log.split("\n")) {
    let m = /UDP Broadcast heartbeat started on port (\d+) \(\d+\) interface (\S+)/.exec(line);
    if (m) out.push(`bcast ${m[2]} port ${m[1]}`);
    m = /ucast: started on port (\d+) interface (\S+) to (\S+)/.exec(line);
    if (m) out.push(`ucast ${m[2]} to ${m[3]} port ${m[1]}`);
    m = /UDP multicast heartbeat started for group (\S+) port (\d+) interface (\S+) \(ttl=(\d+) loop=(\d+)\)/.exec(line);
    if (m) out.push(`mcast ${m[3]} group ${m[1]} port ${m[2]} ttl ${m[4]} loop ${m[5]}`);
  }
  return out;
}

/**
 * Heartbeat's auto_failback after reading ha.cf, replayed from its own debug log: every
 * `add_option(auto_failback,X)` sets X, and set_nice_failback says what it turned a
 * nice_failback line into. Undefined when the log does not show the configuration being read.
 */
export function heartbeatAutoFailback(log: string): string | undefined {
  if (!replayable(log)) return undefined;
  let mode = "legacy";
  for (const line of log.split("\n")) {
    let m = /add_option\(auto_failback,([^)]*)\)/.exec(line);
    if (m) {
      const v = m[1]!.trim().toLowerCase();
      mode = /^(on|yes|true|y|1)$/.test(v) ? "on" : /^(off|no|false|n|0)$/.test(v) ? "off" : v === "legacy" ? "legacy" : mode;
    }
    m = /has been changed to 'auto_failback off'/.exec(line);
    if (m) mode = "off";
    if (/has been strictly interpreted as 'auto_failback legacy'/.test(line)) mode = "legacy";
  }
  return mode;
}

/** Ping nodes Heartbeat made: one per `add_option(ping,HOST)` in its -d log, plus the ping groups it started. */
function heartbeatPingNodes(log: string): number | undefined {
  if (!replayable(log)) return undefined;
  const pings = new Set(log.match(/add_option\(ping,[^)]*\)/g) ?? []).size;
  return pings + (log.match(/ping group heartbeat started/g) ?? []).length;
}

/** The -d log shows every directive only until a `debug 0` line turns debugging off. */
function replayable(log: string): boolean {
  return /add_option\(/.test(log) && !/add_option\(debug,0\)/.test(log);
}

/** Whether Heartbeat's reading of an IP argument is one its IPaddr agents can use. */
function heartbeatIpValid(reading: string): boolean {
  const f = Object.fromEntries(
    reading
      .replace(/^STUB /, "")
      .split(" ")
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  const mask = f["mask"] ?? "";
  const maskOk = mask === "" || (/^\d+$/.test(mask) && Number(mask) <= 32) || net.isIPv4(mask);
  return net.isIPv4(f["ip"] ?? "") && maskOk && (f["broadcast"] === "" || f["broadcast"] === undefined || net.isIPv4(f["broadcast"]!));
}

/** The deliberate differences, as written in README.md's configuration reference. */
function judge(
  set: ConfigSet,
  facts: HaCfFacts,
  hb: SetResult["heartbeat"],
  tb: SetResult["twinbeat"],
  ips: SetResult["ipResources"],
): { outcome: string; notes: string[] } {
  const notes: string[] = [];
  if (hb.verdict === "unknown" || tb.verdict === "unknown") return { outcome: `disagree: no verdict (Heartbeat ${hb.verdict}, Twinbeat ${tb.verdict})`, notes };
  if (hb.verdict !== tb.verdict) {
    if (tb.verdict === "refused" && facts.pacemaker && tb.errors.every((e) => /Pacemaker|pacemaker line|autojoin|no nodes: add a node line/.test(e))) {
      return { outcome: "deliberate: crm/Pacemaker mode (README: Twinbeat runs haresources only)", notes };
    }
    if (tb.verdict === "refused" && facts.serial && tb.errors.every((e) => /no heartbeat media/.test(e))) {
      return { outcome: "deliberate: serial-only media (README: no serial links)", notes };
    }
    const resourceOnly = tb.errors.every((e) => /^haresources:\d+: resource "/.test(e));
    if (hb.verdict === "accepted" && resourceOnly && ips.every((r) => r.twinbeat !== undefined || !heartbeatIpValid(r.heartbeat))) {
      return { outcome: "deliberate: a resource Heartbeat only fails at takeover (README: Twinbeat checks resources at start)", notes };
    }
    return { outcome: `disagree: Heartbeat ${hb.verdict}, Twinbeat ${tb.verdict}`, notes };
  }
  if (hb.verdict === "refused") return { outcome: "agree", notes };
  // Both accepted: compare what each will do.
  if (hb.autoFailback !== undefined && hb.autoFailback !== tb.autoFailback)
    notes.push(`auto_failback: Heartbeat ${hb.autoFailback}, Twinbeat ${tb.autoFailback}`);
  const sort = (a: readonly string[]): string => [...a].sort().join("; ");
  // Heartbeat logs the media through logd or syslog; a busy machine may not have written them yet.
  if (hb.media.length > 0 && sort(hb.media) !== sort(tb.media)) notes.push(`media: Heartbeat [${sort(hb.media)}], Twinbeat [${sort(tb.media)}]`);
  if (hb.pingNodes !== undefined && hb.pingNodes !== tb.pingNodes) notes.push(`ping nodes: Heartbeat ${hb.pingNodes}, Twinbeat ${tb.pingNodes}`);
  for (const r of ips) {
    const want = ipReadingAsTwinbeat(r.heartbeat);
    const got = r.twinbeat?.replace(/^\S+ /, "").replace(" that holds its network", "");
    if (got !== undefined && want !== undefined && got !== want) notes.push(`${r.token}: Heartbeat reads ${want}, Twinbeat ${r.twinbeat}`);
  }
  void set;
  return { outcome: notes.length === 0 ? "agree" : `disagree: semantics (${notes.join("; ")})`, notes };
}

/** Heartbeat's wrapper reading in --explain's words: `IPaddr 10.0.30.15/8 on eth0:10`. */
function ipReadingAsTwinbeat(reading: string): string | undefined {
  const m = /ip=(\S*) mask=(\S*) nic=(\S*) broadcast=(\S*)/.exec(reading);
  if (!m) return undefined;
  const [, ip, mask, nic, broadcast] = m;
  return `${ip}${mask ? "/" + mask : ""} ${nic ? `on ${nic}` : "on the interface"}${broadcast ? ` broadcast ${broadcast}` : ""}`;
}

// ---------------------------------------------------------------------------------------
// The whole corpus
// ---------------------------------------------------------------------------------------

/** Runs every set under `corpusDir` (a few at a time) and returns the results in name order. */
export async function runCorpus(corpusDir: string, opts: { readonly parallel?: number; readonly only?: readonly string[] } = {}): Promise<SetResult[]> {
  const dirs = fs
    .readdirSync(corpusDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(corpusDir, d.name, "ha.cf")))
    .map((d) => d.name)
    .filter((n) => opts.only === undefined || opts.only.length === 0 || opts.only.includes(n))
    .sort();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tb-compat-"));
  const results: SetResult[] = [];
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < dirs.length) {
        const name = dirs[next++]!;
        const set = readSet(path.join(corpusDir, name));
        const first = await runSet(set, work);
        if (!first.outcome.startsWith("disagree")) {
          results.push(first);
          continue;
        }
        // Heartbeat's side depends on how fast a loaded machine lets it start and log (ha_logd
        // writes behind it); `twinbeat check` does not. A disagreement is judged on a second run,
        // and the first one's outcome stays in the report, so a real one shows twice.
        const second = await runSet(set, work);
        results.push({ ...second, machineFixes: [...second.machineFixes, `run twice: the first run said "${first.outcome}"`] });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.parallel ?? 3) }, worker));
  } finally {
    if (process.env["TWINBEAT_COMPAT_KEEP"] !== "1") fs.rmSync(work, { recursive: true, force: true });
    else process.stderr.write(`work files kept in ${work}\n`);
  }
  return results.sort((a, b) => a.name.localeCompare(b.name));
}

/** The table of verdicts, then every disagreement and every machine stand-in. */
export function formatReport(results: readonly SetResult[]): string {
  const rows = results.map((r) => [r.name, r.heartbeat.verdict, r.twinbeat.verdict, r.forAnotherMachine, r.outcome.split(":")[0]!]);
  const head = ["set", "Heartbeat 3.0.6", "twinbeat check", "--for-another-machine", "outcome"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const lines = [fmt(head), fmt(widths.map((n) => "-".repeat(n))), ...rows.map(fmt), ""];
  for (const r of results) {
    const details: string[] = [];
    if (r.outcome !== "agree") details.push(`  outcome: ${r.outcome}`);
    if (r.machineFixes.length > 0) details.push(`  machine (not the file): ${r.machineFixes.join("; ")}`);
    if (r.outcome !== "agree") {
      for (const e of r.heartbeat.errors) details.push(`  Heartbeat: ${e}`);
      for (const e of r.twinbeat.errors) details.push(`  Twinbeat: ${e}`);
    }
    if (r.heartbeat.verdict === "accepted" && r.twinbeat.verdict === "accepted") {
      details.push(
        `  both run it: auto_failback ${r.twinbeat.autoFailback}; media ${r.twinbeat.media.join(", ") || "none"}; ping nodes ${r.twinbeat.pingNodes}`,
      );
    }
    for (const ip of r.ipResources)
      details.push(`  ${ip.token}: Heartbeat's wrapper reads ${ip.heartbeat || "(nothing)"}; Twinbeat: ${ip.twinbeat ?? "(refused)"}`);
    if (details.length > 0) lines.push(`${r.name} (${r.origin || "origin not recorded"}):`, ...details);
  }
  const count = (p: (r: SetResult) => boolean): number => results.filter(p).length;
  lines.push(
    "",
    `${results.length} sets: ${count((r) => r.outcome === "agree")} agree, ${count((r) => r.outcome.startsWith("deliberate"))} differ deliberately, ${count((r) => r.outcome.startsWith("disagree"))} disagree`,
  );
  return lines.join("\n");
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const positional = args.filter((a) => !a.startsWith("--"));
  const corpus = positional[0] ?? path.resolve(__dirname, "../../../scripts/compat/corpus");
  if (process.getuid?.() !== 0) {
    process.stderr.write("heartbeat-differential: needs root (namespaces, mounts)\n");
    return 2;
  }
  if (!fs.existsSync(HEARTBEAT_BIN)) {
    process.stderr.write(`heartbeat-differential: ${HEARTBEAT_BIN} is missing: run scripts/lab/install-heartbeat.sh\n`);
    return 2;
  }
  const started = Date.now();
  const results = await runCorpus(corpus, { only: positional.slice(1) });
  process.stdout.write(json ? JSON.stringify(results, null, 2) + "\n" : formatReport(results) + `\n(${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  return results.some((r) => r.outcome.startsWith("disagree")) ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`heartbeat-differential: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(2);
    },
  );
}
