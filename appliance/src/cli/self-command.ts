// How to start this very program again (to detach the daemon, or to run the resource guard).

/** True inside a Node single executable application. */
export function isSingleExecutable(): boolean {
  try {
    return (require("node:sea") as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

/** argv prefix that runs Twinbeat's `twinbeat` entry: the executable, or node + the script. */
export function selfCommand(): string[] {
  return isSingleExecutable() ? [process.execPath] : [process.execPath, ...process.execArgv, process.argv[1]!];
}
