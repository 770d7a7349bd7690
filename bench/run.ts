/**
 * `deno task bench`: ssocket against bare Deno, node ws and Socket.IO, all
 * on 127.0.0.1, every server and load client in its own process. Prints
 * Markdown tables (medians over alternating rounds, ratios to bare Deno) and
 * writes them to bench/results/latest.md. Takes about 10 minutes on 2 cores
 * (each report's header has the measured "whole run" time).
 *
 * Flags:
 * - `--quick`: one short round of echo C=50/W=10, bare Deno and ssocket (unpacked and packed) only,
 *   nothing written unless `--out` is given (the smoke test uses it)
 * - `--rounds N`: rounds per scenario (default 3)
 * - `--only a,b`: scenarios by name: echo, echo1 (both also packed), stream
 *   (unpacked and packed), metrics, broadcast (10,000 receivers),
 *   idle, reload, edits, delta, rooms (needs `redis-server`; the bench starts its own),
 *   sequential, binary (64 KiB binary echo vs bare Deno), input (100k inputs into one call),
 *   isolation (worker mode's memory: 50 idle plugs, 2000 edits; `--edits N` for fewer),
 *   recovery (200 waiting sessions of 100 frames, then every one resumes)
 * - `--out PATH`: where to write the report
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { stopAll } from "./lib/proc.ts";
import { machineInfo } from "./lib/report.ts";
import type { ServerKind } from "./lib/servers.ts";
import { throughput } from "./scenarios/throughput.ts";
import { broadcast, idleMemory } from "./scenarios/fanout.ts";
import { editGrowth, hotReload } from "./scenarios/reload.ts";
import { rooms } from "./scenarios/rooms.ts";
import { binaryEcho, inputStream, renderBinary } from "./scenarios/binary.ts";
import { isolationMemory } from "./scenarios/isolation.ts";
import { REDIS_MISSING } from "./lib/redis.ts";
import { metricsCost } from "./scenarios/metrics_cost.ts";
import { Report } from "./lib/sections.ts";
import { sequentialCalls } from "./scenarios/sequential.ts";
import { recovery } from "./scenarios/recovery.ts";

const ALL = [
  "echo",
  "echo1",
  "stream",
  "metrics",
  "broadcast",
  "idle",
  "reload",
  "edits",
  "delta",
  "rooms",
  "sequential",
  "binary",
  "input",
  "isolation",
  "recovery",
];
/** Receivers of one BROADCAST, and idle connections opened: the 10,000. */
const BROADCAST_RECEIVERS = 10_000;
const IDLE_CONNECTIONS = 10_000;
const NODE_DIR = fileURLToPath(new URL("./node/", import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL("./results/latest.md", import.meta.url));
const DELTA_BENCH = new URL("./delta_bench.ts", import.meta.url);

interface Options {
  quick: boolean;
  rounds: number;
  only: string[];
  out?: string;
  /** Distinct edits in the isolation scenario. */
  edits: number;
}

function parseArgs(args: string[]): Options {
  const options: Options = { quick: false, rounds: 3, only: ALL, edits: 2000 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--rounds") options.rounds = Math.max(1, Number(args[++i]));
    else if (arg === "--only") options.only = args[++i].split(",");
    else if (arg === "--out") options.out = args[++i];
    else if (arg === "--edits") options.edits = Math.max(201, Number(args[++i]));
    else throw new TypeError(`Unknown flag "${arg}"; see bench/run.ts for the flags`);
  }
  const unknown = options.only.filter((name) => !ALL.includes(name));
  if (unknown.length) throw new TypeError(`Unknown scenario "${unknown[0]}"; one of ${ALL}`);
  if (options.quick) {
    options.rounds = 1;
    options.only = ["echo"];
  } else {
    options.out ??= DEFAULT_OUT;
  }
  return options;
}

/** Installs the node references' exact versions from bench/node/package-lock.json. */
async function ensureNodeDeps(progress: (line: string) => void): Promise<boolean> {
  if (existsSync(`${NODE_DIR}node_modules/socket.io-client`)) return true;
  progress("Installing bench/node dependencies (npm ci)…");
  try {
    const out = await new Deno.Command("npm", {
      args: ["ci", "--no-audit", "--no-fund", "--loglevel=error"],
      cwd: NODE_DIR,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.success) return true;
    progress(new TextDecoder().decode(out.stderr));
  } catch (err) {
    progress(`npm not available: ${err}`);
  }
  return false;
}

/** Runs the scenarios and writes the report; resolves false if a scenario failed. */
async function main(): Promise<boolean> {
  let failed = false;
  const options = parseArgs(Deno.args);
  const started = performance.now();
  const progress = (line: string) =>
    console.error(
      // Section headings carry the time since the start: the whole run must stay under 10 minutes.
      line.startsWith(" ")
        ? line
        : `[${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`,
    );
  const want = (name: string) => options.only.includes(name);
  const report = new Report(options.rounds);
  const references: ServerKind[] = options.quick ? [] : ["ws", "socketio"];
  if (references.length && !(await ensureNodeDeps(progress))) {
    report.note("node ws and Socket.IO skipped: `npm ci` in bench/node failed.");
    references.length = 0;
  }
  const timing = options.quick
    ? { warmupMs: 300, durationMs: 1000 }
    : { warmupMs: 1000, durationMs: 3000 };

  if (want("echo")) {
    progress("echo, 50 connections x 10 in flight");
    const results = await throughput({
      mode: "echo",
      kinds: ["deno", "ssocket", "ssocket-deno", "ssocket-pack", "ssocket-worker", ...references],
      connections: 50,
      window: 10,
      rounds: options.rounds,
      ...timing,
    }, progress);
    report.roundTrips("echo C=50 W=10", results);
  }
  if (want("echo1")) {
    progress("echo, 1 connection x 1 in flight");
    const results = await throughput({
      mode: "echo",
      kinds: ["deno", "ssocket", "ssocket-deno", "ssocket-pack", ...references],
      connections: 1,
      window: 1,
      rounds: options.rounds,
      warmupMs: 500,
      durationMs: 2000,
    }, progress);
    report.roundTrips("echo C=1 W=1", results);
  }
  if (want("stream")) {
    progress("stream of 20 yields per call, 50 connections x 10 calls in flight");
    const results = await throughput({
      mode: "stream",
      kinds: ["ssocket", "ssocket-pack"],
      connections: 50,
      window: 10,
      rounds: options.rounds,
      ...timing,
    }, progress);
    report.roundTrips("stream (20 yields + end) C=50 W=10, per call", results);
  }
  if (want("metrics")) {
    progress("echo with metrics on vs off, 50 connections x 10 in flight");
    // Shorter windows than the other scenarios, more rounds: pinned rounds
    // vary less, and the run must stay under 10 minutes.
    const result = await metricsCost({
      connections: 50,
      window: 10,
      rounds: Math.max(options.rounds, 8),
      warmupMs: timing.warmupMs / 2,
      durationMs: timing.durationMs / 2,
    }, progress);
    report.metricsCost(result);
  }
  if (want("broadcast")) {
    progress(`broadcast to ${BROADCAST_RECEIVERS} clients`);
    const results = await broadcast(
      { receivers: BROADCAST_RECEIVERS, repeats: 30, rounds: options.rounds },
      progress,
    );
    report.broadcast(BROADCAST_RECEIVERS, results);
  }
  if (want("idle")) {
    progress(`idle memory, ${IDLE_CONNECTIONS} connections`);
    const results = await idleMemory(
      { connections: IDLE_CONNECTIONS, rounds: options.rounds },
      progress,
    );
    report.idle(results);
  }
  if (want("reload")) {
    progress("hot reload of the echo plug every 100 ms under echo load (C=50 W=10)");
    const result = await hotReload({
      connections: 50,
      window: 10,
      warmupMs: 1000,
      baselineMs: 3000,
      reloadMs: 10_000,
      intervalMs: 100,
    });
    progress(`  ${result.reloads} reloads, ${result.errors} failed, ${result.lost} lost`);
    report.hotReload(result);
  }
  if (want("edits")) {
    progress("1000 distinct edits of one plug");
    const result = await editGrowth(1000);
    progress(`  RSS ${result.rssBeforeMiB.toFixed(1)} -> ${result.rssAfterMiB.toFixed(1)} MiB`);
    report.edits(result);
  }
  if (want("isolation")) {
    progress(`isolation: 50 idle plugs, then ${options.edits} edits of one plug, in both modes`);
    const rows = [];
    for (const kind of ["ssocket", "ssocket-worker"] as const) {
      const row = await isolationMemory(kind, options.edits);
      progress(
        `  ${kind}: idle ${
          row.idleMiB.toFixed(1)
        } MiB, ${row.rssAt200KiB} -> ${row.rssAtEndKiB} KiB`,
      );
      rows.push(row);
    }
    report.isolation(rows);
  }
  if (want("rooms")) {
    const room = { members: 300, nodes: 3, broadcasts: 50 };
    progress(
      `room broadcast to ${room.members} members, on 1 node and on ${room.nodes} nodes + Redis`,
    );
    try {
      const results = await rooms({ ...room, rounds: options.rounds }, progress);
      report.rooms(room.members, room.nodes, results);
    } catch (err) {
      // The other scenarios' minutes of results are still written. Without
      // Redis the section is skipped, like the node references without npm;
      // any other failure (e.g. a server without rooms) also fails the run.
      const message = err instanceof Error ? err.message : String(err);
      if (message === REDIS_MISSING) {
        report.note(`Rooms skipped: ${message}.`);
      } else {
        // The load client's own error (after Deno's coloured "Uncaught" prefix) says most.
        const cause = message.split("\n").filter((line) => line.includes("Error: ")).pop();
        report.note(`Rooms failed: ${cause?.slice(cause.indexOf("Error: ")) ?? message}`);
        failed = true;
      }
      progress(`rooms: ${message}`);
    }
  }
  if (want("sequential")) {
    progress("sequential calls through the client library: first() vs all()");
    const calls = 300;
    report.sequential(calls, await sequentialCalls({ calls, rounds: options.rounds }, progress));
  }
  if (want("binary") || want("input")) {
    let echo: Awaited<ReturnType<typeof binaryEcho>> = [];
    let input: Awaited<ReturnType<typeof inputStream>> = [];
    if (want("binary")) {
      progress("64 KiB binary echo, 4 connections x 4 in flight");
      echo = await binaryEcho({ rounds: options.rounds, ...timing }, progress);
    }
    if (want("input")) {
      progress("100k inputs streamed into one call");
      input = await inputStream({ rounds: options.rounds, inputs: 100_000 }, progress);
    }
    report.section("Binary payloads and input streams", renderBinary(echo, input));
  }
  if (want("recovery")) {
    progress("recovery: 200 waiting sessions with 100 frames each, then every one resumes");
    report.recovery(await recovery({ sessions: 200, rounds: options.rounds }, progress));
  }
  if (want("delta")) {
    if (existsSync(DELTA_BENCH)) {
      progress("SYNC delta codec (bench/delta_bench.ts)");
      const { runDeltaBench } = await import(DELTA_BENCH.href);
      report.delta(await runDeltaBench());
    } else {
      report.note("SYNC delta bench skipped: bench/delta_bench.ts is absent.");
    }
  }

  const minutes = (performance.now() - started) / 60_000;
  const markdown = report.render(await machineInfo(), minutes);
  console.log(markdown);
  if (options.out) {
    await Deno.writeTextFile(options.out, markdown + "\n");
    progress(`Wrote ${options.out}`);
  }
  return !failed;
}

if (import.meta.main) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stopAll().finally(() => Deno.exit(130)));
  }
  const ok = await main();
  // Child processes are all stopped; nothing else should keep us alive.
  Deno.exit(ok ? 0 : 1);
}
