// Heartbeat's message model: an ordered list of named fields, strings or binary (GLUE ha_msg).

/** Field types on the wire: 0 string, 1 binary. v1 traffic uses no other type. */
export type HaFieldType = 0 | 1;

export interface HaField {
  readonly name: string;
  readonly type: HaFieldType;
  /** string for type 0, Buffer for type 1 (binary: raw in netstring, base64 in classic). */
  readonly value: string | Buffer;
}

/** An ordered, immutable Heartbeat message. Order matters for the classic (Layer A) signature. */
export type HaMessage = readonly HaField[];

/** The string value of the first field called `name`, or undefined (binary fields read as undefined). */
export function getField(message: HaMessage, name: string): string | undefined {
  for (const f of message) if (f.name === name) return typeof f.value === "string" ? f.value : undefined;
  return undefined;
}

/** The binary value of the first field called `name`, or undefined. */
export function getBinaryField(message: HaMessage, name: string): Buffer | undefined {
  for (const f of message) if (f.name === name) return Buffer.isBuffer(f.value) ? f.value : undefined;
  return undefined;
}

/** A string field. */
export function str(name: string, value: string): HaField {
  return { name, type: 0, value };
}

/** A binary field. */
export function bin(name: string, value: Buffer): HaField {
  return { name, type: 1, value };
}

/** Returns a copy of the message with `name` set to `value` (replaced in place if present, appended if not). */
export function withField(message: HaMessage, field: HaField): HaMessage {
  const i = message.findIndex((f) => f.name === field.name);
  if (i < 0) return [...message, field];
  const copy = message.slice();
  copy[i] = field;
  return copy;
}
