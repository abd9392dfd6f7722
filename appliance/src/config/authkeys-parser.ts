// Parses and checks authkeys (spec §3.1): file mode, `auth N`, and `N method [key]` lines.

import type { AuthKey, AuthKeys, AuthMethod, ConfigDiagnostic, SourceLocation } from "./cluster-config";
import { configError, configWarning, didYouMean, hasErrors } from "./format-diagnostic";

/** What {@link parseAuthkeys} found. */
export interface AuthkeysParseResult {
  /** The keys, present only when authkeys has no errors. */
  readonly authKeys?: AuthKeys;
  readonly diagnostics: readonly ConfigDiagnostic[];
}

/** Heartbeat's MAXAUTH: indexes 0 to 15. */
export const MAX_AUTH_INDEX = 15;

const METHODS: readonly AuthMethod[] = ["crc", "md5", "sha1"];

/**
 * Parses authkeys text (no file access). `fileMode` is the file's permission bits
 * (`st_mode & 0o777`): like Heartbeat, a file readable by group or others is refused.
 *
 * Lines are read as Heartbeat's `parse_authfile` does: leading blanks skipped, lines whose
 * first character is `#` ignored, a `#` later on a line is NOT a comment, and the key is the
 * first word after the method (Heartbeat silently ignores the rest; Twinbeat warns).
 *
 * @example
 * parseAuthkeys("auth 1\n1 sha1 s3cret\n", "/etc/ha.d/authkeys", 0o600).authKeys;
 * // { activeIndex: 1, keys: Map { 1 => { method: "sha1", key: "s3cret" } } }
 */
export function parseAuthkeys(text: string, path: string, fileMode: number): AuthkeysParseResult {
  const diagnostics: ConfigDiagnostic[] = [];
  const fileAt: SourceLocation = { file: path, line: 0 };
  if ((fileMode & 0o044) !== 0) {
    const mode = (fileMode & 0o777).toString(8).padStart(4, "0");
    diagnostics.push(configError(fileAt, `bad permissions ${mode} on authkeys: it must not be readable by group or others (chmod 600)`));
  }

  const keys = new Map<number, AuthKey>();
  const keyLines = new Map<number, number>();
  /** Indexes that have a key line, valid or not (a broken line is reported once). */
  const mentioned = new Set<number>();
  let active: { readonly index: number; readonly at: SourceLocation } | undefined;

  const physical = text.split("\n");
  for (let i = 0; i < physical.length; i++) {
    const at: SourceLocation = { file: path, line: i + 1 };
    const body = (physical[i] ?? "").replace(/^[ \t\r\f\v]+/, "");
    if (body.trim() === "" || body.startsWith("#")) {
      continue;
    }
    const words = body.split(/\s+/).filter((w) => w !== "");
    const [first, second, third, ...extra] = words as [string, string | undefined, string | undefined, ...string[]];

    if (first.startsWith("a")) {
      const index = second === undefined ? undefined : parseIndex(second);
      if (first !== "auth" || index === undefined) {
        diagnostics.push(configError(at, `"${words.join(" ")}" is not a valid auth line: expected "auth N" with N the key index to sign with`));
        continue;
      }
      if (third !== undefined) {
        diagnostics.push(configWarning(at, `text after "auth ${second}" is ignored: "${[third, ...extra].join(" ")}"`));
      }
      if (active !== undefined) {
        diagnostics.push(configWarning(at, `auth is given twice (first at line ${active.at.line}): the last one, auth ${index}, is used`));
      }
      active = { index, at };
      continue;
    }

    const index = parseIndex(first);
    if (index === undefined) {
      diagnostics.push(configError(at, `"${words.join(" ")}" is not a valid key line: expected "auth N" or "N METHOD [KEY]"`));
      continue;
    }
    if (index > MAX_AUTH_INDEX) {
      diagnostics.push(configError(at, `key index ${index} is out of range: expected 0 to ${MAX_AUTH_INDEX}`));
      continue;
    }
    mentioned.add(index);
    if (second === undefined) {
      diagnostics.push(configError(at, `key ${index} has no method: expected "${index} METHOD [KEY]" with crc, md5 or sha1`));
      continue;
    }
    const method = METHODS.find((m) => m === second);
    if (method === undefined) {
      diagnostics.push(configError(at, `unknown auth method "${second}" for key ${index}: expected crc, md5 or sha1${didYouMean(second, METHODS)}`));
      continue;
    }
    if (method === "crc" && third !== undefined) {
      const hashNote = third.startsWith("#") ? ' (a "#" after the method is not a comment in authkeys)' : "";
      diagnostics.push(configError(at, `key ${index} uses crc, which takes no key, but "${third}" was given${hashNote}`));
      continue;
    }
    if (method !== "crc" && third === undefined) {
      diagnostics.push(configError(at, `key ${index} uses ${method}, which needs a key: expected "${index} ${method} SECRET"`));
      continue;
    }
    if (extra.length > 0) {
      const quoted = /^["']/.test(third!) ? ": quotes are not special in authkeys, so the opening quote is part of the key" : "";
      diagnostics.push(
        configWarning(
          at,
          `key ${index} is the first word after the method only, ${third!} (exactly these ${third!.length} characters, as Heartbeat reads it)${quoted}; the rest of the line, ${extra.join(" ")}, is ignored (a key cannot contain spaces)`,
        ),
      );
    }
    const previousLine = keyLines.get(index);
    if (previousLine !== undefined) {
      diagnostics.push(configError(at, `key index ${index} is defined twice (first at line ${previousLine})`));
      continue;
    }
    keyLines.set(index, at.line);
    keys.set(index, method === "crc" ? { method } : { method, key: third! });
  }

  if (active === undefined) {
    diagnostics.push(configError(fileAt, 'no "auth N" line: add one naming the key index to sign with (e.g. "auth 1")'));
  } else {
    const activeKey = keys.get(active.index);
    if (activeKey === undefined) {
      if (!mentioned.has(active.index)) {
        diagnostics.push(configError(active.at, `auth ${active.index} names a key that is not defined: add a line "${active.index} sha1 SECRET"`));
      }
    } else if (activeKey.method === "crc") {
      diagnostics.push(
        configWarning(
          active.at,
          `auth ${active.index} selects crc, which only detects corrupted packets and authenticates nothing: use sha1 with a secret key`,
        ),
      );
    }
  }

  if (hasErrors(diagnostics) || active === undefined) {
    return { diagnostics };
  }
  return { authKeys: { activeIndex: active.index, keys }, diagnostics };
}

/** A non-negative decimal index, or undefined. */
function parseIndex(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
