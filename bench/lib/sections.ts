/**
 * The bench report: one Markdown section per scenario (medians over rounds,
 * ratios to bare Deno) and the targets, checked.
 *
 * @module
 */

import { percentile, type RecoveryResult } from "../scenarios/recovery.ts";
import type { LoadResult } from "./load.ts";
import { median, num, ratio, table } from "./report.ts";
import { LABELS, type ServerKind } from "./servers.ts";
import type { IsolationMemoryResult } from "../scenarios/isolation.ts";
import type { EditGrowthResult, HotReloadResult } from "../scenarios/reload.ts";
import { type RoomsSetup, setupLabel } from "../scenarios/rooms.ts";
import type { SequentialResult } from "../scenarios/sequential.ts";
import type { MetricsCostResult } from "../scenarios/metrics_cost.ts";

interface Target {
  name: string;
  measured: string;
  holds: boolean;
}

/** Median of one field over rounds. */
function med(results: LoadResult[], pick: (r: LoadResult) => number): number {
  return median(results.map(pick));
}

function percentileOf(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const rate = (r: LoadResult) => r.count / r.seconds;
const cpuPerOp = (r: LoadResult) => r.serverCpu / r.count * 1e6;

/** Collects sections as scenarios finish and renders the whole report. */
export class Report {
  readonly #sections: string[] = [];
  readonly #targets: Target[] = [];
  readonly #notes: string[] = [];

  constructor(readonly rounds: number) {}

  /** A line for the notes at the end. */
  note(text: string): void {
    this.#notes.push(text);
  }

  /** Echo or stream results: rate, latency, CPU per round trip, vs bare Deno. */
  roundTrips(scenario: string, results: Map<ServerKind, LoadResult[]>): void {
    const bare = results.get("deno");
    const rows = [...results].map(([kind, rs]) => {
      const failed = rs.reduce((n, r) => n + r.errors, 0);
      const lost = rs.reduce((n, r) => n + r.lost, 0);
      return [
        LABELS[kind],
        num(med(rs, rate)),
        bare ? ratio(med(rs, rate), med(bare, rate)) : "–",
        num(med(rs, (r) => r.p50), 2),
        num(med(rs, (r) => r.p99), 2),
        bare ? ratio(med(rs, (r) => r.p99), med(bare, (r) => r.p99)) : "–",
        num(med(rs, cpuPerOp), 1),
        bare ? ratio(med(rs, cpuPerOp), med(bare, cpuPerOp)) : "–",
        `${num(med(rs, (r) => 100 * r.serverCpu / r.seconds))}%`,
        `${num(med(rs, (r) => 100 * r.clientCpu / r.seconds))}%`,
        `${failed} / ${lost}`,
      ];
    });
    this.#sections.push(
      `### ${scenario}\n\n` + table(
        [
          "server",
          "per s",
          "vs bare Deno",
          "p50 ms",
          "p99 ms",
          "p99 vs bare",
          "server CPU µs each",
          "vs bare",
          "server CPU",
          "client CPU",
          "failed / lost",
        ],
        rows,
        "lrrrrrrrrrr",
      ),
    );
    this.#roundTripTargets(scenario, results);
  }

  /** The targets for echo and stream, unpacked and packed. */
  #roundTripTargets(scenario: string, results: Map<ServerKind, LoadResult[]>): void {
    const bare = results.get("deno");
    const ours = results.get("ssocket");
    const packed = results.get("ssocket-pack");
    const p50 = (r: LoadResult) => r.p50;
    if (scenario.startsWith("echo C=50") && bare && ours) {
      const c = med(ours, cpuPerOp) / med(bare, cpuPerOp);
      this.#target(
        "unpacked echo C=50 W=10: server CPU per round trip <= 1.25x bare Deno",
        c,
        c <= 1.25,
      );
      const r = med(ours, rate) / med(bare, rate);
      this.#target("unpacked echo C=50 W=10: throughput >= 0.8x bare Deno", r, r >= 0.8);
    }
    if (scenario.startsWith("echo C=50") && bare && packed) {
      const r = med(packed, rate) / med(bare, rate);
      this.#target("packed echo C=50 W=10: throughput >= 1.5x bare Deno unpacked", r, r >= 1.5);
      const c = med(packed, cpuPerOp) / med(bare, cpuPerOp);
      this.#target("packed echo C=50 W=10: server CPU per call <= 0.6x bare Deno", c, c <= 0.6);
    }
    if (scenario.startsWith("echo C=1") && ours && packed) {
      const p = med(packed, p50) / med(ours, p50);
      this.#target("echo C=1 W=1: p50 latency packed <= 1.05x unpacked", p, p <= 1.05);
    }
    if (scenario.startsWith("stream") && ours && packed) {
      const c = med(packed, cpuPerOp) / med(ours, cpuPerOp);
      this.#target("stream: server CPU per yield packed <= 0.35x unpacked", c, c <= 0.35);
    }
    const sio = results.get("socketio");
    if (scenario.startsWith("echo C=50") && ours && sio) {
      const r = med(ours, rate) / med(sio, rate);
      this.#target(">= 1.5x Socket.IO acknowledged-echo throughput", r, r >= 1.5);
      const c = med(ours, cpuPerOp) / med(sio, cpuPerOp);
      this.#target("<= 0.6x Socket.IO server CPU per round trip", c, c <= 0.6);
    }
  }

  /** Time until every receiver has one broadcast. */
  broadcast(receivers: number, results: Map<ServerKind, LoadResult[]>): void {
    const bare = results.get("deno-broadcast")!;
    const rows = [...results].map(([kind, rs]) => [
      LABELS[kind],
      num(med(rs, (r) => r.p50), 2),
      num(med(rs, (r) => r.p99), 2),
      ratio(med(rs, (r) => r.p50), med(bare, (r) => r.p50)),
      num(med(rs, (r) => r.serverCpu / r.count * 1000), 2),
      String(rs.reduce((n, r) => n + r.lost + r.errors, 0)),
    ]);
    const ours = results.get("ssocket");
    if (ours) {
      const r = med(ours, (x) => x.p50) / med(bare, (x) => x.p50);
      this.#target(
        `BROADCAST to ${receivers}: time until all have it <= 1.1x bare Deno`,
        r,
        r <= 1.1,
      );
    }
    this.#sections.push(
      `### BROADCAST of one message to ${receivers} clients\n\n` +
        table(
          [
            "server",
            `ms until all ${receivers} have it (p50)`,
            "p99 ms",
            "vs bare Deno",
            "server CPU ms per broadcast",
            "missing",
          ],
          rows,
          "lrrrrr",
        ),
    );
  }

  /** Room broadcasts: latency to each member, on one node and across clustered nodes. */
  rooms(members: number, nodes: number, results: Map<RoomsSetup, LoadResult[]>): void {
    const single = results.get("single")!;
    const rows = [...results].map(([setup, rs]) => [
      setupLabel(setup, nodes),
      num(med(rs, (r) => r.p50), 2),
      num(med(rs, (r) => r.p99), 2),
      ratio(med(rs, (r) => r.p50), med(single, (r) => r.p50)),
      num(med(rs, (r) => r.allP50 ?? NaN), 2),
      num(med(rs, (r) => r.serverCpu / r.count * 1000), 2),
      String(rs.reduce((n, r) => n + r.lost + r.errors, 0)),
      String(rs.reduce((n, r) => n + (r.duplicates ?? 0), 0)),
    ]);
    this.#sections.push(
      `### Room broadcast from one sender to ${members} members of one room\n\n` +
        table(
          [
            "setup",
            "p50 ms to each member",
            "p99 ms",
            "p50 vs 1 node",
            "ms until all have it (p50)",
            "servers' CPU ms per broadcast",
            "missing",
            "duplicated",
          ],
          rows,
          "lrrrrrrr",
        ) +
        "\n\nMembers are spread evenly over the nodes, the sender is on the first. One load " +
        "process holds every socket, so send and receipt times come from one clock. The nodes, " +
        "Redis and the load client share this machine's cores; CPU is the nodes' (not Redis').",
    );
  }

  /** Sequential client-library calls: `first()` against `all()`, per-call latency. */
  sequential(calls: number, results: SequentialResult[]): void {
    const row = (label: string, pick: (r: SequentialResult) => number[]) => {
      const p = (q: number) => median(results.map((r) => percentileOf(pick(r), q)));
      return [label, num(p(0.5), 3), num(p(0.99), 3)];
    };
    this.#sections.push(
      `### Sequential calls through the client library (${calls} per mode, one connection)\n\n` +
        table(
          ["read with", "p50 ms per call", "p99 ms"],
          [row("`first()` (then cancel)", (r) => r.first), row("`all()`", (r) => r.all)],
          "lrr",
        ) +
        "\n\nEach call is awaited before the next starts. `first()` cancels the call after its " +
        "first reply; the server answers the cancel at once, so TCP's delayed ACK never holds the " +
        "next request (before that answer, `first()` took about 42 ms per call here).",
    );
  }

  /** Heap per waiting recovery session and resume latency. */
  recovery(results: RecoveryResult[]): void {
    const first = results[0];
    const p = (q: number) => median(results.map((r) => percentile(r.latencies, q)));
    this.#sections.push(
      `### Missed-message recovery (${first.sessions} sessions, ${first.frames} frames each)

` +
        table(
          ["heap per waiting session", "of which frames", "resume p50 ms", "resume p99 ms"],
          [[
            `${num(median(results.map((r) => r.perSession)) / 1024, 1)} KiB`,
            `${num(first.frameBytes / 1024, 1)} KiB`,
            num(p(0.5), 2),
            num(p(0.99), 2),
          ]],
          "rrrr",
        ) +
        "\n\nEach client joins a room through a TCP proxy and is cut off without a close frame; " +
        "100 room broadcasts (about 100 bytes each) are kept for every session. Heap is the " +
        "server's, after GC, divided by the sessions. A resume is timed from the new socket to " +
        "the last of its 100 replayed frames, one client after another.",
    );
  }

  /** Server RSS growth per idle connection. */
  idle(results: Map<ServerKind, LoadResult[]>): void {
    const perConnection = (r: LoadResult) => (r.rssAfter! - r.rssBefore!) / r.count;
    const bare = results.get("deno")!;
    const rows = [...results].map(([kind, rs]) => [
      LABELS[kind],
      num(med(rs, (r) => r.count)),
      num(med(rs, (r) => r.rssBefore! / 1024), 1),
      num(med(rs, (r) => (r.rssAfter! - r.rssBefore!) / 1024), 1),
      num(med(rs, perConnection), 1),
      ratio(med(rs, perConnection), med(bare, perConnection)),
    ]);
    this.#sections.push(
      "### Idle memory per connection (server VmRSS growth)\n\n" +
        table(
          [
            "server",
            "connections",
            "RSS before MiB",
            "growth MiB",
            "KiB per connection",
            "vs bare Deno",
          ],
          rows,
          "lrrrrr",
        ),
    );
    const ours = results.get("ssocket");
    if (ours) {
      const r = med(ours, perConnection) / med(bare, perConnection);
      this.#target("idle memory per connection <= 1.05x bare Deno", r, r <= 1.05);
    }
  }

  /** Requests failed or lost while the echo plug was reloaded every 100 ms. */
  hotReload(r: HotReloadResult): void {
    this.#sections.push(
      "### Hot reload of the echo plug every 100 ms under echo load (C=50 W=10)\n\n" +
        table(
          [
            "edits",
            "reloads",
            "failed reloads",
            "round trips/s before",
            "during (median 100 ms bucket)",
            "dip",
            "worst 100 ms bucket /s",
            "failed requests",
            "lost requests",
          ],
          [[
            String(r.edits),
            String(r.reloads),
            String(r.failedReloads),
            num(r.before),
            num(r.during),
            `${num(100 * (1 - r.during / r.before), 1)}%`,
            num(r.worst),
            String(r.errors),
            String(r.lost),
          ]],
          "rrrrrrrrr",
        ),
    );
    this.#targets.push({
      name: "zero failed or lost requests while a plug reloads every 100 ms",
      measured: `${r.errors} failed, ${r.lost} lost over ${r.reloads} reloads`,
      holds: r.errors === 0 && r.lost === 0 && r.reloads > 0,
    });
  }

  /** Worker isolation against in-process mode: idle RSS with many plugs, growth per edit. */
  isolation(rows: IsolationMemoryResult[]): void {
    this.#sections.push(
      `### Plug isolation: memory (server + plug host)\n\n` +
        table(
          [
            "mode",
            "plugs loaded",
            "idle RSS MiB",
            "edits",
            "RSS at edit 200 MiB",
            "RSS at end MiB",
            "KiB per edit from the 200th",
            "seconds",
          ],
          rows.map((r) => [
            LABELS[r.kind],
            String(r.idlePlugs),
            num(r.idleMiB, 1),
            String(r.edits),
            num(r.rssAt200KiB / 1024, 1),
            num(r.rssAtEndKiB / 1024, 1),
            num((r.rssAtEndKiB - r.rssAt200KiB) / (r.edits - 200), 1),
            num(r.seconds, 1),
          ]),
          "lrrrrrrr",
        ),
    );
  }

  /** RSS growth after many distinct versions of one plug. */
  edits(r: EditGrowthResult): void {
    const growth = r.rssAfterMiB - r.rssBeforeMiB;
    this.#sections.push(
      `### RSS after ${r.edits} distinct edits of one plug\n\n` +
        table(
          [
            "edits",
            "reloads seen",
            "RSS before MiB",
            "RSS after MiB",
            "growth MiB",
            "KiB per edit",
            "seconds",
          ],
          [[
            String(r.edits),
            String(r.reloads),
            num(r.rssBeforeMiB, 1),
            num(r.rssAfterMiB, 1),
            num(growth, 1),
            num(growth * 1024 / r.edits, 1),
            num(r.seconds, 1),
          ]],
          "rrrrrrr",
        ),
    );
    this.#targets.push({
      name: `RSS growth after ${r.edits} edits of one plug: reported (explained if > 50 MB)`,
      measured: `${num(growth, 1)} MiB`,
      holds: true,
    });
  }

  /** Echo with metrics on vs off: server CPU per round trip first, then throughput. */
  metricsCost(r: MetricsCostResult): void {
    const row = (label: string, rs: LoadResult[]) => [
      label,
      num(med(rs, cpuPerOp), 2),
      num(med(rs, rate)),
      num(med(rs, (x) => x.p99), 2),
      `${rs.reduce((n, x) => n + x.errors + x.lost, 0)}`,
    ];
    // Each round runs "on" and "off" back to back, so the machine's drift
    // between rounds cancels in the round's own ratio: the median of those.
    const paired = (pick: (x: LoadResult) => number) =>
      median(r.on.map((on, i) => pick(on) / pick(r.off[i])));
    const cpu = paired(cpuPerOp);
    const throughput = paired(rate);
    this.#sections.push(
      "### metrics on vs off (echo C=50 W=10)\n\n" + table(
        ["metrics", "server CPU µs each", "per s", "p99 ms", "failed + lost"],
        [row("on (default)", r.on), row("off (--metrics.isOn false)", r.off)],
        "lrrrr",
      ) +
        `\n\nOn/off, the median of each round's own ratio over ${r.on.length} rounds: server CPU per round trip ` +
        `${cpu.toFixed(3)}x, throughput ${throughput.toFixed(3)}x. The "on" server counted ` +
        `${r.counted} echo messages.` +
        (r.pinned
          ? " Servers ran on CPU 0 and the load client on CPU 1."
          : " Not pinned to separate cores (no taskset or one CPU): expect more noise."),
    );
    this.#target("echo throughput with metrics on >= 0.97x off", throughput, throughput >= 0.97);
    this.#target("echo server CPU per round trip with metrics on <= 1.03x off", cpu, cpu <= 1.03);
  }

  /** A scenario that renders its own Markdown (binary echo, input streams). */
  section(title: string, markdown: string): void {
    this.#sections.push(`### ${title}\n\n${markdown.trim()}`);
  }

  /** The SYNC delta bench's own Markdown. */
  delta(markdown: string): void {
    this.#sections.push(`### SYNC delta codec (bench/delta_bench.ts)\n\n${markdown.trim()}`);
  }

  /** The whole report. */
  render(machine: string, minutes: number): string {
    const targets = this.#targets.length
      ? "### Targets\n\n" + table(
        ["target", "measured", "holds"],
        this.#targets.map((t) => [t.name, t.measured, t.holds ? "yes" : "**no**"]),
      )
      : "";
    return [
      "## ssocket bench",
      "",
      machine,
      `- Medians over ${this.rounds} round(s) per scenario, servers alternating; ` +
      `whole run ${minutes.toFixed(1)} min`,
      "- Load client: bench/load/client.ts, one Deno process over a minimal raw WebSocket client " +
      "(bench/load/raw_ws.ts); Socket.IO: socket.io-client under node, one process",
      "- CPU: the server process's utime + stime from /proc/PID/stat over the measured window",
      "",
      ...[targets, ...this.#sections].filter(Boolean).flatMap((s) => [s, ""]),
      ...this.#notes.map((n) => `- ${n}`),
    ].join("\n").trimEnd();
  }

  #target(name: string, value: number, holds: boolean): void {
    this.#targets.push({ name, measured: `${value.toFixed(2)}x`, holds });
  }
}
