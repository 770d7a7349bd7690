/**
 * Connection-count scenarios: one BROADCAST to 1000 clients (time until all
 * have it), and the server's RSS per idle connection with 5000 open. Both
 * compare ssocket with a bare Deno server doing the same thing.
 *
 * @module
 */

import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { type LoadResult, runLoad } from "../lib/load.ts";
import { CLOCK_TICKS } from "../lib/proc.ts";
import { type RunningServer, type ServerKind, startServer } from "../lib/servers.ts";
import { base64, ECHO_PAYLOAD } from "./throughput.ts";

const MESSAGE = 0;

/** Options of {@linkcode broadcast}. */
export interface BroadcastOptions {
  receivers: number;
  /** Broadcasts timed per round (after a few untimed ones). */
  repeats: number;
  rounds: number;
}

/**
 * Runs `measure` on a fresh server of each kind per round, alternating which
 * kind goes first, and collects the results by kind.
 */
async function freshServerRounds(
  kinds: ServerKind[],
  rounds: number,
  measure: (server: RunningServer) => Promise<LoadResult>,
  report: (round: number, kind: ServerKind, result: LoadResult) => void,
): Promise<Map<ServerKind, LoadResult[]>> {
  const results = new Map<ServerKind, LoadResult[]>(kinds.map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(i + round) % kinds.length];
      const server = await startServer(kind);
      try {
        const result = await measure(server);
        results.get(kind)!.push(result);
        report(round + 1, kind, result);
      } finally {
        await server.stop();
      }
    }
  }
  return results;
}

/** ssocket (plug yielding a BROADCAST) vs bare Deno (a loop over its sockets). */
export function broadcast(
  options: BroadcastOptions,
  progress: (line: string) => void,
): Promise<Map<ServerKind, LoadResult[]>> {
  const frame = base64(encodeJsonFrame(MESSAGE, "broadcast", ECHO_PAYLOAD));
  return freshServerRounds(
    ["deno-broadcast", "ssocket"],
    options.rounds,
    (server) =>
      runLoad({
        mode: "broadcast",
        url: server.url,
        serverPid: server.pid,
        connections: options.receivers,
        window: 1,
        warmupMs: 0,
        durationMs: 0,
        frame,
        repeats: options.repeats,
        clockTicks: CLOCK_TICKS,
      }),
    (round, kind, result) =>
      progress(
        `  round ${round} ${kind}: all ${options.receivers} in ${result.p50.toFixed(2)} ms ` +
          `(p50), lost ${result.lost}`,
      ),
  );
}

/** Options of {@linkcode idleMemory}. */
export interface IdleOptions {
  connections: number;
  rounds: number;
}

/** Server RSS growth per idle connection: a fresh server per round. */
export function idleMemory(
  options: IdleOptions,
  progress: (line: string) => void,
): Promise<Map<ServerKind, LoadResult[]>> {
  const frame = base64(encodeJsonFrame(MESSAGE, "echo", ECHO_PAYLOAD));
  return freshServerRounds(
    ["deno", "ssocket"],
    options.rounds,
    (server) =>
      runLoad({
        mode: "idle",
        url: server.url,
        serverPid: server.pid,
        connections: options.connections,
        window: 1,
        warmupMs: 0,
        durationMs: 0,
        frame,
        clockTicks: CLOCK_TICKS,
      }),
    (round, kind, result) => {
      const perConnection = (result.rssAfter! - result.rssBefore!) / result.count;
      progress(
        `  round ${round} ${kind}: ${result.count} open, ${perConnection.toFixed(1)} KiB each`,
      );
    },
  );
}
