/**
 * SYNC delta benchmark: bytes on the wire and encode / decode time per update
 * for four scenarios of successive JSON states, comparing full JSON frames,
 * the original serverless-sockets positional diff, npm:fossil-delta and
 * ssocket's codec (src/protocol/delta.ts).
 *
 * Run standalone with `deno run -A bench/delta_bench.ts` (prints the table
 * and writes bench/results/delta.md), or call {@linkcode runDeltaBench} from
 * the bench runner.
 *
 * @example
 * ```ts
 * import { runDeltaBench } from "./delta_bench.ts";
 * console.log(await runDeltaBench());
 * ```
 * @module
 */

import { applyDelta, createDelta } from "../src/protocol/delta.ts";
import { prng } from "../tests/_random.ts";

/** The part of npm:fossil-delta (2.x) the bench uses. */
interface Fossil {
  createDelta(source: Uint8Array, target: Uint8Array): Uint8Array;
  applyDelta(source: Uint8Array, delta: Uint8Array): Uint8Array;
}

/**
 * Loads fossil-delta: through the import map ("fossil-delta" in
 * import_map.json), else by its npm: specifier. bench/ holds a package.json
 * for the Node reference servers, so Deno resolves bare and npm: specifiers
 * here from bench/node_modules; a run with `--node-modules-dir=none` (which
 * the standalone entry point falls back to) uses the Deno npm cache instead.
 */
async function loadFossil(): Promise<Fossil | null> {
  for (const specifier of ["fossil-delta", "npm:fossil-delta@2.0.0"]) {
    try {
      return (await import(specifier)) as Fossil;
    } catch {
      // try the next way
    }
  }
  return null;
}

/** Seed of the PRNG that builds every scenario, so runs are comparable. */
const SEED = 0x5eed_de17;
/** Time budget per method and scenario for the repeated timing runs. */
const TIME_BUDGET_MS = 1500;
/** Fewest / most timing repetitions of a whole update sequence. */
const MIN_REPS = 3;
const MAX_REPS = 15;
const RESULTS_PATH = new URL("./results/delta.md", import.meta.url);

const utf8 = new TextEncoder();

/** A scenario: successive states as UTF-8 JSON, the first one is the initial state. */
interface Scenario {
  name: string;
  states: Uint8Array[];
}

const WORDS = (
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " +
  "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud " +
  "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure " +
  "reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat"
).split(" ");

function words(random: () => number, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(WORDS[Math.floor(random() * WORDS.length)]);
  return out.join(" ");
}

function encodeState(value: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(value));
}

/** (a) ~20 counters change inside a ~800 KB object of 6,000 entries. */
function countersScenario(random: () => number): Scenario {
  const stats: Record<string, { views: number; likes: number; label: string; updated: number }> =
    {};
  const keys: string[] = [];
  for (let i = 0; i < 6000; i++) {
    const key = `page-${i.toString(36)}-${Math.floor(random() * 1e6)}`;
    keys.push(key);
    stats[key] = {
      views: Math.floor(random() * 100000),
      likes: Math.floor(random() * 1000),
      label: words(random, 8),
      updated: 1700000000000 + Math.floor(random() * 1e9),
    };
  }
  const state = { kind: "dashboard", version: 1, stats };
  const states = [encodeState(state)];
  for (let u = 0; u < 30; u++) {
    state.version++;
    for (let c = 0; c < 20; c++) {
      const entry = stats[keys[Math.floor(random() * keys.length)]];
      entry.views += 1 + Math.floor(random() * 50);
      if (random() < 0.3) entry.likes++;
      entry.updated += Math.floor(random() * 100000);
    }
    states.push(encodeState(state));
  }
  return { name: "(a) counters in an 800 KB object", states };
}

/** (b) 1-3 new items are inserted at the front of a 4,000-item list. */
function frontInsertScenario(random: () => number): Scenario {
  let nextId = 1;
  const item = () => ({
    id: nextId++,
    author: `user${Math.floor(random() * 500)}`,
    text: words(random, 6 + Math.floor(random() * 14)),
    at: 1700000000000 + nextId * 1000,
    reactions: { up: Math.floor(random() * 20), down: Math.floor(random() * 3) },
  });
  const items = Array.from({ length: 4000 }, item).reverse();
  const state = { channel: "general", items };
  const states = [encodeState(state)];
  for (let u = 0; u < 30; u++) {
    const n = 1 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) items.unshift(item());
    states.push(encodeState(state));
  }
  return { name: "(b) items inserted at the front of a list", states };
}

