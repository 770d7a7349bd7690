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
 * - `room`: N members spread over several nodes join one room, one sender
 *   sends room broadcasts one at a time; the latency from the send to its
 *   receipt at each member. One process holds every socket, so send and
 *   receipt times come from one clock.
 *
 * Usage: `deno run -A bench/load/client.ts '<LoadConfig as JSON>'`
 * @module
 */

import { cpuSeconds, rssKiB, sleep } from "../lib/proc.ts";
import { decodeFrame, decodeJsonPayload, encodeJsonFrame } from "../../src/protocol/frame.ts";
import { clientFrame, RawSocket } from "./raw_ws.ts";

/**
 * Starts a measured window; the function it returns ends it and gives the
 * wall time and the CPU seconds the servers (summed) and this client used in it.
 */
function measureWindow(serverPids: number | number[]) {
  const pids = typeof serverPids === "number" ? [serverPids] : serverPids;
  const serversCpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const server0 = serversCpu();
  const self0 = cpuSeconds(Deno.pid);
  const t0 = performance.now();
  return () => ({
    seconds: (performance.now() - t0) / 1000,
    serverCpu: serversCpu() - server0,
    clientCpu: cpuSeconds(Deno.pid) - self0,
  });
}

/** What the runner asks the client to do. */
export interface LoadConfig {
  mode: "echo" | "stream" | "broadcast" | "idle" | "room";
  url: string;
  /** PID of the server process, for /proc readings. */
  serverPid: number;
  /** Room mode: every node's URL (members are spread over them in turn) and PID. */
  urls?: string[];
  serverPids?: number[];
  /** Room mode: the room, the event that joins it (none: no join), the event that broadcasts. */
  room?: string;
  joinEvent?: string;
  sayEvent?: string;
  connections: number;
  /** Frames (or calls) in flight per connection. */
  window: number;
  warmupMs: number;
  durationMs: number;
  /** The frame to send, base64 (echo, broadcast) or the call template (stream); room mode builds its own. */
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
  /** Echo and stream: offer `ssocket.pack.v1` and pack each read's replies into one message. */
  pack?: boolean;
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
  /** Room: ms until every member had a broadcast, p50 and p99 (p50/p99 are per member). */
  allP50?: number;
  allP99?: number;
  /** Room: frames received more than once, or out of order. */
  duplicates?: number;
  /** Room: "$presence" frames seen (ignored for timing). */
  presence?: number;
}

