// Decides whether one line of a ping program's output is an echo reply from the ping node's own address (iputils, GNU inetutils, busybox).

/** What one output line says about the ping node. */
export type PingLine = { readonly kind: "reply"; readonly seq: number } | { readonly kind: "ignored"; readonly why: PingLineIgnored };

export type PingLineIgnored =
  /** Not a "N bytes from ADDRESS: …" line: header, statistics, blank, "From X icmp_seq=N Destination Host Unreachable" (iputils' ICMP errors). */
  | "not-a-reply"
  /** "N bytes from ADDRESS: Destination Host Unreachable" and the like: inetutils prints ICMP errors this way, even ones about (or from) the node itself. */
  | "icmp-error"
  /** A well-formed echo reply, but from another address (a broadcast answer, a forged or misrouted reply). */
  | "other-address"
  /** The same sequence number answered again (a duplicated frame, two hosts with one address). */
  | "duplicate"
  /** The program itself distrusts the reply (bad checksum, truncated, wrong data). */
  | "damaged";

/**
 * An echo reply line in all three programs' formats, numeric output:
 *   iputils    64 bytes from 192.0.2.7: icmp_seq=1 ttl=64 time=0.051 ms        (DUP! appended on a duplicate)
 *   inetutils  64 bytes from 192.0.2.7: icmp_seq=0 ttl=64 time=0.056 ms        ((DUP!) appended)
 *   busybox    64 bytes from 192.0.2.7: seq=0 ttl=64 time=0.056 ms             ((DUP!) appended)
 * Without -n iputils writes "from name (192.0.2.7):"; an IPv6 link-local source carries "%eth0".
 * What makes it an echo reply is the sequence number, ttl and round-trip time after the colon:
 * inetutils prints an ICMP error about a probe as "92 bytes from 192.0.2.5: Destination Host
 * Unreachable" (from our own address when ARP failed), which has none of them.
 */
const BYTES_FROM = /^\s*(\d+) bytes from (.+?): (.*)$/;
const ECHO_FIELDS = /^(?:icmp_seq|seq)=(\d+)\s+(?:ident=\d+\s+)?(?:hlim|ttl)=\d+\s+time[=<]\s*[\d.]+\s*ms\b(.*)$/;
const DAMAGED = /BAD CHECKSUM|truncated|wrong data|bad (?:ident|code)/i;

/** Parses one line (no newline) for `nodeAddress`, the numeric address the ping program was given. */
export function parsePingLine(line: string, nodeAddress: string): PingLine {
  const m = BYTES_FROM.exec(line);
  if (!m) return ignored("not-a-reply");
  const fields = ECHO_FIELDS.exec(m[3]!.trim());
  if (!fields) return ignored("icmp-error");
  const tail = fields[2]!;
  if (/DUP!/.test(tail)) return ignored("duplicate");
  if (DAMAGED.test(tail)) return ignored("damaged");
  if (!sameAddress(sourceOf(m[2]!), nodeAddress)) return ignored("other-address");
  return { kind: "reply", seq: Number(fields[1]) };
}

/**
 * Counts each sequence number once, whatever the program marks: iputils tracks duplicates per
 * sequence number modulo its window, busybox and inetutils each with their own table, and a
 * copy that arrives after the program forgot the original would not be marked at all.
 */
export class PingReplyFilter {
  readonly #nodeAddress: string;
  readonly #seen = new Set<number>();
  readonly #order: number[] = [];

  constructor(nodeAddress: string) {
    this.#nodeAddress = nodeAddress;
  }

  get nodeAddress(): string {
    return this.#nodeAddress;
  }

  /** The line's verdict, with a reply downgraded to "duplicate" when its sequence number was already counted. */
  accept(line: string): PingLine {
    const parsed = parsePingLine(line, this.#nodeAddress);
    if (parsed.kind !== "reply") return parsed;
    if (this.#seen.has(parsed.seq)) return ignored("duplicate");
    this.#seen.add(parsed.seq);
    this.#order.push(parsed.seq);
    // Sequence numbers wrap at 65536; a window of a few thousand covers any late copy.
    if (this.#order.length > 4096) this.#seen.delete(this.#order.shift()!);
    return parsed;
  }
}

function ignored(why: PingLineIgnored): PingLine {
  return { kind: "ignored", why };
}

/** "192.0.2.7", "name (192.0.2.7)", "fe80::1%eth0" → the address. */
function sourceOf(text: string): string {
  const paren = /\(([^()]+)\)\s*$/.exec(text);
  return (paren ? paren[1]! : text).trim();
}

/** Address equality: IPv4 as text, IPv6 in any spelling (zone index ignored), case-insensitive. */
export function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const x = expandIpv6(a);
  const y = expandIpv6(b);
  return x !== undefined && x === y;
}

/** The eight 16-bit groups of an IPv6 address as fixed-width hex, or undefined if it is not one. */
function expandIpv6(text: string): string | undefined {
  let s = text.replace(/%.*$/, "").toLowerCase();
  if (!s.includes(":")) return undefined;
  // An embedded IPv4 tail (::ffff:192.0.2.7) becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const b = v4.slice(1, 5).map(Number);
    if (b.some((n) => n > 255)) return undefined;
    s = `${s.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => g.padStart(4, "0")).join(":");
}
