// Heartbeat's value syntaxes for config files: times (cl_get_msec), booleans and plain integers.

/** Options for {@link parseTimeMs}. */
export interface ParseTimeOptions {
  /**
   * Also accept an `s`/`sec` unit (`30s`). Heartbeat's ha.cf does not (a number without
   * unit is already seconds); Twinbeat's own twinbeat.cf does.
   */
  readonly allowSecondsUnit?: boolean;
}

/**
 * Parses a time the way Heartbeat's `cl_get_msec` does (spec §1.1): a decimal number,
 * optionally followed (spaces allowed) by a unit. No unit means seconds; a unit starting
 * with `ms` (any case) means milliseconds; one starting with `us` means microseconds
 * (`usec` included). The result is rounded to the nearest millisecond.
 *
 * Returns undefined for anything else, including an empty string, a sign, a number with
 * two dots and an unknown unit. (Heartbeat reads `1.2.3` as 1.2 s; Twinbeat refuses it.)
 *
 * @example
 * parseTimeMs("0.1");   // 100
 * parseTimeMs("1500ms"); // 1500
 * parseTimeMs("501us"); // 1
 * parseTimeMs("2 s");   // undefined
 */
export function parseTimeMs(text: string, options: ParseTimeOptions = {}): number | undefined {
  const match = /^\s*(\d+\.?\d*|\.\d+)\s*([A-Za-z]*)\s*$/.exec(text);
  if (match === null) {
    return undefined;
  }
  const value = Number(match[1]);
  const unit = (match[2] ?? "").toLowerCase();
  let msPerUnit: number;
  if (unit === "") {
    msPerUnit = 1000;
  } else if (unit.startsWith("ms")) {
    msPerUnit = 1;
  } else if (unit.startsWith("us")) {
    msPerUnit = 0.001;
  } else if (options.allowSecondsUnit === true && SECONDS_UNITS.has(unit)) {
    msPerUnit = 1000;
  } else {
    return undefined;
  }
  // cl_get_msec adds 0.5 and truncates: round half up.
  const ms = Math.floor(value * msPerUnit + 0.5);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

const SECONDS_UNITS: ReadonlySet<string> = new Set(["s", "sec", "secs", "second", "seconds"]);

/** True when `text` is a number followed by a seconds unit (`30s`): a common ha.cf mistake. */
export function hasSecondsUnit(text: string): boolean {
  const match = /^\s*(\d+\.?\d*|\.\d+)\s*([A-Za-z]+)\s*$/.exec(text);
  return match !== null && SECONDS_UNITS.has((match[2] ?? "").toLowerCase());
}

/** True when `text` is only a unit word (`ms`, `s`): what `keepalive 500 ms` leaves as a token. */
export function isDetachedUnit(text: string): boolean {
  const lower = text.toLowerCase();
  return SECONDS_UNITS.has(lower) || lower.startsWith("ms") || lower.startsWith("us");
}

/** Renders milliseconds the way Heartbeat records computed times (`15000ms`). */
export function formatMs(ms: number): string {
  return `${ms}ms`;
}

const TRUE_WORDS: ReadonlySet<string> = new Set(["true", "on", "yes", "y", "1"]);
const FALSE_WORDS: ReadonlySet<string> = new Set(["false", "off", "no", "n", "0"]);

/**
 * Parses a boolean like Heartbeat's `cl_str_to_boolean` (case-insensitive):
 * true/on/yes/y/1 and false/off/no/n/0. Returns undefined for anything else.
 */
export function parseBoolean(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (TRUE_WORDS.has(lower)) {
    return true;
  }
  if (FALSE_WORDS.has(lower)) {
    return false;
  }
  return undefined;
}

/** The words {@link parseBoolean} accepts, for messages. */
export const BOOLEAN_WORDS = "true, on, yes, y, 1, false, off, no, n or 0";

/**
 * Parses a non-negative decimal integer (digits only). Heartbeat uses `atoi`, which reads
 * `12abc` as 12 and `abc` as 0; Twinbeat refuses both.
 */
export function parseInteger(text: string): number | undefined {
  if (!/^\d+$/.test(text)) {
    return undefined;
  }
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
