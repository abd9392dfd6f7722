// Twinbeat's version and the Heartbeat version it speaks for (`-V`, `cl_status hbparameter -p hbversion`).

export const TWINBEAT_VERSION = "0.1.0";
/** What Heartbeat 3.0.6 reports as its version; peers and scripts may match on it. */
export const HEARTBEAT_COMPAT_VERSION = "3.0.6";
