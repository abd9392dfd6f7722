// The three ping programs a box may have (iputils, GNU inetutils, busybox): how to tell them apart and the arguments each needs.

export type PingImplementation = "iputils" | "inetutils" | "busybox";

export const PING_IMPLEMENTATIONS: readonly PingImplementation[] = ["iputils", "inetutils", "busybox"];

/**
 * Which program printed this `ping -V` output (stdout and stderr together):
 *   iputils    "ping from iputils 20221126" (older: "ping utility, iputils-s20180629")
 *   inetutils  "ping (GNU inetutils) 2.4"
 *   busybox    rejects -V and prints its usage: "BusyBox v1.35.0 (…) multi-call binary."
 */
export function implementationFromVersionText(text: string): PingImplementation | undefined {
  if (/iputils/i.test(text)) return "iputils";
  if (/GNU inetutils/i.test(text)) return "inetutils";
  if (/BusyBox/.test(text)) return "busybox";
  return undefined;
}

export interface PingInvocation {
  /** The program to run: `program` itself, or inetutils' separate ping6 beside it for IPv6. */
  readonly program: string;
  readonly args: readonly string[];
}

/**
 * The command line for an endless ping of `address` (numeric) every `intervalMs`:
 *   iputils    ping -n -i 0.2 [-6] ADDRESS
 *   inetutils  ping -n -i 0.2 ADDRESS       (IPv6: ping6 -n -i 1, a separate program in the same package
 *                                           that takes whole seconds only)
 *   busybox    ping -i 0.2 [-6] ADDRESS     (always numeric; -n is not in its usage text; "busybox ping …" when
 *                                           the program is busybox itself rather than a link named ping)
 * Intervals below 0.2 s need root in iputils and inetutils; the daemon runs as root but
 * never asks for less. The output of all three is line-buffered on a pipe: each reply is
 * written and flushed as it arrives (checked per implementation by the tests).
 */
export function pingInvocation(implementation: PingImplementation, program: string, address: string, intervalMs: number): PingInvocation {
  const interval = Math.max(0.2, intervalMs / 1000).toFixed(1);
  const v6 = address.includes(":");
  switch (implementation) {
    case "iputils":
      return { program, args: ["-n", "-i", interval, ...(v6 ? ["-6"] : []), address] };
    case "inetutils":
      // Its ping6 takes whole seconds only: "-i 0.2" fails with "invalid value (`0.2' near `.2')".
      return v6
        ? { program: inetutilsPing6(program), args: ["-n", "-i", String(Math.max(1, Math.ceil(intervalMs / 1000))), address] }
        : { program, args: ["-n", "-i", interval, address] };
    case "busybox":
      // Run as busybox itself (TWINBEAT_PING=/bin/busybox), it needs the applet's name first.
      return { program, args: [...(/(^|\/)busybox$/.test(program) ? ["ping"] : []), "-i", interval, ...(v6 ? ["-6"] : []), address] };
  }
}

/** inetutils ships ping6 beside ping: "/x/bin/ping" → "/x/bin/ping6", "ping" → "ping6". */
function inetutilsPing6(program: string): string {
  return /(^|\/)ping$/.test(program) ? `${program}6` : "ping6";
}
