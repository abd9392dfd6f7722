// The seed's hot-standby pair in a lab: topology, configs (httpd added to the VIP group), daemons, and a client that samples http://VIP/.

import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { NetnsLab } from "./netns-lab";
import { buildSeedTopology, LAB_ADDR, writeSeedConfigs, type SeedConfigDirs, type SeedNodeKey } from "./seed-topology";
import { startNode, type RunningNode } from "./lab-daemon";

export const HTTPD_SCRIPT = resolve(__dirname, "../../../scripts/lab/resource.d/httpd");

export interface SeedPairOptions {
  readonly autoFailback?: "on" | "off" | "legacy";
  /** ha.cf timing overrides; default keepalive 200ms, deadtime 1, warntime 500ms, initdead 3. */
  readonly timings?: Readonly<Record<string, string>>;
  readonly nodeNames?: "short" | "fqdn";
  /** The daemons' ping program (TWINBEAT_PING), e.g. one of scripts/lab/ping-implementations.ts. */
  readonly pingProgram?: string;
  /** Lines of each node's twinbeat.cf (resource monitoring, status page…); none = no file. */
  readonly twinbeatCf?: (node: "srv5" | "srv6") => readonly string[];
}

export interface SeedPair {
  readonly lab: NetnsLab;
  readonly cfg: SeedConfigDirs;
  readonly vip: string;
  readonly work: string;
  readonly nodes: Record<SeedNodeKey, RunningNode | undefined>;
  start(node: SeedNodeKey): RunningNode;
}

/**
 * Builds the topology and writes each node's /etc/ha.d from the seed's own files
 * (addresses mapped to the documentation ranges), with the web service added to
 * the VIP's group and a page saying NodeA (srv5) or NodeB (srv6).
 */
export async function setUpSeedPair(lab: NetnsLab, work: string, options: SeedPairOptions = {}): Promise<SeedPair> {
  const naming = options.nodeNames ?? "fqdn";
  await buildSeedTopology(lab, { nodeNames: naming });
  const cfg = writeSeedConfigs(join(work, "etc"), {
    nodeNames: naming,
    haCfOverrides: {
      keepalive: "200ms",
      deadtime: "1",
      warntime: "500ms",
      initdead: "3",
      ...(options.autoFailback ? { auto_failback: options.autoFailback } : {}),
      ...(options.timings ?? {}),
    },
    ...(options.twinbeatCf ? { twinbeatCf: options.twinbeatCf } : {}),
  });
  for (const node of ["srv5", "srv6"] as const) {
    const dir = cfg.dirs[node];
    const haresources = join(dir, "haresources");
    // The seed serves its page from httpd on both nodes; here httpd moves with the VIP.
    const lines = readFileSync(haresources, "utf8")
      .split("\n")
      .map((l) => (/^\s*[^#\s]/.test(l) ? `${l.replace(/\s+$/, "")} httpd` : l));
    writeFileSync(haresources, lines.join("\n"));
    mkdirSync(join(dir, "resource.d"), { recursive: true });
    copyFileSync(HTTPD_SCRIPT, join(dir, "resource.d", "httpd"));
    mkdirSync(join(dir, "www"), { recursive: true });
    writeFileSync(join(dir, "www", "index.html"), node === "srv5" ? "NodeA\n" : "NodeB\n");
  }
  const nodes: Record<SeedNodeKey, RunningNode | undefined> = { srv5: undefined, srv6: undefined };
  return {
    lab,
    cfg,
    vip: LAB_ADDR.vip,
    work,
    nodes,
    start(node) {
      const n = startNode(lab, node, cfg.nodeNames[node], cfg.dirs[node], work, options.pingProgram ? { pingProgram: options.pingProgram } : {});
      nodes[node] = n;
      return n;
    },
  };
}

/** The built-in http check of the VIP's page as the demo and the monitoring tests configure it (twinbeat.cf lines). */
export function httpCheckLines(vip: string): string[] {
  return [`check httpd http://${vip}/ expect=200 interval=500ms timeout=400ms fall=2`, "migration_threshold 3", "failure_timeout 10min"];
}

/** Kills a node's busybox httpd, a real service crash (its resource script keeps the pid beside the node's config). */
export function killHttpd(pair: SeedPair, node: SeedNodeKey): void {
  const pid = Number(readFileSync(join(pair.cfg.dirs[node], "httpd.pid"), "utf8").trim());
  if (!(pid > 1)) throw new Error(`Cannot kill httpd on ${node}: no pid in its pid file`);
  process.kill(pid, "SIGKILL");
}

/** Breaks httpd on a node for good: its document root is renamed, so it can no longer start. */
export function breakHttpd(pair: SeedPair, node: SeedNodeKey): void {
  renameSync(join(pair.cfg.dirs[node], "www"), join(pair.cfg.dirs[node], "www.broken"));
}

/** One look at the service: what the client read and which nodes hold the VIP. */
export interface ServiceSample {
  readonly atMs: number;
  /** The page's first line, or "-" when the request failed. */
  readonly page: string;
  readonly holders: readonly SeedNodeKey[];
}

/** Which nodes have the VIP on an interface now. */
export async function vipHolders(lab: NetnsLab, vip: string): Promise<SeedNodeKey[]> {
  const out: SeedNodeKey[] = [];
  for (const node of ["srv5", "srv6"] as const) {
    const addrs = await lab.addresses(node).catch(() => []);
    if (addrs.some((a) => a.address === vip)) out.push(node);
  }
  return out;
}

/**
 * Samples the client's view of http://VIP/ and the VIP's holders every `everyMs`
 * until stopped. `onSample` sees each sample as it is taken (the demo prints them).
 */
export class ServiceSampler {
  readonly samples: ServiceSample[] = [];
  #running = true;
  #done: Promise<void>;
  readonly #t0 = Date.now();

  constructor(lab: NetnsLab, vip: string, everyMs = 100, onSample?: (s: ServiceSample) => void) {
    this.#done = (async () => {
      while (this.#running) {
        const started = Date.now();
        const [res, holders] = await Promise.all([lab.httpGet("client", `http://${vip}/`, 400), vipHolders(lab, vip)]);
        const sample = { atMs: started - this.#t0, page: res.ok ? res.body.trim().split("\n")[0]! : "-", holders };
        this.samples.push(sample);
        onSample?.(sample);
        const wait = everyMs - (Date.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
  }

  /** Milliseconds since the sampler started. */
  now(): number {
    return Date.now() - this.#t0;
  }

  /** Waits until the client reads `page` (sampled), returns when (ms since start). */
  async waitForPage(page: string, timeoutMs: number): Promise<number> {
    const from = this.samples.length;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.samples.slice(from).find((s) => s.page === page);
      if (hit) return hit.atMs;
      if (Date.now() > deadline)
        throw new Error(`Timed out after ${timeoutMs} ms waiting for the client to read "${page}"; last: ${JSON.stringify(this.samples.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }

  /** The longest run of consecutive samples (in ms) where two nodes held the VIP at once. */
  longestDoubleHoldingMs(fromMs = 0): number {
    let longest = 0;
    let since: number | undefined;
    for (const s of this.samples.filter((x) => x.atMs >= fromMs)) {
      if (s.holders.length > 1) since ??= s.atMs;
      else if (since !== undefined) {
        longest = Math.max(longest, s.atMs - since);
        since = undefined;
      }
    }
    return longest;
  }
}
