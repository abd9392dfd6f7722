// Appends Heartbeat's control fields to an outgoing message, in Heartbeat's order (spec §4.4).

import { bin, str, type HaField, type HaMessage } from "./ha-message";

/** What the sender knows about itself at send time. */
export interface ControlContext {
  /** Our node name, lower-case. */
  readonly src: string;
  /** Our 16-byte node UUID. */
  readonly uuid: Buffer;
  /** Our generation (`hg`). */
  readonly generation: number;
  /** Wall clock, whole seconds (`ts`): informational for the peer, never used for our timers. */
  readonly wallClockSec: number;
  /** First line of /proc/loadavg, or "n/a". */
  readonly load: string;
  /** hopfudge + number of configured nodes. */
  readonly ttl: number;
  /** UUIDs of the peers we know (for `destuuid` on addressed messages). */
  readonly peerUuids?: ReadonlyMap<string, Buffer>;
}

/**
 * Returns `body` followed by src, srcuuid, seq (sequenced messages only), hg, ts, ld, ttl.
 * Fields already in the body are kept (as Heartbeat does for NS_* types), not duplicated.
 */
export function stampControlFields(body: HaMessage, seq: number | undefined, ctx: ControlContext): HaMessage {
  const has = new Set(body.map((f) => f.name));
  const out: HaField[] = body.slice();
  const add = (f: HaField) => {
    if (!has.has(f.name)) out.push(f);
  };
  add(str("src", ctx.src));
  add(bin("srcuuid", ctx.uuid));
  if (seq !== undefined) add(str("seq", seq.toString(16)));
  add(str("hg", ctx.generation.toString(16)));
  add(str("ts", Math.max(1, Math.floor(ctx.wallClockSec)).toString(16)));
  add(str("ld", ctx.load));
  add(str("ttl", String(ctx.ttl)));
  // Heartbeat adds the addressee's UUID when it knows it.
  const dest = body.find((f) => f.name === "dest")?.value;
  const destUuid = typeof dest === "string" ? ctx.peerUuids?.get(dest.toLowerCase()) : undefined;
  if (destUuid) add(bin("destuuid", destUuid));
  return out;
}
