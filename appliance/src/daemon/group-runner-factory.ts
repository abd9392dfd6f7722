// Builds the resource-group runner for a config: agent registry, HA_* environment, timeouts.

import type { ClusterConfig } from "../config/cluster-config";
import type { LogLevel } from "../cluster/cluster-actions";
import { AgentRegistry, resourceEnvironment } from "../resources/agent-registry";
import { ResourceGroupRunner } from "../resources/resource-group-runner";

export function createGroupRunner(config: ClusterConfig, log: (level: LogLevel, text: string) => void, initDir = "/etc/init.d"): ResourceGroupRunner {
  const registry = createAgentRegistry(config, log, initDir);
  return new ResourceGroupRunner({ agentFor: (spec) => registry.agentFor(spec), log });
}

/**
 * The agents for a config. Resource monitoring makes its own, with the check's timeout and
 * extra variables such as OCF_CHECK_LEVEL.
 */
export function createAgentRegistry(
  config: ClusterConfig,
  log: (level: LogLevel, text: string) => void,
  initDir = "/etc/init.d",
  overrides: { readonly timeoutMs?: number; readonly extraEnv?: Readonly<Record<string, string>> } = {},
): AgentRegistry {
  const ha = config.ha;
  return new AgentRegistry({
    configDir: config.configDir,
    initDir,
    timeoutMs: overrides.timeoutMs ?? config.twinbeat.resourceTimeoutMs,
    env: {
      ...resourceEnvironment({
        localNode: config.localNode,
        configDir: config.configDir,
        ...(ha.logfile ? { logfile: ha.logfile } : {}),
        ...(ha.debugfile ? { debugfile: ha.debugfile } : {}),
        ...(ha.logfacility ? { logfacility: ha.logfacility } : {}),
        debugLevel: ha.debugLevel,
      }),
      ...overrides.extraEnv,
    },
    log,
  });
}
