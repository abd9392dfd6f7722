// The real adapters behind the driver's ports, as `heartbeat -f` uses them.

import { mkdirSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HeartbeatLogger } from "../adapters/heartbeat-logger";
import { monotonicNow } from "../adapters/monotonic-clock";
import { PingProber } from "../adapters/ping-prober";
import { RespawnSupervisor } from "../adapters/respawn-supervisor";
import { loadNodeIdentity } from "../adapters/state-store";
import { UdpMedia } from "../adapters/udp-media";
import { isBuiltinIpfail } from "../config/builtin-agents";
import type { ClusterConfig } from "../config/cluster-config";
import { loadConfigDir } from "../config/load-config-dir";
import { StatusService } from "./status-service";
import { startControlServer } from "./control-server";
import type { DaemonPorts, SignalsPort } from "./daemon-ports";
import { createAgentRegistry, createGroupRunner } from "./group-runner-factory";
import { MonitorLink } from "../monitors/monitor-link";
import { removePidFile, writePidFile } from "./pid-file";
import { ResourceGuardLink } from "./resource-guard";

export interface RealPortsOptions {
  readonly config: ClusterConfig;
  /** Log to stderr too (foreground). */
  readonly foreground: boolean;
  /** Extra debug level from `-d` flags, added to ha.cf's `debug`. */
  readonly debugBoost: number;
  /** argv prefix that runs this program (for the resource guard); undefined = no guard. */
  readonly selfCommand?: readonly string[];
  /** Where LSB init scripts are looked for [/etc/init.d]. */
  readonly initDir?: string;
}

/** Process signal handlers, all removable at exit. */
class ProcessSignals implements SignalsPort {
  readonly #installed: { signal: NodeJS.Signals; handler: () => void }[] = [];

  on(signal: NodeJS.Signals, handler: () => void): void {
    process.on(signal, handler);
    this.#installed.push({ signal, handler });
  }

  offAll(): void {
    for (const { signal, handler } of this.#installed.splice(0)) process.off(signal, handler);
  }
}

/** Builds every real adapter for a daemon on `options.config`. */
export function realPorts(options: RealPortsOptions): DaemonPorts {
  const { config } = options;
  const ha = config.ha;
  const logger = new HeartbeatLogger({
    ...(ha.logfile ? { logfile: ha.logfile } : {}),
    ...(ha.debugfile ? { debugfile: ha.debugfile } : {}),
    ...(ha.logfacility ? { logfacility: ha.logfacility } : {}),
    stderr: options.foreground,
    debugLevel: ha.debugLevel + options.debugBoost,
  });
  const selfCommand = options.selfCommand;
  return {
    clock: {
      now: monotonicNow,
      setTimer: (delayMs, fn) => {
        const t = setTimeout(fn, Math.max(0, delayMs));
        return () => clearTimeout(t);
      },
    },
    createMedia: (spec) => new UdpMedia(spec),
    // TWINBEAT_PING: another ping program (busybox's, a wrapper) for labs and the image.
    createPinger: (spec) => new PingProber({ ...spec, ...(process.env.TWINBEAT_PING ? { program: process.env.TWINBEAT_PING } : {}) }),
    createGroupRunner: (cfg, log) => createGroupRunner(cfg, log, options.initDir),
    createMonitors: (spec) =>
      new MonitorLink({
        config: spec.config,
        runner: spec.runner,
        // Status checks get their own agents: the check's timeout, and OCF_CHECK_LEVEL for a deeper monitor.
        registryFor: (timeoutMs, depth) =>
          createAgentRegistry(spec.config, spec.log, options.initDir, { timeoutMs, ...(depth > 0 ? { extraEnv: { OCF_CHECK_LEVEL: String(depth) } } : {}) }),
        onEvent: spec.onEvent,
        now: monotonicNow,
        log: spec.log,
      }),
    logger,
    ...(selfCommand ? { createGuard: (spec) => new ResourceGuardLink(selfCommand, spec) } : {}),
    createStatus: (spec) => new StatusService({ config: spec.config, snapshot: spec.snapshot, log: spec.log, monotonicNow: spec.monotonicNow }),
    startControlServer: async (runDir, handler) => {
      const server = await startControlServer(runDir, handler);
      return { close: () => new Promise<void>((r) => server.close(() => r())) };
    },
    stateStore: {
      loadIdentity: (stateDir, method) => loadNodeIdentity(stateDir, method),
      writeHostcache: (stateDir, text) => writeFile(join(stateDir, "hostcache"), text),
    },
    pidFile: { write: writePidFile, remove: removePidFile },
    signals: new ProcessSignals(),
    createChildren: (cfg, log) =>
      new RespawnSupervisor(
        cfg.ha.respawn.filter((r) => !isBuiltinIpfail(r.command)),
        log,
        process.env,
      ),
    loadConfig: () => loadConfigDir(config.configDir, { localNode: config.localNode }),
    readLoad: async () => (await readFile("/proc/loadavg", "utf8")).split("\n")[0]!.slice(0, 63) || "n/a",
    wallNow: Date.now,
    pid: process.pid,
    makeRunDir: (runDir) => mkdirSync(runDir, { recursive: true, mode: 0o755 }),
  };
}
