/**
 * Binary payloads and input streams:
 *
 * - `binaryEcho`: 64 KiB frames flagged binary echoed by ssocket's bench
 *   echo plug, against bare Deno echoing the very same bytes; MB/s of
 *   payload echoed and the server's CPU ms per MB.
 * - `inputStream`: one call into a plug that counts `message.input`, fed
 *   100k small inputs with `call.write`-style INPUT frames; inputs/s and the
 *   server's CPU µs per input.
 *
 * The load runs in the bench process over Deno's WebSocket (the servers are
 * child processes, so their CPU is theirs alone), sized for a 2-core
 * machine: a few connections, a short window.
 *
 * @module
 */

import { EventType } from "../../src/protocol/event_type.ts";
import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { encodePayloadFrame } from "../../src/protocol/payload.ts";
import { cpuSeconds } from "../lib/proc.ts";
import { LABELS, type RunningServer, startServer } from "../lib/servers.ts";

/** One measured run. */
export interface BinaryResult {
  label: string;
  count: number;
  seconds: number;
  serverCpu: number;
}

const PAYLOAD_BYTES = 64 * 1024;
/** Frames in flight per connection: enough to keep both sides busy, few enough for 2 cores. */
const WINDOW = 4;
const CONNECTIONS = 4;

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error(`Cannot connect to ${url}`));
  });
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) =>
    new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.onclose = () => resolve();
      ws.close();
    })
  ));
}

/** Echoes `frame` on every connection for `durationMs`, after `warmupMs`. */
async function echoLoad(
  server: RunningServer,
  frame: Uint8Array,
  warmupMs: number,
  durationMs: number,
): Promise<BinaryResult> {
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => open(server.url)));
  let counting = false;
  let count = 0;
  let stop = false;
  const done = sockets.map((ws) =>
    new Promise<void>((resolve) => {
      let inFlight = 0;
      const send = () => {
        while (!stop && inFlight < WINDOW) {
          ws.send(frame as Uint8Array<ArrayBuffer>);
          inFlight++;
        }
        if (stop && inFlight === 0) resolve();
      };
      ws.onmessage = () => {
        inFlight--;
        if (counting) count++;
        send();
      };
      send();
    })
  );
  await new Promise((resolve) => setTimeout(resolve, warmupMs));
  counting = true;
  const cpu0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  counting = false;
  const seconds = (performance.now() - t0) / 1000;
  const serverCpu = cpuSeconds(server.pid) - cpu0;
  stop = true;
  await Promise.all(done);
  await closeAll(sockets);
  return { label: LABELS[server.kind], count, seconds, serverCpu };
}

/** 64 KiB binary echo: ssocket (binary frames through the echo plug) vs bare Deno. */
export async function binaryEcho(
  options: { rounds: number; warmupMs: number; durationMs: number },
  progress: (line: string) => void,
): Promise<BinaryResult[][]> {
  const bytes = new Uint8Array(PAYLOAD_BYTES).map((_, i) => i % 251);
  // The same frame for both: bare Deno echoes it as it is, ssocket's plug yields its bytes back.
  const frame = encodePayloadFrame(EventType.MESSAGE, "echo", bytes);
  const rounds: BinaryResult[][] = [];
  for (let round = 0; round < options.rounds; round++) {
    const results: BinaryResult[] = [];
    for (const kind of ["deno", "ssocket"] as const) {
      const server = await startServer(kind);
      try {
        const result = await echoLoad(server, frame, options.warmupMs, options.durationMs);
        results.push(result);
        progress(`  ${result.label}: ${mbPerSecond(result).toFixed(0)} MB/s`);
      } finally {
        await server.stop();
      }
    }
    rounds.push(results);
  }
  return rounds;
}

