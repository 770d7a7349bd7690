/**
 * `deno task bench`: ssocket against bare Deno, node ws and Socket.IO, all
 * on 127.0.0.1, every server and load client in its own process. Prints
 * Markdown tables (medians over alternating rounds, ratios to bare Deno) and
 * writes them to bench/results/latest.md. Takes about 3 minutes on 2 cores
 * (each report's header has the measured "whole run" time).
 *
 * Flags:
 * - `--quick`: one short round of echo C=50/W=10, bare Deno and ssocket only,
 *   nothing written unless `--out` is given (the smoke test uses it)
 * - `--rounds N`: rounds per scenario (default 3)
 * - `--only a,b`: scenarios by name: echo, echo1, stream, broadcast, idle,
 *   reload, edits, delta, rooms (needs `redis-server`; the bench starts its own)
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
import { REDIS_MISSING } from "./lib/redis.ts";
import { Report } from "./lib/sections.ts";

const ALL = ["echo", "echo1", "stream", "broadcast", "idle", "reload", "edits", "delta", "rooms"];
const NODE_DIR = fileURLToPath(new URL("./node/", import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL("./results/latest.md", import.meta.url));
const DELTA_BENCH = new URL("./delta_bench.ts", import.meta.url);

interface Options {
  quick: boolean;
  rounds: number;
  only: string[];
  out?: string;
}

function parseArgs(args: string[]): Options {
  const options: Options = { quick: false, rounds: 3, only: ALL };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--rounds") options.rounds = Math.max(1, Number(args[++i]));
    else if (arg === "--only") options.only = args[++i].split(",");
    else if (arg === "--out") options.out = args[++i];
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
  const progress = (line: string) => console.error(line);
  const started = performance.now();
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
      kinds: ["deno", "ssocket", "ssocket-deno", ...references],
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
      kinds: ["deno", "ssocket", "ssocket-deno", ...references],
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
      kinds: ["ssocket"],
      connections: 50,
      window: 10,
      rounds: options.rounds,
      ...timing,
    }, progress);
    report.roundTrips("stream (20 yields + end) C=50 W=10, per call", results);
  }
  if (want("broadcast")) {
    progress("broadcast to 1000 clients");
    const results = await broadcast(
      { receivers: 1000, repeats: 30, rounds: options.rounds },
      progress,
    );
    report.broadcast(1000, results);
  }
  if (want("idle")) {
    progress("idle memory, 5000 connections");
    const results = await idleMemory({ connections: 5000, rounds: options.rounds }, progress);
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
