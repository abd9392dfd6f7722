// Builds dist/twinbeat: an esbuild bundle (CommonJS) injected as a Node single executable application
// into a stripped copy of the node binary. Run by `npm run build` after tsc (see build/README.md).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The fuse string Node 20 looks for to know a blob was injected (from Node's SEA documentation). */
export const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
/** The ELF section name Node reads the blob from. */
export const SEA_RESOURCE = "NODE_SEA_BLOB";
/** The names the executable answers to (main.ts): the image links them to dist/twinbeat. */
export const MULTICALL_NAMES: readonly string[] = ["heartbeat", "hb_standby", "hb_takeover", "cl_status"];

export interface BuildOptions {
  /** The repository (where appliance/src/main.ts is). */
  readonly repoRoot: string;
  /** Where twinbeat and build/ (bundle, blob, manifest) go; default `<repoRoot>/dist`. */
  readonly outDir?: string;
  /** The node binary to copy: must be the Node 20 that runs the SEA (default: this process's). */
  readonly nodeBinary?: string;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface BuildResult {
  readonly executable: string;
  readonly bundle: string;
  readonly manifest: BuildManifest;
}

/** What dist/build/manifest.json records about a build. */
export interface BuildManifest {
  readonly twinbeatVersion: string;
  readonly nodeVersion: string;
  readonly nodeBinary: string;
  readonly esbuildVersion: string;
  readonly postjectVersion: string;
  readonly bundleBytes: number;
  /** The status page worker's own bundle, embedded in the main bundle as a string. */
  readonly workerBundleBytes: number;
  readonly blobBytes: number;
  readonly strippedNodeBytes: number;
  readonly executableBytes: number;
  readonly sha256: string;
  readonly builtAt: string;
}

/** The subset of esbuild's JS API used here (esbuild is a devDependency, loaded at run time). */
interface EsbuildApi {
  readonly version: string;
  buildSync(options: Record<string, unknown>): { errors: unknown[]; warnings: { text: string }[]; outputFiles?: { text: string }[] };
}

/** The status page's worker thread: its own entry point, bundled apart and embedded in the main bundle as text. */
export const STATUS_HTTP_WORKER_ENTRY = "appliance/src/http/status-http-worker.ts";
/** The identifier status-http-server.ts reads the embedded worker from (esbuild `define`). */
const STATUS_HTTP_WORKER_DEFINE = "TWINBEAT_STATUS_HTTP_WORKER_BUNDLE";

/** Loads a devDependency by name; the error says what to install when it is missing. */
export function loadBuildTool<T>(name: "esbuild", repoRoot: string): T {
  try {
    return require(require.resolve(name, { paths: [repoRoot] })) as T;
  } catch (err) {
    throw new Error(`build: cannot load ${name} (${(err as Error).message.split("\n")[0]}): run "npm ci" (it is a devDependency)`, { cause: err });
  }
}

/** Whether esbuild and postject can be loaded from `repoRoot` (tests skip the build without them). */
export function buildToolsPresent(repoRoot: string): boolean {
  for (const name of ["esbuild", "postject"]) {
    try {
      require.resolve(name, { paths: [repoRoot] });
    } catch {
      return false;
    }
  }
  return true;
}

function packageVersion(name: string, repoRoot: string): string {
  try {
    const path = require.resolve(`${name}/package.json`, { paths: [repoRoot] });
    return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Twinbeat's version: package.json's "version", the one place it lives (cli/version.ts and the bundle read it). */
export function twinbeatVersion(repoRoot: string): string {
  const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version?: unknown }).version;
  if (typeof version !== "string" || version === "") throw new Error('build: no "version" in package.json');
  return version;
}

/** The Node version a binary reports (`v20.20.2`). */
function nodeVersionOf(nodeBinary: string): string {
  return execFileSync(nodeBinary, ["--version"], { encoding: "utf8" }).trim();
}

/**
 * Runs strip(1) on `file` in place. Must happen *before* injection: stripping an injected
 * binary drops or moves the blob's note and the executable no longer starts as Twinbeat.
 */
function stripBinary(file: string): void {
  try {
    // GNU strip prints one "Can't find string offset for section name '.note.N'" warning per
    // note of NodeSource's binary (too many notes); harmless, so stderr is kept only on failure.
    execFileSync("strip", ["--strip-all", file], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === "ENOENT") throw new Error("build: strip(1) not found: install binutils (bash image/install-deps.sh build)", { cause: err });
    throw new Error(`build: strip failed: ${e.stderr?.toString() ?? String(err)}`, { cause: err });
  }
}

/** esbuild options shared by both bundles: one CommonJS file for Node 20, nothing external. */
function commonBundleOptions(repoRoot: string): Record<string, unknown> {
  return {
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // Readable stack traces in the field matter more than 100 KB in an 87 MB file.
    minify: false,
    keepNames: true,
    legalComments: "none",
    logLevel: "silent",
    absWorkingDir: repoRoot,
    // A SEA's require() only reaches Node's built-in modules: everything else must be bundled.
    external: [],
  };
}

/**
 * Bundles appliance/src/main.ts into one CommonJS file for Node 20. The status page's worker
 * is bundled first, on its own, and handed to the main bundle as a string constant: inside
 * the executable a worker cannot be started from a file, only from source (`eval: true`).
 */
export function bundle(repoRoot: string, outFile: string): { esbuildVersion: string; workerBundleBytes: number } {
  const esbuild = loadBuildTool<EsbuildApi>("esbuild", repoRoot);
  const worker = esbuild.buildSync({ ...commonBundleOptions(repoRoot), entryPoints: [join(repoRoot, STATUS_HTTP_WORKER_ENTRY)], write: false });
  if (worker.errors.length > 0 || worker.outputFiles?.length !== 1)
    throw new Error(`build: esbuild failed on the status worker: ${JSON.stringify(worker.errors)}`);
  const workerCode = worker.outputFiles[0]!.text;
  const result = esbuild.buildSync({
    ...commonBundleOptions(repoRoot),
    entryPoints: [join(repoRoot, "appliance/src/main.ts")],
    outfile: outFile,
    define: { [STATUS_HTTP_WORKER_DEFINE]: JSON.stringify(workerCode) },
  });
  if (result.errors.length > 0) throw new Error(`build: esbuild failed: ${JSON.stringify(result.errors)}`);
  if (!readFileSync(outFile, "utf8").includes("runStatusHttpWorker")) throw new Error("build: the status worker was not embedded in the bundle");
  return { esbuildVersion: esbuild.version, workerBundleBytes: Buffer.byteLength(workerCode) };
}

/** Produces `<outDir>/twinbeat`. Type-checking is the caller's (npm run build runs tsc first). */
export async function buildExecutable(opts: BuildOptions): Promise<BuildResult> {
  const repoRoot = resolve(opts.repoRoot);
  const outDir = resolve(opts.outDir ?? join(repoRoot, "dist"));
  const workDir = join(outDir, "build");
  const nodeBinary = opts.nodeBinary ?? process.execPath;
  const log = opts.log ?? (() => undefined);
  mkdirSync(workDir, { recursive: true });

  const nodeVersion = nodeVersionOf(nodeBinary);
  if (!/^v20\./.test(nodeVersion)) {
    throw new Error(`build: ${nodeBinary} is Node ${nodeVersion}; the executable is built from Node 20 (set NODE_BINARY)`);
  }
  if (!readFileSync(nodeBinary).includes(SEA_FUSE)) {
    throw new Error(`build: ${nodeBinary} has no single-executable fuse (${SEA_FUSE}): it cannot host a SEA`);
  }

  const bundleFile = join(workDir, "twinbeat.cjs");
  log(`bundle: appliance/src/main.ts -> ${bundleFile}`);
  const { esbuildVersion, workerBundleBytes } = bundle(repoRoot, bundleFile);

  const blobFile = join(workDir, "sea-prep.blob");
  const seaConfig = join(workDir, "sea-config.json");
  writeFileSync(
    seaConfig,
    JSON.stringify({ main: bundleFile, output: blobFile, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: true }, null, 2) + "\n",
  );
  log(`blob: ${nodeBinary} --experimental-sea-config ${seaConfig}`);
  execFileSync(nodeBinary, ["--experimental-sea-config", seaConfig], { stdio: ["ignore", "ignore", "pipe"] });

  const tmpExe = join(workDir, "twinbeat.tmp");
  rmSync(tmpExe, { force: true });
  copyFileSync(nodeBinary, tmpExe);
  chmodSync(tmpExe, 0o755);
  stripBinary(tmpExe);
  const strippedNodeBytes = statSync(tmpExe).size;
  log(`inject: ${SEA_RESOURCE} into stripped node (${strippedNodeBytes} bytes)`);
  injectBlob(repoRoot, tmpExe, blobFile);

  const executable = join(outDir, "twinbeat");
  renameSync(tmpExe, executable);
  const version = execFileSync(executable, ["--version"], { encoding: "utf8", cwd: "/" }).trim();
  const expected = `twinbeat ${twinbeatVersion(repoRoot)}`;
  if (version !== expected) throw new Error(`build: ${executable} --version printed "${version}", expected "${expected}"`);

  const exeBytes = readFileSync(executable);
  const manifest: BuildManifest = {
    twinbeatVersion: twinbeatVersion(repoRoot),
    nodeVersion,
    nodeBinary,
    esbuildVersion,
    postjectVersion: packageVersion("postject", repoRoot),
    bundleBytes: statSync(bundleFile).size,
    workerBundleBytes,
    blobBytes: statSync(blobFile).size,
    strippedNodeBytes,
    executableBytes: exeBytes.length,
    sha256: createHash("sha256").update(exeBytes).digest("hex"),
    builtAt: new Date().toISOString(),
  };
  writeFileSync(join(workDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  log(`done: ${executable} (${(manifest.executableBytes / 1e6).toFixed(1)} MB, ${manifest.nodeVersion})`);
  return { executable, bundle: bundleFile, manifest };
}

/**
 * Injects the blob with postject's CLI in a child process: LIEF (inside postject) writes one
 * warning per ELF note straight to stderr, which is shown only when the injection fails.
 */
function injectBlob(repoRoot: string, exe: string, blob: string): void {
  let cli: string;
  try {
    cli = require.resolve("postject/dist/cli.js", { paths: [repoRoot] });
  } catch {
    throw new Error('build: cannot find postject: run "npm ci" (it is a devDependency)');
  }
  try {
    execFileSync(process.execPath, [cli, exe, SEA_RESOURCE, blob, "--sentinel-fuse", SEA_FUSE, "--overwrite"], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`build: postject failed:\n${e.stdout?.toString() ?? ""}${e.stderr?.toString() ?? String(err)}`, { cause: err });
  }
}

/** Whether `file` exists and is newer than every source the bundle reads (for tests that reuse a build). */
export function isFresh(file: string, repoRoot: string): boolean {
  if (!existsSync(file)) return false;
  const built = statSync(file).mtimeMs;
  const newest = newestMtime(join(repoRoot, "appliance/src"));
  return built >= newest;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

if (require.main === module) {
  // usage: node .out/build/build-sea.js [REPO_ROOT] ; NODE_BINARY=/path/to/node20 to pick the node copied.
  const repoRoot = resolve(process.argv[2] ?? join(__dirname, "../.."));
  buildExecutable({ repoRoot, nodeBinary: process.env.NODE_BINARY || undefined, log: (l) => process.stdout.write(`build-sea: ${l}\n`) }).then(
    () => undefined,
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
