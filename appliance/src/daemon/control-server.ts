// The daemon's control socket in the run dir (root-only): one JSON request per line, one JSON answer per line.

import { chmodSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";

/** Longest request line accepted; a client sending more is disconnected. */
const MAX_REQUEST_BYTES = 4096;
const MAX_CLIENTS = 16;

export function controlSocketPath(runDir: string): string {
  return join(runDir, "twinbeat.sock");
}

export type ControlHandler = (request: Record<string, unknown>) => unknown;

/**
 * Serves the local tools (cl_status, hb_standby…, `heartbeat -s`). Requests are
 * bounded in size and count so a stuck client cannot hold the daemon.
 */
export async function startControlServer(runDir: string, handler: ControlHandler): Promise<Server> {
  const path = controlSocketPath(runDir);
  try {
    unlinkSync(path);
  } catch {
    // no stale socket
  }
  const clients = new Set<Socket>();
  const server = createServer((sock) => {
    if (clients.size >= MAX_CLIENTS) {
      sock.destroy();
      return;
    }
    clients.add(sock);
    sock.setTimeout(5000, () => sock.destroy());
    sock.on("close", () => clients.delete(sock));
    sock.on("error", () => undefined);
    let buf = "";
    sock.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      if (buf.length > MAX_REQUEST_BYTES) {
        sock.destroy();
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let answer: unknown;
        try {
          const req = JSON.parse(line) as unknown;
          answer = typeof req === "object" && req !== null ? handler(req as Record<string, unknown>) : { error: "request must be a JSON object" };
        } catch (err) {
          answer = { error: `bad request: ${(err as Error).message}` };
        }
        sock.write(JSON.stringify(answer) + "\n");
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return server;
}

/** Sends one request to the daemon in `runDir` and returns its answer (rejects if none is listening). */
export function controlRequest(runDir: string, request: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = connect(controlSocketPath(runDir));
    let buf = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("timed out waiting for the daemon"));
    }, timeoutMs);
    sock.on("connect", () => sock.write(JSON.stringify(request) + "\n"));
    sock.on("data", (c) => {
      buf += c.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        sock.end();
        try {
          resolve(JSON.parse(buf.slice(0, nl)));
        } catch (err) {
          reject(err);
        }
      }
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