/** (c) 5 cells change in a 3,000 x 8 table. */
function tableScenario(random: () => number): Scenario {
  const columns = ["id", "sku", "name", "price", "stock", "warehouse", "status", "updated"];
  const statuses = ["active", "paused", "sold-out", "archived"];
  const rows = Array.from({ length: 3000 }, (_, i) => [
    i,
    `SKU-${(100000 + Math.floor(random() * 900000)).toString()}`,
    words(random, 3),
    Math.round(random() * 100000) / 100,
    Math.floor(random() * 500),
    `WH-${Math.floor(random() * 20)}`,
    statuses[Math.floor(random() * statuses.length)],
    1700000000 + Math.floor(random() * 1e7),
  ]);
  const state = { columns, rows };
  const states = [encodeState(state)];
  for (let u = 0; u < 30; u++) {
    for (let c = 0; c < 5; c++) {
      const row = rows[Math.floor(random() * rows.length)];
      const col = 3 + Math.floor(random() * 5);
      if (col === 3) row[3] = Math.round(random() * 100000) / 100;
      else if (col === 4) row[4] = Math.floor(random() * 500);
      else if (col === 5) row[5] = `WH-${Math.floor(random() * 20)}`;
      else if (col === 6) row[6] = statuses[Math.floor(random() * statuses.length)];
      else row[7] = (row[7] as number) + Math.floor(random() * 1000);
    }
    states.push(encodeState(state));
  }
  return { name: "(c) a few cells of a 3,000-row table", states };
}

/** (d) a 1-8 KB span of a ~400 KB text is cut and re-inserted elsewhere. */
function moveTextScenario(random: () => number): Scenario {
  const paragraphs: string[] = [];
  let size = 0;
  while (size < 400_000) {
    const p = words(random, 20 + Math.floor(random() * 100)) + ".";
    paragraphs.push(p);
    size += p.length + 2;
  }
  let body = paragraphs.join("\n\n");
  const state = { title: "Draft", revision: 1, body };
  const states = [encodeState(state)];
  for (let u = 0; u < 25; u++) {
    const length = 1000 + Math.floor(random() * 7000);
    const from = Math.floor(random() * (body.length - length));
    const cut = body.slice(from, from + length);
    const rest = body.slice(0, from) + body.slice(from + length);
    const to = Math.floor(random() * rest.length);
    body = rest.slice(0, to) + cut + rest.slice(to);
    state.body = body;
    state.revision++;
    states.push(encodeState(state));
  }
  return { name: "(d) a text span cut and re-added elsewhere", states };
}

/** An encoder / decoder pair from state bytes to wire bytes and back. */
interface Method {
  name: string;
  encode(base: Uint8Array, target: Uint8Array): Uint8Array;
  decode(base: Uint8Array, wire: Uint8Array): Uint8Array;
  /** Wire size without encoding, for methods too slow to run on every update. */
  size?(base: Uint8Array, target: Uint8Array): number;
}

/** Slow methods are timed (and checked) on this many updates; their bytes use `size`. */
const SLOW_TIMED_UPDATES = 3;

/**
 * The original serverless-sockets SYNC diff, by position: every index where
 * the new byte differs from the old one (or is past the old end) becomes an
 * `[index, byte]` pair, sent as UTF-8 JSON `{"l":newLength,"d":[[i,b],...]}`.
 * The original also skipped changed bytes whose new value was 0 (a bug); this
 * re-implementation keeps them, which never matters for UTF-8 JSON states.
 */
function positionalEncode(base: Uint8Array, target: Uint8Array): Uint8Array {
  const changes: [number, number][] = [];
  for (let i = 0; i < target.length; i++) {
    if (i >= base.length || base[i] !== target[i]) changes.push([i, target[i]]);
  }
  return utf8.encode(JSON.stringify({ l: target.length, d: changes }));
}

