/**
 * Sequential calls with the ssocket client library against an ssocket
 * server process: `first()` (read one reply, cancel the rest) against
 * `all()` (read to the END frame), per-call latency. Guards the fix for the
 * 40 ms that Nagle's algorithm and a delayed ACK added to every `first()`.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { startServer } from "../lib/servers.ts";

/** Per-call latencies of one round, in ms. */
export interface SequentialResult {
  first: number[];
  all: number[];
}

const LOAD = fileURLToPath(new URL("../load/sequential_calls.ts", import.meta.url));

/** Runs `rounds` rounds of `calls` sequential calls each, a fresh server per round. */
export async function sequentialCalls(
  options: { calls: number; rounds: number },
  progress: (line: string) => void,
): Promise<SequentialResult[]> {
  const results: SequentialResult[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const server = await startServer("ssocket");
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", LOAD, server.url, String(options.calls)],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      if (!out.success) throw new Error(`sequential_calls.ts exited ${out.code}`);
      const result = JSON.parse(new TextDecoder().decode(out.stdout)) as SequentialResult;
      results.push(result);
      progress(
        `  round ${round}: first() p50 ${median(result.first).toFixed(2)} ms, ` +
          `all() p50 ${median(result.all).toFixed(2)} ms`,
      );
    } finally {
      await server.stop();
    }
  }
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
