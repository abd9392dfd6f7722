// A two-node cluster of real HeartbeatDaemons on fake ports: config files in a temp dir, one fake clock, one fake network.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigDir } from "../../src/config/load-config-dir";
import type { ClusterConfig } from "../../src/config/cluster-config";
import type { DaemonPorts } from "../../src/daemon/daemon-ports";
import { HeartbeatDaemon } from "../../src/daemon/heartbeat-daemon";
import { FakeClock } from "./fake-clock";
import { FakeNetwork } from "./fake-network";
import {
  FakeChildren,
  FakeConfigSource,
  FakeControlServer,
  FakeGroupRunner,
  FakeGuard,
  FakeLogger,
  FakePidFile,
  FakePinger,
  FakeMonitors,
  FakeSignals,
  FakeStateStore,
  FakeStatus,
  NodeClock,
} from "./fake-ports";

export const NODE_A = "alpha";
export const NODE_B = "beta";
/** Documentation addresses (RFC 5737): nothing is ever sent to them. */
export const ADDRESS: Record<string, string> = { [NODE_A]: "192.0.2.11", [NODE_B]: "192.0.2.12" };

/** The four files of one node's /etc/ha.d; every field can be replaced by a test. */
export interface NodeFiles {
  haCf: string;
  haresources: string;
  authkeys: string;
  twinbeatCf: string;
}

/** A fast pair: keepalive 200 ms, deadtime 1 s, one ucast link, one group homed on alpha. */
export function defaultFiles(node: string): NodeFiles {
  const peer = node === NODE_A ? NODE_B : NODE_A;
  return {
    haCf: [
      `node ${NODE_A} ${NODE_B}`,
      "keepalive 200ms",
      "warntime 500ms",
      "deadtime 1",
      "initdead 2",
      "udpport 694",
      `ucast eth1 ${ADDRESS[peer]}`,
      "auto_failback off",
      "",
    ].join("\n"),
    haresources: `${NODE_A} IPaddr::198.51.100.100/24\n`,
    authkeys: "auth 1\n1 sha1 first-secret\n",
    twinbeatCf: "",
  };
}

/** Writes `files` into `dir` (authkeys mode 600, as the daemon demands). */
export function writeFiles(dir: string, files: NodeFiles): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "ha.cf"), files.haCf);
  writeFileSync(join(dir, "haresources"), files.haresources);
  writeFileSync(join(dir, "authkeys"), files.authkeys, { mode: 0o600 });
  writeFileSync(join(dir, "twinbeat.cf"), files.twinbeatCf);
}

/** One daemon on fakes, with every fake reachable for assertions. */
export interface FakeNode {
  readonly name: string;
  readonly configDir: string;
  files: NodeFiles;
  readonly daemon: HeartbeatDaemon;
  readonly clock: NodeClock;
  readonly logger: FakeLogger;
  /** Groups running, shared by every runner the daemon builds. */
  readonly running: Set<string>;
  readonly operations: string[];
  readonly runners: FakeGroupRunner[];
  readonly pingers: FakePinger[];
  readonly guards: FakeGuard[];
  readonly statuses: FakeStatus[];
  readonly monitors: FakeMonitors[];
  readonly control: FakeControlServer;
  readonly stateStore: FakeStateStore;
  readonly pidFile: FakePidFile;
  readonly signals: FakeSignals;
  readonly children: FakeChildren;
  readonly configSource: FakeConfigSource;
  /** run()'s promise: the exit code once stopped. */
  exit: Promise<number> | undefined;
  /** Rewrites the files on disk (the daemon sees them at its next reload). */
  rewrite(change: (f: NodeFiles) => Partial<NodeFiles>): void;
}

export class FakePair {
  readonly clock = new FakeClock();
  readonly net = new FakeNetwork(this.clock);
  readonly #root = mkdtempSync(join(tmpdir(), "twinbeat-driver-"));
  readonly nodes = new Map<string, FakeNode>();

  constructor(filesFor: (node: string) => NodeFiles = defaultFiles, names: readonly string[] = [NODE_A, NODE_B]) {
    for (const name of names) this.nodes.set(name, this.#build(name, filesFor(name)));
  }

  node(name: string): FakeNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Starts the named daemons (all by default) and lets them settle. */
  async start(...names: string[]): Promise<void> {
    for (const name of names.length ? names : [...this.nodes.keys()]) {
      const n = this.node(name);
      n.exit = n.daemon.run();
    }
    await this.clock.advance(0);
  }

  /** Removes the temp dir; stops nothing (tests stop what they start). */
  cleanup(): void {
    rmSync(this.#root, { recursive: true, force: true });
  }

  #build(name: string, files: NodeFiles): FakeNode {
    const configDir = join(this.#root, name, "ha.d");
    writeFiles(configDir, files);
    const load = () => loadConfigDir(configDir, { localNode: name, initDir: join(this.#root, "init.d") });
    const first = load();
    if (!first.config) throw new Error(`test config for ${name} is not valid: ${first.diagnostics.map((d) => d.message).join("; ")}`);
    const clock = new NodeClock(this.clock);
    const logger = new FakeLogger(first.config.ha.debugLevel);
    const running = new Set<string>();
    const operations: string[] = [];
    const runners: FakeGroupRunner[] = [];
    const pingers: FakePinger[] = [];
    const guards: FakeGuard[] = [];
    const statuses: FakeStatus[] = [];
    const monitors: FakeMonitors[] = [];
    const control = new FakeControlServer();
    const stateStore = new FakeStateStore();
    const pidFile = new FakePidFile();
    const signals = new FakeSignals();
    const children = new FakeChildren();
    const configSource = new FakeConfigSource(first);
    const ports: DaemonPorts = {
      clock,
      createMedia: this.net.mediaFor(name, ADDRESS[name] ?? "192.0.2.99", (deliver) => clock.whenRunning(deliver)),
      createPinger: (spec) => {
        const p = new FakePinger(spec);
        pingers.push(p);
        return p;
      },
      createGroupRunner: (config: ClusterConfig) => {
        const r = new FakeGroupRunner(config, running, operations);
        runners.push(r);
        return r;
      },
      logger,
      createGuard: (spec) => {
        const g = new FakeGuard(spec);
        guards.push(g);
        return g;
      },
      createMonitors: (spec) => {
        const m = new FakeMonitors(spec);
        monitors.push(m);
        return m;
      },
      createStatus: (spec) => {
        const s = new FakeStatus(spec.config);
        statuses.push(s);
        return s;
      },
      startControlServer: async (_runDir, handler) => {
        control.handler = handler;
        control.closed = false;
        return control;
      },
      stateStore,
      pidFile,
      signals,
      createChildren: () => children,
      loadConfig: () => configSource.load(),
      readLoad: async () => "0.01 0.02 0.03 1/100 4242",
      wallNow: () => 1_700_000_000_000 + this.clock.now(),
      pid: name === NODE_A ? 4101 : 4102,
      makeRunDir: () => undefined,
    };
    const daemon = new HeartbeatDaemon({ config: first.config, stateDir: join(this.#root, name, "state"), runDir: join(this.#root, name, "run"), ports });
    const node: FakeNode = {
      name,
      configDir,
      files,
      daemon,
      clock,
      logger,
      running,
      operations,
      runners,
      pingers,
      guards,
      statuses,
      monitors,
      control,
      stateStore,
      pidFile,
      signals,
      children,
      configSource,
      exit: undefined,
      rewrite: (change) => {
        node.files = { ...node.files, ...change(node.files) };
        writeFiles(configDir, node.files);
        configSource.result = load();
      },
    };
    return node;
  }
}
