// `twinbeat resource-guard` (internal): started by the daemon (or, one act at a time, by the shell guard); see daemon/resource-guard.ts.

import { readFileSync } from "node:fs";
import { loadConfigDir } from "../config/load-config-dir";
import { runResourceGuard } from "../daemon/resource-guard";
import { isGuardAct, runGuardAct } from "../daemon/resource-guard-act";
import { parseCommonOptions, resolveNodeName } from "./cli-options";

export async function resourceGuardCommand(args: readonly string[]): Promise<number> {
  const opts = parseCommonOptions(args, ["configDir", "stateDir", "runDir", "nodeName"]);
  const load = () => loadConfigDir(opts.configDir, { localNode: resolveNodeName(opts) });
  const loaded = load();
  if (!loaded.config) {
    process.stderr.write(`twinbeat resource-guard: configuration in ${opts.configDir} is not valid\n`);
    return 1;
  }
  const act = process.env.TWINBEAT_GUARD_ACT;
  if (isGuardAct(act)) {
    // The shell guard keeps a copy of the files the daemon runs with; resource scripts stay where they are.
    const original = process.env.TWINBEAT_GUARD_ORIGINAL_DIR;
    const config = original ? { ...loaded.config, configDir: original } : loaded.config;
    const memoryFile = process.env.TWINBEAT_GUARD_MEMORY_FILE;
    const prestarted = act === "drop" && memoryFile !== undefined;
    const input = prestarted ? readFileSync(memoryFile, "utf8") : act === "drop" || act === "release" ? await readAll(process.stdin) : "";
    return runGuardAct(act, config, {
      input,
      silentMs: Number(process.env.TWINBEAT_GUARD_SILENT_MS ?? 0),
      ...(prestarted ? { go: () => waitForGo(process.stdin) } : {}),
      write: (t) => process.stdout.write(t),
    });
  }
  return runResourceGuard(loaded.config, undefined, () => load().config);
}

/** The shell's "go <silent ms>" line on stdin; undefined at end of input (cancelled). */
function waitForGo(stream: NodeJS.ReadableStream): Promise<number | undefined> {
  return new Promise((resolve) => {
    let buf = "";
    stream.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      const m = /^go (\d+)\n/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    stream.on("end", () => resolve(undefined));
    stream.on("error", () => resolve(undefined));
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  return text;
}
