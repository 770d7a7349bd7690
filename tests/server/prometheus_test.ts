import assert from "node:assert/strict";
import { Exposition, formatValue } from "../../src/server/prometheus.ts";
import { parseExposition, seriesKey } from "../_prometheus.ts";

Deno.test("Exposition writes HELP, TYPE and samples that the strict reader accepts", () => {
  const text = new Exposition()
    .gauge("g", "A gauge.", 3)
    .counter("c_total", "Help with \\ and\nnewline.", [
      [{ code: 'quote " backslash \\ newline \n' }, 2],
      [{ code: "B" }, 0],
    ])
    .histogram("h_seconds", "A histogram.", [
      { labels: { event: "a" }, bounds: [0.1, 1], counts: [1, 2, 3], sum: 9.5 },
      { labels: { event: "b" }, bounds: [0.1, 1], counts: [0, 0, 0], sum: 0 },
    ])
    .text();
  const parsed = parseExposition(text);
  assert.equal(parsed.types.get("c_total"), "counter");
  assert.equal(parsed.help.get("c_total"), "Help with \\\\ and\\nnewline.");
  assert.equal(
    parsed.samples.get(seriesKey("c_total", { code: 'quote " backslash \\ newline \n' })),
    2,
  );
  assert.equal(parsed.samples.get(seriesKey("h_seconds_bucket", { event: "a", le: "0.1" })), 1);
  assert.equal(parsed.samples.get(seriesKey("h_seconds_bucket", { event: "a", le: "1" })), 3);
  assert.equal(parsed.samples.get(seriesKey("h_seconds_bucket", { event: "a", le: "+Inf" })), 6);
  assert.equal(parsed.samples.get(seriesKey("h_seconds_count", { event: "a" })), 6);
  assert.equal(parsed.samples.get(seriesKey("h_seconds_sum", { event: "a" })), 9.5);
  assert.match(text, /^# HELP g A gauge\.\n# TYPE g gauge\ng 3\n/);
});

Deno.test("Exposition refuses bad metric and label names and a family written twice", () => {
  assert.throws(() => new Exposition().gauge("1bad", "x", 1), TypeError);
  assert.throws(() => new Exposition().gauge("ok", "x", [[{ "bad-label": "v" }, 1]]), TypeError);
  assert.throws(() => new Exposition().gauge("ok", "x", [[{ __reserved: "v" }, 1]]), TypeError);
  assert.throws(() => new Exposition().gauge("ok", "x", 1).counter("ok", "y", 1), TypeError);
});

Deno.test("formatValue() writes infinities and NaN as the format spells them", () => {
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(-Infinity), "-Inf");
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(0.25), "0.25");
});

Deno.test("parseExposition() rejects what the format forbids", () => {
  const bad = [
    "a 1", // no final newline
    "# TYPE a counter\na 1\n# TYPE b gauge\nb 1\na 2\n", // family split apart
    "a 1\n# TYPE a counter\n", // TYPE after a sample
    '# TYPE a counter\na{x="1"} 1\na{x="1"} 2\n', // duplicate series
    "# TYPE a counter\na -1\n", // negative counter
    '# TYPE a gauge\na{x="\\q"} 1\n', // bad escape
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', // no +Inf
    "# TYPE a gauge\na one\n",
  ];
  for (const text of bad) assert.throws(() => parseExposition(text), Error, JSON.stringify(text));
});
