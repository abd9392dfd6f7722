// A strict parser for the Prometheus text exposition format 0.0.4, to check /metrics in tests.

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  readonly help: string;
  readonly samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Parses exposition text and checks what Prometheus itself would reject or misread: bad
 * names, bad escapes, bad values, a TYPE after samples, a family split in two, duplicate
 * series, and for histograms: buckets that are not cumulative, a missing `+Inf` bucket, or
 * `_count` differing from it. Throws `Error("line N: …")` on the first problem.
 */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const closed = new Set<string>();
  const seen = new Set<string>();
  let current: PromFamily | undefined;
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const lines = text.split("\n");
  lines.pop();
  lines.forEach((line, i) => {
    const fail = (msg: string): never => {
      throw new Error(`line ${i + 1}: ${msg}: ${JSON.stringify(line)}`);
    };
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, "HELP" | "TYPE", string, string];
      if (!METRIC_NAME.test(name)) fail("bad metric name");
      let fam = families.get(name);
      if (fam && closed.has(name)) fail(`${kind} for ${name} after its samples ended`);
      if (!fam) {
        if (current) closed.add(current.name);
        fam = { name, type: "untyped", help: "", samples: [] };
        families.set(name, fam);
        current = fam;
      }
      if (kind === "TYPE") {
        if (fam.samples.length > 0) fail("TYPE after samples");
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) fail("unknown type");
        (fam as { type: string }).type = rest;
      } else {
        (fam as { help: string }).help = unescape(rest, false, fail);
      }
      return;
    }
    const sample = parseSample(line, fail);
    const famName = familyOf(sample.name, families);
    let fam = families.get(famName);
    if (!fam) {
      if (current) closed.add(current.name);
      fam = { name: famName, type: "untyped", help: "", samples: [] };
      families.set(famName, fam);
    } else if (fam !== current) {
      if (closed.has(famName)) fail(`samples of ${famName} are not together`);
      if (current) closed.add(current.name);
    }
    current = fam;
    const key = `${sample.name}{${Object.entries(sample.labels)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(",")}}`;
    if (seen.has(key)) fail(`duplicate series ${key}`);
    seen.add(key);
    fam.samples.push(sample);
  });
  for (const fam of families.values()) if (fam.type === "histogram") checkHistogram(fam);
  return families;
}

/** The family a sample belongs to: histogram/summary suffixes fold into their base name. */
function familyOf(name: string, families: Map<string, PromFamily>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const f = families.get(base);
      if (f && (f.type === "histogram" || f.type === "summary")) return base;
    }
  }
  return name;
}

function parseSample(line: string, fail: (msg: string) => never): PromSample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+-?\d+)?$/.exec(line);
  if (!m) return fail("not a sample line");
  const labels: Record<string, string> = {};
  if (m[2] !== undefined) {
    let rest = m[2].slice(1, -1);
    while (rest.length > 0) {
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,?)/.exec(rest);
      if (!lm) fail("bad label");
      const [all, name, raw, comma] = lm as unknown as [string, string, string, string];
      if (!LABEL_NAME.test(name) || name.startsWith("__")) fail(`bad label name ${name}`);
      if (Object.prototype.hasOwnProperty.call(labels, name)) fail(`label ${name} twice`);
      labels[name] = unescape(raw, true, fail);
      rest = rest.slice(all.length);
      if (comma === "" && rest.length > 0) fail("labels must be separated by commas");
    }
  }
  return { name: m[1]!, labels, value: parseValue(m[3]!, fail) };
}

function parseValue(v: string, fail: (msg: string) => never): number {
  if (v === "+Inf" || v === "Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  if (v === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) fail(`bad value ${v}`);
  return Number(v);
}

function unescape(s: string, quoteAllowed: boolean, fail: (msg: string) => never): string {
  return s.replace(/\\(.)/g, (_m, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    if (c === '"' && quoteAllowed) return '"';
    return fail(`bad escape \\${c}`);
  });
}

function checkHistogram(fam: PromFamily): void {
  const series = new Map<string, { buckets: { le: number; v: number }[]; count?: number; sum?: number }>();
  for (const s of fam.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${fam.name}_bucket`) {
      if (le === undefined) throw new Error(`${fam.name}: bucket without le`);
      entry.buckets.push({ le: le === "+Inf" ? Infinity : Number(le), v: s.value });
    } else if (s.name === `${fam.name}_count`) entry.count = s.value;
    else if (s.name === `${fam.name}_sum`) entry.sum = s.value;
    else throw new Error(`${fam.name}: unexpected sample ${s.name} in a histogram`);
  }
  for (const e of series.values()) {
    const inf = e.buckets.find((b) => b.le === Infinity);
    if (!inf) throw new Error(`${fam.name}: no +Inf bucket`);
    for (let i = 1; i < e.buckets.length; i++) {
      if (!(e.buckets[i]!.le > e.buckets[i - 1]!.le)) throw new Error(`${fam.name}: buckets not in increasing le order`);
      if (e.buckets[i]!.v < e.buckets[i - 1]!.v) throw new Error(`${fam.name}: buckets are not cumulative`);
    }
    if (e.count === undefined || e.sum === undefined) throw new Error(`${fam.name}: _count or _sum missing`);
    if (e.count !== inf.v) throw new Error(`${fam.name}: _count ${e.count} differs from the +Inf bucket ${inf.v}`);
  }
}