const TYPE_MASK = 0x3f;
const FLAG_END = 0x40;
const MESSAGE = 0;
const BROADCAST = 1;
const PRESENCE_EVENT = "$presence";
const JOIN_MS = 20_000;
/** Room mode gives up after this many broadcasts in a row reach nobody, to stay bounded. */
const ROOM_GIVE_UP = 2;
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
async function openAll(url: string, n: number, pack = false): Promise<RawSocket[]> {
  const sockets: RawSocket[] = [];
  for (let i = 0; i < n; i += OPEN_BATCH) {
    const batch = Array.from(
      { length: Math.min(OPEN_BATCH, n - i) },
      () => RawSocket.open(url, { pack }),
    );
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
  const pack = config.pack === true;
  const sockets = await openAll(config.url, config.connections, pack);
  if (pack && !sockets.every((ws) => ws.packs)) throw new Error("ssocket.pack.v1 was refused");
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
  /** The stream call template with a fresh request id. */
  const nextCall = (id: number): Uint8Array => {
    const frame = template.slice();
    frame[idOffset] = id >>> 24;
    frame[idOffset + 1] = (id >>> 16) & 0xff;
    frame[idOffset + 2] = (id >>> 8) & 0xff;
    frame[idOffset + 3] = id & 0xff;
    return frame;
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
        ws.queue(nextCall(id));
      } else {
        times.push(now);
        if (pack) ws.queue(template);
        else ws.send(masked);
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
  const window = measureWindow(config.serverPids ?? config.serverPid);
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

/**
 * Sends `joinEvent` `{ room }` from every socket and waits for each one's
 * MESSAGE reply; throws with the server's answer if one is anything else.
 */
async function joinAll(sockets: RawSocket[], room: string, joinEvent: string): Promise<void> {
  const frame = clientFrame(encodeJsonFrame(MESSAGE, joinEvent, { room }));
  const joined = sockets.map((ws) => {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    ws.onmessage = (bytes) => {
      const reply = decodeFrame(bytes);
      if (reply.event !== joinEvent) return; // e.g. "$presence" of earlier joiners
      if (reply.type === MESSAGE) resolve();
      else {
        const answer = JSON.stringify(decodeJsonPayload(reply));
        reject(new Error(`"${joinEvent}" answered type ${reply.type}: ${answer}`));
      }
    };
    ws.send(frame);
    ws.flush();
    return promise;
  });
  const timeout = sleep(JOIN_MS).then(() => {
    throw new Error(`Not every member joined "${room}" within ${JOIN_MS} ms`);
  });
  await Promise.race([Promise.all(joined), timeout]);
}

/**
 * Members spread over `urls` (all joined to one room when `joinEvent` is
 * set), one sender on the first node: `repeats` broadcasts timed one at a
 * time, after a few untimed ones. p50/p99 are over every (member, broadcast)
 * receipt; allP50/allP99 over the time until every member had a broadcast.
 */
async function runRoom(config: LoadConfig): Promise<LoadResult> {
  const urls = config.urls ?? [config.url];
  const room = config.room ?? "bench";
  const sayEvent = config.sayEvent ?? "room/say";
  const members: RawSocket[] = [];
  for (let i = 0; i < urls.length; i++) {
    const count = Math.floor(config.connections / urls.length) +
      (i < config.connections % urls.length ? 1 : 0);
    members.push(...await openAll(urls[i], count));
  }
  const [sender] = await openAll(urls[0], 1);
  // The sender joins too: a room broadcast may need its sender to be a member.
  if (config.joinEvent) await joinAll([...members, sender], room, config.joinEvent);

  const repeats = config.repeats ?? 20;
  const sentAt: number[] = [];
  const perMember = new Samples();
  let timing = false;
  let current = -1;
  let got = 0;
  let errors = 0;
  let duplicates = 0;
  let presence = 0;
  let allReceived: () => void = () => {};
  for (const ws of members) {
    let last = -1;
    ws.onmessage = (bytes) => {
      const now = performance.now();
      const frame = decodeFrame(bytes);
      if (frame.event === PRESENCE_EVENT) return void presence++;
      if (frame.event !== sayEvent || frame.type !== BROADCAST) return void errors++;
      const { seq } = decodeJsonPayload(frame) as { seq: number };
      if (seq <= last) return void duplicates++;
      last = seq;
      if (timing) perMember.push(now - sentAt[seq]);
      if (seq === current && ++got === members.length) allReceived();
    };
  }
  sender.onmessage = (bytes) => {
    // Left out of its own broadcasts; presence of the others is expected.
    if (decodeFrame(bytes).event !== PRESENCE_EVENT) errors++;
  };
  /** One broadcast; resolves with the ms until all members had it, NaN on timeout. */
  const once = async (seq: number): Promise<number> => {
    current = seq;
    got = 0;
    const { promise, resolve } = Promise.withResolvers<void>();
    allReceived = resolve;
    const frame = clientFrame(encodeJsonFrame(MESSAGE, sayEvent, { room, seq }));
    sentAt[seq] = performance.now();
    sender.send(frame);
    sender.flush();
    const timeout = sleep(DRAIN_MS).then(() => "timeout");
    if (await Promise.race([promise, timeout]) === "timeout") return NaN;
    return performance.now() - sentAt[seq];
  };
  // Untimed broadcasts first: they warm the paths up and, since each node
  // delivers in order, drain whatever presence traffic the joins caused.
  // A broadcast that reaches nobody twice in a row (e.g. Redis down) ends the
  // run, counting the rest as lost, so a broken setup cannot take minutes.
  const warmup = Math.max(3, Math.ceil(repeats / 4));
  let missedInARow = 0;
  let seq = 0;
  for (; seq < warmup && missedInARow < ROOM_GIVE_UP; seq++) {
    const reached = !Number.isNaN(await once(seq)) || got > 0;
    missedInARow = reached ? 0 : missedInARow + 1;
  }
  const window = measureWindow(config.serverPids ?? config.serverPid);
  const untilAll = new Samples();
  let lost = 0;
  timing = true;
  for (let i = 0; i < repeats; i++, seq++) {
    if (missedInARow >= ROOM_GIVE_UP) {
      lost += members.length;
      continue;
    }
    const ms = await once(seq);
    if (Number.isNaN(ms)) {
      lost += members.length - got;
      missedInARow = got === 0 ? missedInARow + 1 : 0;
    } else {
      untilAll.push(ms);
      missedInARow = 0;
    }
  }
  timing = false;
  const { seconds, serverCpu, clientCpu } = window();
  for (const ws of [...members, sender]) ws.close();
  const sorted = perMember.sorted();
  const all = untilAll.sorted();
  return {
    count: repeats,
    seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    serverCpu,
    clientCpu,
    errors,
    lost,
    allP50: percentile(all, 0.5),
    allP99: percentile(all, 0.99),
    duplicates,
    presence,
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
    : config.mode === "room"
    ? runRoom
    : runWindowed;
  const result = await run(config);
  console.log(`RESULT ${JSON.stringify(result)}`);
  Deno.exit(0);
}
