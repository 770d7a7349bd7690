/**
 * Round-trip scenarios: echo (every server) and a 20-yield stream per call
 * (ssocket). All servers of a scenario run side by side and are measured in
 * alternating rounds, each round starting with a different server.
 *
 * @module
 */

import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { CLOCK_TICKS, processTree } from "../lib/proc.ts";
import { type LoadResult, runLoad } from "../lib/load.ts";
import { type RunningServer, type ServerKind, startServer } from "../lib/servers.ts";

/** The echo payload: about 60 bytes of JSON, the same for every server. */
export const ECHO_PAYLOAD = { id: 12345, user: "bench-user", text: "hello from the load client" };
/** Frames a stream call yields before its end frame. */
export const STREAM_YIELDS = 20;
const MESSAGE = 0;
const FIRST_REQUEST_ID = 1;

/** Base64 of bytes, for passing a frame on the client's command line. */
export function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** What a throughput scenario varies. */
export interface ThroughputOptions {
  mode: "echo" | "stream";
  kinds: ServerKind[];
  connections: number;
  window: number;
  rounds: number;
  warmupMs: number;
  durationMs: number;
}

/** Runs the scenario; returns each server's results, one per round. */
export async function throughput(
  options: ThroughputOptions,
  progress: (line: string) => void,
): Promise<Map<ServerKind, LoadResult[]>> {
  const results = new Map<ServerKind, LoadResult[]>(options.kinds.map((k) => [k, []]));
  const servers: RunningServer[] = [];
  try {
    for (const kind of options.kinds) servers.push(await startServer(kind));
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < servers.length; i++) {
        const server = servers[(i + round) % servers.length];
        const result = await measure(server, options);
        results.get(server.kind)!.push(result);
        progress(
          `  round ${round + 1} ${server.kind}: ${Math.round(result.count / result.seconds)}/s, ` +
            `p99 ${result.p99.toFixed(2)} ms, server CPU ${
              Math.round(100 * result.serverCpu / result.seconds)
            }%, client CPU ${Math.round(100 * result.clientCpu / result.seconds)}%`,
        );
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return results;
}

function measure(server: RunningServer, options: ThroughputOptions): Promise<LoadResult> {
  const config = {
    mode: options.mode,
    url: server.url,
    serverPid: server.pid,
    // Worker mode runs plugs in a child process: its CPU is the server's too.
    serverPids: processTree(server.pid),
    connections: options.connections,
    window: options.window,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    clockTicks: CLOCK_TICKS,
    pack: server.kind === "ssocket-pack",
  };
  if (server.kind === "socketio") {
    return runLoad({ ...config, frame: "", payload: ECHO_PAYLOAD }, "socketio");
  }
  const frame = options.mode === "stream"
    ? encodeJsonFrame(MESSAGE, "stream", { count: STREAM_YIELDS }, FIRST_REQUEST_ID)
    : encodeJsonFrame(MESSAGE, "echo", ECHO_PAYLOAD);
  return runLoad({ ...config, frame: base64(frame), framesPerCall: STREAM_YIELDS + 1 });
}