/** The exact byte length {@linkcode positionalEncode} produces, without building it. */
function positionalSize(base: Uint8Array, target: Uint8Array): number {
  // {"l":N,"d":[ ... ]} and, per change, [i,b] plus a comma between pairs.
  let size = `{"l":${target.length},"d":[]}`.length;
  let changes = 0;
  for (let i = 0; i < target.length; i++) {
    if (i >= base.length || base[i] !== target[i]) {
      changes++;
      size += 3 + String(i).length + String(target[i]).length;
    }
  }
  return size + Math.max(0, changes - 1);
}

function positionalDecode(base: Uint8Array, wire: Uint8Array): Uint8Array {
  const { l, d } = JSON.parse(new TextDecoder().decode(wire)) as {
    l: number;
    d: [number, number][];
  };
  const out = new Uint8Array(l);
  out.set(base.subarray(0, Math.min(l, base.length)));
  for (const [i, b] of d) out[i] = b;
  return out;
}

function methods(fossil: Fossil): Method[] {
  return [
    { name: "full JSON", encode: (_base, target) => target.slice(), decode: (_b, w) => w.slice() },
    {
      name: "positional (original)",
      encode: positionalEncode,
      decode: positionalDecode,
      size: positionalSize,
    },
    {
      name: "fossil-delta",
      encode: (b, t) => fossil.createDelta(b, t),
      decode: (b, w) => fossil.applyDelta(b, w),
    },
    { name: "ssocket delta", encode: createDelta, decode: (b, w) => applyDelta(b, w) },
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Row {
  scenario: string;
  method: string;
  stateKb: number;
  updates: number;
  totalBytes: number;
  encodeMs: number;
  decodeMs: number;
}

/**
 * Times one method over the update sequence: every run encodes (or decodes)
 * each update once; the per-update time is the median over runs of the mean.
 */
function measure(method: Method, states: Uint8Array[]): Omit<Row, "scenario" | "stateKb"> {
  const updates = states.length - 1;
  const timed = method.size ? Math.min(updates, SLOW_TIMED_UPDATES) : updates;
  const wires: Uint8Array[] = [];
  let totalBytes = 0;
  for (let i = 1; i <= updates; i++) {
    if (i > timed) {
      totalBytes += method.size!(states[i - 1], states[i]);
      continue;
    }
    const wire = method.encode(states[i - 1], states[i]);
    if (!sameBytes(method.decode(states[i - 1], wire), states[i])) {
      throw new Error(`${method.name} does not round-trip update ${i}`);
    }
    if (method.size && method.size(states[i - 1], states[i]) !== wire.length) {
      throw new Error(`${method.name} size() disagrees with encode() on update ${i}`);
    }
    wires.push(wire);
    totalBytes += wire.length;
  }
  const encodeRuns: number[] = [];
  const decodeRuns: number[] = [];
  const started = performance.now();
  while (
    encodeRuns.length < MIN_REPS ||
    (encodeRuns.length < MAX_REPS && performance.now() - started < TIME_BUDGET_MS)
  ) {
    let t0 = performance.now();
    for (let i = 1; i <= timed; i++) method.encode(states[i - 1], states[i]);
    encodeRuns.push((performance.now() - t0) / timed);
    t0 = performance.now();
    for (let i = 1; i <= timed; i++) method.decode(states[i - 1], wires[i - 1]);
    decodeRuns.push((performance.now() - t0) / timed);
    if (method.size) break;
  }
  return {
    method: method.name,
    updates,
    totalBytes,
    encodeMs: median(encodeRuns),
    decodeMs: median(decodeRuns),
  };
}

/** Timed encodes of each first SYNC per method, taken in turns so load hits all alike. */
const FIRST_REPS = 15;

/**
 * Times the first SYNC of a stream (a delta against empty bytes) for each
 * method, alternating between them run by run; checks each round-trips.
 */
function measureFirst(
  methods: Method[],
  state: Uint8Array,
): { bytes: number; encodeMs: number }[] {
  const empty = new Uint8Array(0);
  const results = methods.map((method) => {
    const wire = method.encode(empty, state);
    if (!sameBytes(method.decode(empty, wire), state)) {
      throw new Error(`${method.name} does not round-trip the first SYNC`);
    }
    return { bytes: wire.length, runs: [] as number[] };
  });
  for (let i = 0; i < FIRST_REPS; i++) {
    methods.forEach((method, m) => {
      const t0 = performance.now();
      method.encode(empty, state);
      results[m].runs.push(performance.now() - t0);
    });
  }
  return results.map(({ bytes, runs }) => ({ bytes, encodeMs: median(runs) }));
}

function formatBytes(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * Runs every scenario and returns the results as Markdown: the main table
 * (updates only), ssocket / fossil ratios, and the first-SYNC table.
 *
 * @returns a Markdown document with the result tables
 */
export async function runDeltaBench(): Promise<string> {
  const fossil = await loadFossil();
  if (fossil === null) {
    throw new Error(
      "Cannot load fossil-delta: add it to bench/package.json, or run with --node-modules-dir=none",
    );
  }
  const METHODS = methods(fossil);
  const random = prng(SEED);
  const scenarios = [
    countersScenario(random),
    frontInsertScenario(random),
    tableScenario(random),
    moveTextScenario(random),
  ];
  const rows: Row[] = [];
  const firsts: string[] = [];
  for (const scenario of scenarios) {
    const stateKb = scenario.states[scenario.states.length - 1].length / 1024;
    for (const method of METHODS) {
      rows.push({ scenario: scenario.name, stateKb, ...measure(method, scenario.states) });
    }
    const [fossil, ours] = measureFirst([METHODS[2], METHODS[3]], scenario.states[0]);
    firsts.push(
      `| ${scenario.name} | ${formatBytes(scenario.states[0].length)} | ${
        formatBytes(fossil.bytes)
      } | ${formatBytes(ours.bytes)} | ${fossil.encodeMs.toFixed(2)} | ${
        ours.encodeMs.toFixed(2)
      } |`,
    );
  }

  const lines = [
    "Bytes are summed over all updates of a scenario (the initial state is not counted);",
    "times are per update, median over repeated runs of the whole sequence, state bytes in",
    "and out (JSON.stringify/parse not included). The positional diff is timed on its first",
    `${SLOW_TIMED_UPDATES} updates of each scenario only (one run); its bytes cover every update.`,
    "",
    "| scenario | state | updates | method | total bytes | bytes/update | encode ms | decode ms |",
    "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.scenario} | ${row.stateKb.toFixed(0)} KB | ${row.updates} | ${row.method} | ${
        formatBytes(row.totalBytes)
      } | ${formatBytes(Math.round(row.totalBytes / row.updates))} | ${row.encodeMs.toFixed(3)} | ${
        row.decodeMs.toFixed(3)
      } |`,
    );
  }
  lines.push(
    "",
    "ssocket / fossil-delta (below 1 means ssocket is smaller or faster):",
    "",
    "| scenario | bytes | encode time | decode time |",
    "| --- | ---: | ---: | ---: |",
  );
  for (const scenario of scenarios) {
    const fossil = rows.find((r) => r.scenario === scenario.name && r.method === "fossil-delta")!;
    const ours = rows.find((r) => r.scenario === scenario.name && r.method === "ssocket delta")!;
    lines.push(
      `| ${scenario.name} | ${(ours.totalBytes / fossil.totalBytes).toFixed(3)} | ${
        (ours.encodeMs / fossil.encodeMs).toFixed(2)
      } | ${(ours.decodeMs / fossil.decodeMs).toFixed(2)} |`,
    );
  }
  lines.push(
    "",
    `First SYNC of a stream (a delta against empty bytes; median of ${FIRST_REPS} encodes, fossil`,
    "and ssocket taken in turns):",
    "",
    "| scenario | JSON bytes | fossil bytes | ssocket bytes | fossil encode ms | ssocket encode ms |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...firsts,
  );
  return lines.join("\n") + "\n";
}

if (import.meta.main && (await loadFossil()) === null) {
  // bench/package.json puts this directory in manual node_modules mode and
  // does not list fossil-delta: run again on the Deno npm cache instead.
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--node-modules-dir=none", import.meta.filename!],
  }).spawn().status;
  Deno.exit(code);
} else if (import.meta.main) {
  const started = performance.now();
  const table = await runDeltaBench();
  console.log(table);
  await Deno.writeTextFile(
    RESULTS_PATH,
    `# SYNC delta benchmark\n\nDeno ${Deno.version.deno}, ${
      new Date().toISOString().slice(0, 10)
    }, \`deno run -A bench/delta_bench.ts\`.\n\n${table}`,
  );
  console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
