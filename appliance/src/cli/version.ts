// Twinbeat's version and the Heartbeat version it speaks for (`-V`, `cl_status hbparameter -p hbversion`).

// The one place the version lives is package.json ("version"); the bundle (esbuild) and tsc
// both inline or copy it, so the single executable knows it without npm's environment.
import packageJson from "../../../package.json";

export const TWINBEAT_VERSION: string = packageJson.version;
/** What Heartbeat 3.0.6 reports as its version; peers and scripts may match on it. */
export const HEARTBEAT_COMPAT_VERSION = "3.0.6";
