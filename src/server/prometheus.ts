/**
 * The Prometheus text exposition format, version 0.0.4, written by hand: a
 * family is `# HELP`, `# TYPE`, then its samples, all together; label values
 * escape `\`, `"` and newlines; a histogram has cumulative `_bucket` samples
 * ending in `le="+Inf"`, then `_sum` and `_count`. Pure; the runtime's values
 * are passed in at scrape time.
 *
 * @example
 * ```ts
 * import { Exposition } from "./prometheus.ts";
 * const out = new Exposition();
 * out.counter("ssocket_errors_total", "Errors sent, by code.", [[{ code: "NOT_FOUND" }, 2]]);
 * console.log(out.text());
 * // # HELP ssocket_errors_total Errors sent, by code.
 * // # TYPE ssocket_errors_total counter
 * // ssocket_errors_total{code="NOT_FOUND"} 2
 * ```
 * @module
 */

/** The Content-Type of the text format. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label names to values. */
export type Labels = Readonly<Record<string, string>>;
/** One sample of a counter or gauge: its labels and value. */
export type Sample = readonly [Labels, number];

/** One labelled series of a histogram. */
export interface HistogramSeries {
  /** Its labels (without `le`). */
  labels: Labels;
  /** Upper bounds of the buckets, ascending, without +Inf. */
  bounds: readonly number[];
  /** Observations per bucket, not cumulative; one more slot than `bounds` for +Inf. */
  counts: ArrayLike<number>;
  /** Sum of the observations. */
  sum: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Builds one exposition, family by family. */
export class Exposition {
  readonly #lines: string[] = [];
  readonly #names = new Set<string>();

  /** Adds a counter family; `name` should end in `_total`. */
  counter(name: string, help: string, samples: readonly Sample[] | number): this {
    return this.#family(name, help, "counter", samples);
  }

  /** Adds a gauge family. */
  gauge(name: string, help: string, samples: readonly Sample[] | number): this {
    return this.#family(name, help, "gauge", samples);
  }

  /** Adds a histogram family. */
  histogram(name: string, help: string, series: readonly HistogramSeries[]): this {
    this.#header(name, help, "histogram");
    for (const { labels, bounds, counts, sum } of series) {
      let cumulative = 0;
      for (let i = 0; i < bounds.length; i++) {
        cumulative += counts[i];
        this.#sample(`${name}_bucket`, { ...labels, le: formatValue(bounds[i]) }, cumulative);
      }
      cumulative += counts[bounds.length];
      this.#sample(`${name}_bucket`, { ...labels, le: "+Inf" }, cumulative);
      this.#sample(`${name}_sum`, labels, sum);
      this.#sample(`${name}_count`, labels, cumulative);
    }
    return this;
  }

  /** The exposition text, ending with a newline. */
  text(): string {
    return this.#lines.join("\n") + "\n";
  }

  #family(name: string, help: string, type: string, samples: readonly Sample[] | number): this {
    this.#header(name, help, type);
    if (typeof samples === "number") this.#sample(name, {}, samples);
    else for (const [labels, value] of samples) this.#sample(name, labels, value);
    return this;
  }

  #header(name: string, help: string, type: string): void {
    if (!NAME.test(name)) throw new TypeError(`Invalid metric name "${name}"`);
    if (this.#names.has(name)) throw new TypeError(`Metric "${name}" is already written`);
    this.#names.add(name);
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  #sample(name: string, labels: Labels, value: number): void {
    const pairs = Object.entries(labels).map(([label, text]) => {
      if (!LABEL_NAME.test(label) || label.startsWith("__")) {
        throw new TypeError(`Invalid label name "${label}"`);
      }
      return `${label}="${escapeLabel(text)}"`;
    });
    const set = pairs.length > 0 ? `{${pairs.join(",")}}` : "";
    this.#lines.push(`${name}${set} ${formatValue(value)}`);
  }
}

/** A sample value as the format writes it: `+Inf`, `-Inf`, `NaN` or a JS number. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
