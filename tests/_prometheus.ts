/**
 * A strict reader of the Prometheus text format 0.0.4 for tests: it throws
 * on anything the format forbids (a sample before its TYPE, families split
 * apart, bad names or escapes, duplicate series, histograms whose buckets
 * are not cumulative or lack +Inf or disagree with `_count`) and returns
 * every sample by its series key, e.g. `ssocket_errors_total{code="NOT_FOUND"}`.
 *
 * @module
 */

/** A parsed exposition. */
export interface Parsed {
  /** Sample value by series key: the name, then `{labels}` sorted by label name. */
  samples: Map<string, number>;
  /** The TYPE of each family. */
  types: Map<string, string>;
  /** The HELP text of each family. */
  help: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const HISTOGRAM_SUFFIXES = ["_bucket", "_sum", "_count"];

/** Parses `text`, throwing an Error that names the line on any violation. */
export function parseExposition(text: string): Parsed {
  if (!text.endsWith("\n")) throw new Error("The exposition must end with a newline");
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const lines = text.slice(0, -1).split("\n");
  const enter = (family: string, at: number) => {
    if (family === current) return;
    if (finished.has(family)) throw new Error(`Line ${at}: family ${family} is split apart`);
    if (current) finished.add(current);
    current = family;
  };
  lines.forEach((line, i) => {
    const at = i + 1;
    if (line === "") throw new Error(`Line ${at}: empty line`);
    if (line.startsWith("#")) {
      const match = line.match(/^# (HELP|TYPE) (\S+) ?(.*)$/);
      if (!match) return; // a plain comment
      const [, kind, name, rest] = match;
      if (!NAME.test(name)) throw new Error(`Line ${at}: bad metric name "${name}"`);
      enter(name, at);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`Line ${at}: unknown type "${rest}"`);
        if (types.has(name)) throw new Error(`Line ${at}: second TYPE for ${name}`);
        if ([...samples.keys()].some((k) => familyOf(k, types) === name)) {
          throw new Error(`Line ${at}: TYPE after samples of ${name}`);
        }
        types.set(name, rest);
      } else {
        if (help.has(name)) throw new Error(`Line ${at}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ""))) throw new Error(`Line ${at}: bad escape`);
        help.set(name, rest);
      }
      return;
    }
    const { name, labels, value } = parseSample(line, at);
    const family = familyOf(name, types);
    enter(family, at);
    const key = seriesKey(name, labels);
    if (samples.has(key)) throw new Error(`Line ${at}: duplicate series ${key}`);
    if (types.get(family) === "counter" && !(value >= 0)) {
      throw new Error(`Line ${at}: counter ${key} is ${value}`);
    }
    samples.set(key, value);
  });
  for (const [family, type] of types) {
    if (type === "histogram") checkHistogram(family, samples);
  }
  return { samples, types, help };
}

/** The series key of a name and labels, as {@linkcode Parsed.samples} uses. */
export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const pairs = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`);
  return pairs.length ? `${name}{${pairs.join(",")}}` : name;
}

function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of HISTOGRAM_SUFFIXES) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && types.get(base) === "histogram") return base;
  }
  return name;
}

function parseSample(line: string, at: number) {
  const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/);
  if (!match) throw new Error(`Line ${at}: not a sample: ${line}`);
  const [, name, labelText, valueText] = match;
  const labels: Record<string, string> = {};
  if (labelText) {
    let rest = labelText.slice(1, -1);
    while (rest.length > 0) {
      const label = rest.match(/^([^=]+)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/);
      if (!label) throw new Error(`Line ${at}: bad labels ${labelText}`);
      const [whole, labelName, raw] = label;
      if (!LABEL_NAME.test(labelName) || labelName.startsWith("__")) {
        throw new Error(`Line ${at}: bad label name "${labelName}"`);
      }
      if (labelName in labels) throw new Error(`Line ${at}: label ${labelName} twice`);
      labels[labelName] = raw.replace(/\\(\\|"|n)/g, (_, c) => c === "n" ? "\n" : c);
      rest = rest.slice(whole.length);
    }
  }
  const value = valueText === "+Inf"
    ? Infinity
    : valueText === "-Inf"
    ? -Infinity
    : valueText === "NaN"
    ? NaN
    : Number(valueText);
  if (Number.isNaN(value) && valueText !== "NaN") {
    throw new Error(`Line ${at}: bad value "${valueText}"`);
  }
  return { name, labels, value };
}

function checkHistogram(family: string, samples: Map<string, number>): void {
  const series = new Map<string, [number, number][]>();
  for (const [key, value] of samples) {
    if (!key.startsWith(`${family}_bucket{`)) continue;
    const le = key.match(/le="([^"]*)"/)![1];
    const rest = key.replace(/,?le="[^"]*"/, "").replace("{,", "{").replace("_bucket", "");
    const bound = le === "+Inf" ? Infinity : Number(le);
    series.set(rest, [...(series.get(rest) ?? []), [bound, value]]);
  }
  for (const [rest, buckets] of series) {
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i][0] <= buckets[i - 1][0]) throw new Error(`${rest}: buckets out of order`);
      if (buckets[i][1] < buckets[i - 1][1]) throw new Error(`${rest}: buckets not cumulative`);
    }
    const last = buckets.at(-1)!;
    if (last[0] !== Infinity) throw new Error(`${rest}: no +Inf bucket`);
    const count = samples.get(rest.replace(family, `${family}_count`).replace("{}", ""));
    if (count !== last[1]) throw new Error(`${rest}: _count ${count} != +Inf bucket ${last[1]}`);
    const sum = samples.get(rest.replace(family, `${family}_sum`).replace("{}", ""));
    if (sum === undefined) throw new Error(`${rest}: no _sum`);
  }
}
