/**
 * The load client (Deno, over the minimal client in raw_ws.ts), run as its own process
 * so it never shares an event loop with the server under test. It reads the
 * server's CPU time and RSS from /proc itself, at the exact edges of its
 * measurement window, and prints one `RESULT {json}` line.
 *
 * Modes:
 * - `echo`: C connections x W frames in flight, a fixed window (a reply sends
 *   the next frame), warm-up, then a timed window: round trips/s, latency.
 * - `stream`: like echo, but each call is a correlated request (FLAG_REQUEST)
 *   answered by N frames and an end frame (FLAG_END); latency is per call.
 * - `broadcast`: N receivers and one sender; the time until every receiver
 *   got one message, repeated.
 * - `idle`: the server's RSS before and after opening N idle connections.
 *
 * Usage: `deno run -A bench/load/client.ts '<LoadConfig as JSON>'`
 * @module
 */

import { cpuSeconds, rssKiB, sleep } from "../lib/proc.ts";
import { clientFrame, RawSocket } from "./raw_ws.ts";

/**
 * Starts a measured window; the function it returns ends it and gives the
 * wall time and the CPU seconds the server and this client used in it.
 */
function measureWindow(serverPid: number) {
  const server0 = cpuSeconds(serverPid);
  const self0 = cpuSeconds(Deno.pid);
  const t0 = performance.now();
  return () => ({
    seconds: (performance.now() - t0) / 1000,
    serverCpu: cpuSeconds(serverPid) - server0,
    clientCpu: cpuSeconds(Deno.pid) - self0,
  });
}

/** What the runner asks the client to do. */
export interface LoadConfig {
  mode: "echo" | "stream" | "broadcast" | "idle";
  url: string;
  /** PID of the server process, for /proc readings. */
  serverPid: number;
  connections: number;
  /** Frames (or calls) in flight per connection. */
  window: number;
  warmupMs: number;
  durationMs: number;
  /** The frame to send, base64 (echo, broadcast) or the call template (stream). */
  frame: string;
  /** Frames per call in stream mode, end frame included. */
  framesPerCall?: number;
  /** Broadcasts to time in broadcast mode. */
  repeats?: number;
  /** Width of the throughput time series buckets (echo). */
  bucketMs?: number;
  /** The payload as an object (the Socket.IO client emits it). */
  payload?: unknown;
  /** USER_HZ of /proc CPU times, for the node client. */
  clockTicks?: number;
}

/** What the client prints after `RESULT `. */
export interface LoadResult {
  /** Completed round trips (or calls) in the measured window. */
  count: number;
  seconds: number;
  /** Latency percentiles in ms (per round trip, call or broadcast). */
  p50: number;
  p99: number;
  /** Server CPU seconds used during the measured window. */
  serverCpu: number;
  /** This client's CPU seconds during the measured window. */
  clientCpu: number;
  /** Replies of an unexpected type (ERROR, NOT_FOUND…). */
  errors: number;
  /** Sent but never answered, after draining. */
  lost: number;
  /** Epoch ms of the first bucket, and replies per bucket (echo). */
  bucketStart?: number;
  buckets?: number[];
  /** Server RSS (KiB) before and after opening the connections (idle). */
  rssBefore?: number;
  rssAfter?: number;
}

const TYPE_MASK = 0x3f;
const FLAG_END = 0x40;
const MESSAGE = 0;
const BROADCAST = 1;
const OPEN_BATCH = 100;
const DRAIN_MS = 3000;
const IDLE_SETTLE_MS = 1500;

