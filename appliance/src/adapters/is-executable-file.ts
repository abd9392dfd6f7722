// Whether a path is a regular file this process may execute (resource scripts, respawn programs, OCF agents).

import * as fs from "node:fs";

export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
