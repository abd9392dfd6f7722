// Renders config findings as `path:line: message` lines and finds "did you mean" suggestions.

import type { ConfigDiagnostic, SourceLocation } from "./cluster-config";

/**
 * Formats one finding like a compiler: `path:line: message` for an error,
 * `path:line: warning: message` for a warning; a finding about the whole file
 * (line 0) drops the line number: `path: message`.
 *
 * @example
 * formatDiagnostic({ file: "/etc/ha.d/ha.cf", line: 3, severity: "error", message: 'Illegal directive "x"' });
 * // '/etc/ha.d/ha.cf:3: Illegal directive "x"'
 */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}` : d.file;
  const label = d.severity === "warning" ? "warning: " : "";
  return `${where}: ${label}${d.message}`;
}

/** An error finding at `at`. */
export function configError(at: SourceLocation, message: string): ConfigDiagnostic {
  return { file: at.file, line: at.line, severity: "error", message };
}

/** A warning finding at `at`. */
export function configWarning(at: SourceLocation, message: string): ConfigDiagnostic {
  return { file: at.file, line: at.line, severity: "warning", message };
}

/** True when any finding is an error (the configuration must not be used). */
export function hasErrors(diagnostics: readonly ConfigDiagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/**
 * The candidate closest to `word` by edit distance (insert, delete, substitute, swap two
 * neighbours), if it is close enough to be a plausible typo: at most 1 edit for words of up
 * to 4 characters, at most 2 otherwise. Ties go to the earlier candidate.
 */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const all = [...candidates];
  const sameLetters = all.find((candidate) => candidate.toLowerCase() === word.toLowerCase());
  if (sameLetters !== undefined) {
    return sameLetters;
  }
  const limit = word.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of all) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `: did you mean "x"?` when a close candidate exists, else the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const suggestion = closestName(word, candidates);
  return suggestion === undefined ? "" : `: did you mean "${suggestion}"?`;
}

/** Optimal-string-alignment distance between two strings. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = [];
  for (let i = 0; i < rows; i++) {
    d.push(new Array<number>(cols).fill(0));
    d[i]![0] = i;
  }
  for (let j = 0; j < cols; j++) {
    d[0]![j] = j;
  }
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}