/** 100k small inputs streamed into one running call. */
export async function inputStream(
  options: { rounds: number; inputs: number },
  progress: (line: string) => void,
): Promise<BinaryResult[]> {
  const results: BinaryResult[] = [];
  const id = 1;
  // Every input the same small JSON object, encoded once.
  const input = encodeJsonFrame(EventType.INPUT, "sink", { x: 1, text: "abc" }, id);
  for (let round = 0; round < options.rounds; round++) {
    const server = await startServer("ssocket");
    try {
      const ws = await open(server.url);
      const answered = new Promise<number>((resolve) => {
        ws.onmessage = (event) => {
          const bytes = new Uint8Array(event.data as ArrayBuffer);
          // The count comes as JSON after 14 bytes: header, "sink" and the request id.
          const text = new TextDecoder().decode(bytes.subarray(14));
          if (text) resolve(Number(text));
        };
      });
      const cpu0 = cpuSeconds(server.pid);
      const t0 = performance.now();
      ws.send(encodeJsonFrame(EventType.MESSAGE, "sink", null, id));
      for (let i = 0; i < options.inputs; i++) {
        ws.send(input);
        // The client's own flow control: never queue more than 1 MiB locally.
        if (ws.bufferedAmount > 1 << 20) await waitForDrain(ws);
      }
      ws.send(encodeJsonFrame(EventType.INPUT, "sink", undefined, id, true));
      const counted = await answered;
      const seconds = (performance.now() - t0) / 1000;
      const serverCpu = cpuSeconds(server.pid) - cpu0;
      if (counted !== options.inputs) {
        throw new Error(`The plug counted ${counted} of ${options.inputs} inputs`);
      }
      await closeAll([ws]);
      const result = { label: "ssocket", count: counted, seconds, serverCpu };
      progress(`  ${(counted / seconds).toFixed(0)} inputs/s`);
      results.push(result);
    } finally {
      await server.stop();
    }
  }
  return results;
}

async function waitForDrain(ws: WebSocket): Promise<void> {
  while (ws.bufferedAmount > 1 << 18) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** MB (10^6 bytes) of payload echoed per second. */
export function mbPerSecond(r: BinaryResult): number {
  return r.count * PAYLOAD_BYTES / 1e6 / r.seconds;
}

/** Server CPU milliseconds per MB of payload echoed. */
export function cpuMsPerMb(r: BinaryResult): number {
  return r.serverCpu * 1000 / (r.count * PAYLOAD_BYTES / 1e6);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The Markdown of both scenarios: medians over rounds. */
export function renderBinary(echo: BinaryResult[][], input: BinaryResult[]): string {
  const lines: string[] = [
    "Load: the bench process itself over Deno's WebSocket (not bench/load/client.ts); " +
    "server CPU is the server process's alone.",
    "",
  ];
  if (echo.length) {
    lines.push(
      `64 KiB binary echo, ${CONNECTIONS} connections x ${WINDOW} in flight, no request id:`,
      "",
      "| server | MB/s echoed | server CPU ms per MB | server CPU | CPU per MB vs bare Deno |",
      "| ------ | ----------: | -------------------: | ---------: | ----------------------: |",
    );
    const bareCpu = median(echo.map((round) => cpuMsPerMb(round[0])));
    for (let i = 0; i < echo[0].length; i++) {
      const runs = echo.map((round) => round[i]);
      const cpu = median(runs.map(cpuMsPerMb));
      const busy = median(runs.map((r) => r.serverCpu / r.seconds * 100));
      lines.push(
        `| ${runs[0].label} | ${median(runs.map(mbPerSecond)).toFixed(0)} | ${cpu.toFixed(2)} | ` +
          `${busy.toFixed(0)}% | ${(cpu / bareCpu).toFixed(2)}x |`,
      );
    }
    lines.push("");
  }
  if (input.length) {
    const perSecond = median(input.map((r) => r.count / r.seconds));
    const cpuUs = median(input.map((r) => r.serverCpu / r.count * 1e6));
    const busy = median(input.map((r) => r.serverCpu / r.seconds * 100));
    lines.push(
      "Input stream: one call, 100k INPUT frames of small JSON into a plug counting `message.input`:",
      "",
      "| inputs | inputs/s | server CPU µs per input | server CPU |",
      "| -----: | -------: | ----------------------: | ---------: |",
      `| ${input[0].count} | ${perSecond.toFixed(0)} | ${cpuUs.toFixed(2)} | ${busy.toFixed(0)}% |`,
    );
  }
  return lines.join("\n");
}