/** The u32 request id of a frame that has one (after the event name). */
function readRequestId(bytes: Uint8Array): number {
  const at = 6 + bytes[5];
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function base64Bytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Opens `n` sockets, `OPEN_BATCH` handshakes at a time. */
async function openAll(url: string, n: number): Promise<RawSocket[]> {
  const sockets: RawSocket[] = [];
  for (let i = 0; i < n; i += OPEN_BATCH) {
    const batch = Array.from({ length: Math.min(OPEN_BATCH, n - i) }, () => RawSocket.open(url));
    sockets.push(...await Promise.all(batch));
  }
  return sockets;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Collects latencies into a growable typed array. */
class Samples {
  #data = new Float64Array(1 << 16);
  #length = 0;
  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }
  sorted(): Float64Array {
    return this.#data.slice(0, this.#length).sort();
  }
}

/** The echo and stream loops: a fixed window of requests per connection. */
async function runWindowed(config: LoadConfig): Promise<LoadResult> {
  const template = base64Bytes(config.frame);
  const stream = config.mode === "stream";
  const perCall = stream ? config.framesPerCall ?? 1 : 1;
  const idOffset = 6 + template[5];
  const bucketMs = config.bucketMs ?? 100;
  const sockets = await openAll(config.url, config.connections);
  const samples = new Samples();
  const buckets: number[] = [];
  let nextId = 1;
  let sending = true;
  let measuring = false;
  let sent = 0;
  let done = 0;
  let measured = 0;
  let errors = 0;
  const start = performance.now();
  const bucketStart = Date.now();

  const masked = clientFrame(template);
  /** The stream call template with a fresh request id, masked for sending. */
  const nextCall = (id: number): Uint8Array => {
    const frame = template.slice();
    frame[idOffset] = id >>> 24;
    frame[idOffset + 1] = (id >>> 16) & 0xff;
    frame[idOffset + 2] = (id >>> 8) & 0xff;
    frame[idOffset + 3] = id & 0xff;
    return clientFrame(frame);
  };

  const calls = new Map<number, { sentAt: number; frames: number }>();
  for (const ws of sockets) {
    // Echo: the send times of one connection's frames in flight, oldest
    // first (replies to identical frames are interchangeable). Stream: calls
    // by request id, since two calls' frames may interleave.
    const times: number[] = [];
    const send = (now: number) => {
      if (stream) {
        const id = nextId++ >>> 0;
        calls.set(id, { sentAt: now, frames: 0 });
        ws.send(nextCall(id));
      } else {
        times.push(now);
        ws.send(masked);
      }
      sent++;
    };
    ws.onmessage = (bytes) => {
      const type = bytes[4] & TYPE_MASK;
      if (type !== MESSAGE) errors++;
      let sentAt: number;
      if (stream) {
        const call = calls.get(readRequestId(bytes));
        if (!call) return void errors++;
        call.frames++;
        if ((bytes[4] & FLAG_END) === 0) return;
        if (call.frames !== perCall) errors++;
        calls.delete(readRequestId(bytes));
        sentAt = call.sentAt;
      } else {
        sentAt = times.shift()!;
      }
      const now = performance.now();
      done++;
      if (measuring) {
        measured++;
        samples.push(now - sentAt);
      }
      const bucket = Math.floor((now - start) / bucketMs);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
      if (sending) send(now);
    };
    for (let i = 0; i < config.window; i++) send(performance.now());
    ws.flush();
  }

  await sleep(config.warmupMs);
  const window = measureWindow(config.serverPid);
  measuring = true;
  await sleep(config.durationMs);
  measuring = false;
  const { seconds, serverCpu, clientCpu } = window();
  const count = measured;
  sending = false;
  const drainUntil = performance.now() + DRAIN_MS;
  while (done < sent && performance.now() < drainUntil) await sleep(20);
  for (const ws of sockets) ws.close();
  for (let i = 0; i < buckets.length; i++) buckets[i] ??= 0;
  const sorted = samples.sorted();
  return {
    count,
    seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    serverCpu,
    clientCpu,
    errors,
    lost: sent - done,
    bucketStart,
    buckets,
  };
}

/** One sender, N receivers: time until all N have the message, `repeats` times. */
async function runBroadcast(config: LoadConfig): Promise<LoadResult> {
  const frame = clientFrame(base64Bytes(config.frame));
  const receivers = await openAll(config.url, config.connections);
  const [sender] = await openAll(config.url, 1);
  const repeats = config.repeats ?? 20;
  let got = 0;
  let errors = 0;
  let allReceived: () => void = () => {};
  for (const ws of receivers) {
    ws.onmessage = (bytes) => {
      const type = bytes[4] & TYPE_MASK;
      if (type !== MESSAGE && type !== BROADCAST) errors++;
      if (++got === receivers.length) allReceived();
    };
  }
  sender.onmessage = () => errors++; // the sender is left out of a broadcast
  const once = async (): Promise<number> => {
    got = 0;
    const { promise, resolve } = Promise.withResolvers<void>();
    allReceived = resolve;
    const t0 = performance.now();
    sender.send(frame);
    sender.flush();
    const timeout = sleep(DRAIN_MS).then(() => "timeout");
    if (await Promise.race([promise, timeout]) === "timeout") return NaN;
    return performance.now() - t0;
  };
  for (let i = 0; i < Math.max(3, repeats / 4); i++) await once();
  const window = measureWindow(config.serverPid);
  const samples = new Samples();
  let lost = 0;
  for (let i = 0; i < repeats; i++) {
    const ms = await once();
    if (Number.isNaN(ms)) lost += receivers.length - got;
    else samples.push(ms);
  }
  const { seconds, serverCpu, clientCpu } = window();
  for (const ws of [...receivers, sender]) ws.close();
  const sorted = samples.sorted();
  return {
    count: repeats,
    seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    serverCpu,
    clientCpu,
    errors,
    lost,
  };
}

/** Server RSS before and after opening N idle connections (after a short warm-up). */
async function runIdle(config: LoadConfig): Promise<LoadResult> {
  const frame = clientFrame(base64Bytes(config.frame));
  // Warm-up: a few connections exchange messages, so code paths are compiled
  // before the baseline is read, then go away.
  const warm = await openAll(config.url, 50);
  await Promise.all(warm.map((ws) =>
    new Promise<void>((resolve) => {
      let left = 10;
      ws.onmessage = () => --left === 0 ? resolve() : ws.send(frame);
      ws.send(frame);
      ws.flush();
    })
  ));
  for (const ws of warm) ws.close();
  await sleep(IDLE_SETTLE_MS);
  const rssBefore = rssKiB(config.serverPid);
  const window = measureWindow(config.serverPid);
  const sockets = await openAll(config.url, config.connections);
  await sleep(IDLE_SETTLE_MS);
  const rssAfter = rssKiB(config.serverPid);
  const { seconds, serverCpu } = window();
  for (const ws of sockets) ws.close();
  return {
    count: sockets.length,
    seconds,
    p50: NaN,
    p99: NaN,
    serverCpu,
    clientCpu: 0,
    errors: 0,
    lost: 0,
    rssBefore,
    rssAfter,
  };
}

if (import.meta.main) {
  const config = JSON.parse(Deno.args[0]) as LoadConfig;
  const run = config.mode === "broadcast"
    ? runBroadcast
    : config.mode === "idle"
    ? runIdle
    : runWindowed;
  const result = await run(config);
  console.log(`RESULT ${JSON.stringify(result)}`);
  Deno.exit(0);
}
