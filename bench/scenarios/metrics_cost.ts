/**
 * What counting costs: the echo round trip (C=50, W=10) against one ssocket
 * with metrics on (the default) and one with `--metrics.isOn false`, side by
 * side in alternating rounds. Server CPU per round trip is the primary
 * figure (throughput on a small shared machine is noisier); the "on" server
 * is scraped at the end to show it really counted.
 *
 * @module
 */

import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { CLOCK_TICKS, pin } from "../lib/proc.ts";
import { type LoadResult, runLoad } from "../lib/load.ts";
import { type RunningServer, startServer } from "../lib/servers.ts";
import { base64, ECHO_PAYLOAD } from "./throughput.ts";

/** What the scenario varies. */
export interface MetricsCostOptions {
  connections: number;
  window: number;
  rounds: number;
  warmupMs: number;
  durationMs: number;
}

/** Each variant's results, one per round, and what the "on" server counted. */
export interface MetricsCostResult {
  on: LoadResult[];
  off: LoadResult[];
  /** `ssocket_messages_received_total{event="echo"}` of the "on" server at the end. */
  counted: number;
  /** Servers and load client were pinned to their own cores. */
  pinned: boolean;
}

const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const COUNTED = /^ssocket_messages_received_total\{event="echo"\} (\d+)$/m;

/** Runs the scenario. */
export async function metricsCost(
  options: MetricsCostOptions,
  progress: (line: string) => void,
): Promise<MetricsCostResult> {
  const servers: RunningServer[] = [];
  const result: MetricsCostResult = { on: [], off: [], counted: 0, pinned: false };
  try {
    const on = await startServer("ssocket");
    servers.push(on);
    const off = await startServer("ssocket", { flags: ["--metrics.isOn", "false"] });
    servers.push(off);
    result.pinned = pin(on.pid, SERVER_CPU) && pin(off.pid, SERVER_CPU);
    const frame = base64(encodeJsonFrame(0, "echo", ECHO_PAYLOAD));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? [on, off] : [off, on];
      for (const server of order) {
        const measured = await runLoad(
          {
            mode: "echo",
            url: server.url,
            serverPid: server.pid,
            connections: options.connections,
            window: options.window,
            warmupMs: options.warmupMs,
            durationMs: options.durationMs,
            clockTicks: CLOCK_TICKS,
            frame,
          },
          "deno",
          result.pinned ? CLIENT_CPU : undefined,
        );
        const label = server === on ? "on" : "off";
        result[label].push(measured);
        progress(
          `  round ${round + 1} metrics ${label}: ${
            Math.round(measured.count / measured.seconds)
          }/s, ` +
            `server CPU ${
              (measured.serverCpu / measured.count * 1e6).toFixed(1)
            } µs per round trip`,
        );
      }
    }
    const text = await (await fetch(on.url.replace("ws:", "http:") + "metrics")).text();
    result.counted = Number(text.match(COUNTED)?.[1] ?? 0);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return result;
}
