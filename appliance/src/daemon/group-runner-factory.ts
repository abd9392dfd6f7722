// Builds the resource-group runner for a config: agent registry, HA_* environment, timeouts.

import type { ClusterConfig } from "../config/cluster-config";
import type { LogLevel } from "../cluster/cluster-actions";
import { AgentRegistry, resourceEnvironment } from "../resources/agent-registry";
import { ResourceGroupRunner } from "../resources/resource-group-runner";

export function createGroupRunner(config: ClusterConfig, log: (level: LogLevel, text: string) => void, initDir = "/etc/init.d"): ResourceGroupRunner {
  const ha = config.ha;
  const registry = new AgentRegistry({
    configDir: config.configDir,
    initDir,
    timeoutMs: config.twinbeat.resourceTimeoutMs,
    env: resourceEnvironment({
      localNode: config.localNode,
      configDir: config.configDir,
      ...(ha.logfile ? { logfile: ha.logfile } : {}),
      ...(ha.debugfile ? { debugfile: ha.debugfile } : {}),
      ...(ha.logfacility ? { logfacility: ha.logfacility } : {}),
      debugLevel: ha.debugLevel,
    }),
    log,
  });
  return new ResourceGroupRunner({ agentFor: (spec) => registry.agentFor(spec), log });
}
