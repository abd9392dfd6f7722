// The resource guard: a companion process that releases the daemon's groups if the daemon dies without stopping.

import { spawn, type ChildProcess } from "node:child_process";
import type { ClusterConfig } from "../config/cluster-config";
import { HeartbeatLogger } from "../adapters/heartbeat-logger";
import { createGroupRunner } from "./group-runner-factory";

/**
 * Why it exists: when the daemon is killed (kill -9, OOM, a crash) its resources stay
 * up, while the peer, after deadtime, starts them too: two nodes answering for one
 * VIP. The guard holds the read end of a pipe from the daemon; the daemon tells it
 * which groups it holds after every change, and says `clean` before a normal exit.
 * If the pipe closes without `clean`, the daemon died: the guard stops the groups it
 * last held (right to left, like a release) well before the peer's deadtime runs
 * out, and exits. It never kills anything by name and never reboots.
 */
export class ResourceGuardLink {
  readonly #child: ChildProcess | undefined;

  constructor(argvPrefix: readonly string[], configDir: string, localNode: string, onError: (text: string) => void) {
    try {
      const child = spawn(argvPrefix[0]!, [...argvPrefix.slice(1), "resource-guard", "--config-dir", configDir, "--node-name", localNode], {
        // Its own process group: a signal to the daemon's group must not take the guard with it.
        detached: true,
        stdio: ["pipe", "ignore", "inherit"],
      });
      child.on("error", (err) => onError(`Cannot start the resource guard: ${err.message}`));
      child.stdin?.on("error", () => undefined);
      child.unref();
      this.#child = child;
    } catch (err) {
      onError(`Cannot start the resource guard: ${(err as Error).message}`);
    }
  }

  /** Tells the guard which groups are held now. */
  held(keys: readonly string[]): void {
    this.#child?.stdin?.write(`held ${JSON.stringify(keys)}\n`);
  }

  /** Normal exit: everything was released; the guard just goes away. */
  clean(): void {
    this.#child?.stdin?.end("clean\n");
  }
}

/** `twinbeat resource-guard`: reads the daemon's pipe on stdin; releases the held groups if it closes uncleanly. */
export async function runResourceGuard(config: ClusterConfig): Promise<number> {
  const ha = config.ha;
  const logger = new HeartbeatLogger({
    program: "twinbeat-guard",
    ...(ha.logfile ? { logfile: ha.logfile } : {}),
    ...(ha.debugfile ? { debugfile: ha.debugfile } : {}),
    stderr: true,
  });
  // The daemon's signals (Ctrl-C in a foreground terminal) are not for the guard: it waits for the pipe.
  process.on("SIGINT", () => undefined);
  process.on("SIGHUP", () => undefined);
  // Ready before it is needed: on the daemon's death every millisecond counts against the peer's deadtime.
  const runner = createGroupRunner(config, (level, text) => logger.log(level, text, "ResourceManager"));
  let held: string[] = [];
  let clean = false;
  let buf = "";
  process.stdin.on("data", (chunk) => {
    buf += chunk.toString("utf8");
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === "clean") clean = true;
      else if (line.startsWith("held ")) {
        try {
          held = (JSON.parse(line.slice(5)) as unknown[]).filter((k): k is string => typeof k === "string");
        } catch {
          // a torn line cannot come from a pipe write of one line; ignore it
        }
      }
    }
  });
  await new Promise<void>((resolve) => process.stdin.on("close", resolve).on("end", resolve));
  if (clean || held.length === 0) {
    await logger.close();
    return 0;
  }
  logger.log("crit", `The Twinbeat daemon on ${config.localNode} died without releasing its resources: releasing ${held.join(", ")} so that the peer alone serves them`);
  const groups = config.groups.filter((g) => held.includes(g.key)).reverse();
  let failed = 0;
  for (const g of groups) {
    const outcome = await runner.stopGroup(g);
    if (outcome.kind === "failed") {
      failed++;
      logger.log("crit", `Could not release ${g.key}: ${outcome.resource}: ${outcome.words}`);
    }
  }
  logger.log(failed ? "crit" : "info", failed ? `${failed} group(s) could not be released` : "Released every group the daemon held");
  await logger.close();
  return failed ? 1 : 0;
}
