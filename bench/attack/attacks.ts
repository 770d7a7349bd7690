/**
 * The attacks of issue 10's "Why" list, each against a running ssocket
 * process, bounded in time and count, on 127.0.0.1 only. Each returns what
 * it measured: the server's peak RSS (VmRSS, polled), what happened to the
 * attacker, and for floods the p99 echo latency of a bystander as a ratio to
 * its own unloaded p99. `deno task attack` prints them; the tests in
 * tests/server/attacks_test.ts run them small and assert the bounds.
 *
 * @module
 */

import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { rssKiB } from "../lib/proc.ts";
import { frame, frameHeader, Op, Wire } from "./wire.ts";

/** What one attack measured. */
export interface AttackResult {
  /** Server RSS before the attack and its peak during it, MiB. */
  rssBefore: number;
  rssPeak: number;
  /** What happened, in words (close codes, counts). */
  outcome: string;
  /** Bystander echo p99 under attack / unloaded, when measured. */
  bystanderRatio?: number;
  /** Bystander p99 under attack and unloaded, ms. */
  bystanderP99?: number;
  unloadedP99?: number;
  /** Close code the attacker saw (undefined: reset or none). */
  closeCode?: number;
  /** Attack-specific numbers the tests assert on. */
  counts: Record<string, number>;
}

/** Where the server under attack is. */
export interface Target {
  url: string;
  pid: number;
}

const MIB = 1024 * 1024;
const ECHO = encodeJsonFrame(0, "echo", { id: 1, text: "flood" });
/** Longest wait for one bystander echo. */
const REPLY_WAIT_MS = 5000;
/** Pause between bystander echoes (a timer's ~1-2 ms: about 500 echoes a second). */
const BYSTANDER_GAP_MS = 1;

/** Polls the server's RSS until stopped; `peak()` is the highest seen, in MiB. */
function rssWatch(pid: number) {
  let peak = rssKiB(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssKiB(pid));
    } catch {
      // The process is gone; keep the last peak.
    }
  }, 20);
  return {
    peak: () => peak / 1024,
    stop: () => clearInterval(timer),
  };
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN;
}

/** Sequential echoes on one connection; latencies in ms, until `stop()` or `max` echoes. */
async function echoes(url: string, stop: () => boolean, max: number): Promise<number[]> {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("bystander could not connect"));
  });
  const samples: number[] = [];
  try {
    while (!stop() && samples.length < max) {
      const start = performance.now();
      const reply = new Promise((resolve) => ws.onmessage = resolve);
      ws.send(ECHO);
      // A reply that never comes counts as the longest wait, and ends the run.
      if (await withDeadline(reply, start + REPLY_WAIT_MS) === false) {
        samples.push(REPLY_WAIT_MS);
        break;
      }
      samples.push(performance.now() - start);
      // Paced well under the default rate limit: the bystander is a normal client.
      await new Promise((resolve) => setTimeout(resolve, BYSTANDER_GAP_MS));
    }
  } finally {
    const closed = new Promise((resolve) => ws.onclose = resolve);
    ws.close();
    await closed;
  }
  return samples;
}

/**
 * Clients that flood tiny echo frames and never read, reconnecting whenever
 * the server closes them, for `ms`; a bystander echoes meanwhile.
 */
export async function flood(target: Target, ms: number): Promise<AttackResult> {
  const unloaded = await echoes(target.url, () => false, 300);
  const rss = rssWatch(target.pid);
  const rssBefore = rssKiB(target.pid) / 1024;
  const batch = new Uint8Array(Array(1000).fill(frame(ECHO)).flatMap((f) => [...f]));
  const ends = performance.now() + ms;
  const over = () => performance.now() > ends;
  const codes: Record<string, number> = {};
  let sent = 0;
  const attacker = (async () => {
    while (!over()) {
      const wire = await Wire.open(target.url);
      if (wire.status !== 101) {
        wire.close();
        codes[`http ${wire.status}`] = (codes[`http ${wire.status}`] ?? 0) + 1;
        continue;
      }
      // Writing stops when the server stops reading (pause) or closes.
      while (!over() && await withDeadline(wire.write(batch), ends)) sent += 1000;
      const code = await withDeadline(wire.readToEnd(), performance.now() + 2000);
      const key = code === undefined || code === false ? "reset" : `close ${code}`;
      codes[key] = (codes[key] ?? 0) + 1;
      wire.close();
    }
  })();
  const loaded = await echoes(target.url, over, 100_000);
  await attacker;
  rss.stop();
  const outcome = `${sent} frames sent; attackers ended by ${JSON.stringify(codes)}`;
  return {
    rssBefore,
    rssPeak: rss.peak(),
    outcome,
    unloadedP99: p99(unloaded),
    bystanderP99: p99(loaded),
    bystanderRatio: p99(loaded) / p99(unloaded),
    counts: { sent, ...codes },
  };
}

/** Resolves with `work`'s value, or false once `deadline` (performance.now()) passes. */
async function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T | false> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) =>
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - performance.now()))
  );
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One message of `totalMiB` sent as `fragmentKiB` fragments (or, with
 * `fragmentKiB` 0, as one frame announcing its whole length), until the
 * server refuses it or `ms` pass.
 */
export async function bigMessage(
  target: Target,
  totalMiB: number,
  fragmentKiB: number,
  ms: number,
): Promise<AttackResult> {
  const rssBefore = rssKiB(target.pid) / 1024;
  const rss = rssWatch(target.pid);
  const wire = await Wire.open(target.url);
  const closed = wire.readToEnd();
  const ends = performance.now() + ms;
  const total = totalMiB * MIB;
  let sent = 0;
  if (fragmentKiB === 0) {
    await wire.write(frameHeader(total));
    const chunk = new Uint8Array(MIB);
    while (sent < total && performance.now() < ends) {
      if (!await withDeadline(wire.write(chunk), ends)) break;
      sent += chunk.length;
    }
  } else {
    const payload = new Uint8Array(fragmentKiB * 1024);
    while (sent < total && performance.now() < ends) {
      const opcode = sent === 0 ? Op.BINARY : Op.CONTINUATION;
      const last = sent + payload.length >= total;
      if (!await withDeadline(wire.write(frame(payload, opcode, last)), ends)) break;
      sent += payload.length;
    }
  }
  const code = await withDeadline(closed, performance.now() + 3000);
  wire.close();
  rss.stop();
  return {
    rssBefore,
    rssPeak: rss.peak(),
    closeCode: code === false ? undefined : code,
    outcome: `${(sent / MIB).toFixed(0)} MiB written before the server ` +
      `${code ? `closed with ${code}` : "dropped the connection (or the time ran out)"}`,
    counts: { sentMiB: sent / MIB },
  };
}

/**
 * A client that never reads while another triggers `count` BROADCASTs of
 * `size` bytes (plug `storm`); then the stalled client reads what it can.
 */
export async function stalledBroadcast(
  target: Target,
  count: number,
  size: number,
): Promise<AttackResult> {
  const rssBefore = rssKiB(target.pid) / 1024;
  const rss = rssWatch(target.pid);
  const stalled = await Wire.open(target.url);
  const trigger = new WebSocket(target.url);
  trigger.binaryType = "arraybuffer";
  await new Promise((resolve) => trigger.onopen = resolve);
  const done = new Promise((resolve) => trigger.onmessage = resolve);
  const started = performance.now();
  trigger.send(encodeJsonFrame(0, "storm", { count, size }));
  await done;
  const stormMs = performance.now() - started;
  const code = await withDeadline(stalled.readToEnd(), performance.now() + 5000);
  stalled.close();
  const closedTrigger = new Promise((resolve) => trigger.onclose = resolve);
  trigger.close();
  await closedTrigger;
  rss.stop();
  return {
    rssBefore,
    rssPeak: rss.peak(),
    closeCode: code === false ? undefined : code,
    outcome: `${count} x ${size} B in ${stormMs.toFixed(0)} ms; the stalled client ` +
      `${code ? `was closed with ${code}` : "saw no close frame"} after reading ` +
      `${(stalled.bytesRead / MIB).toFixed(1)} MiB`,
    counts: { readMiB: stalled.bytesRead / MIB },
  };
}

/** `n` WebSocket handshakes from one address, `parallel` at a time, all held open. */
export async function connectionFlood(target: Target, n: number): Promise<AttackResult> {
  const rssBefore = rssKiB(target.pid) / 1024;
  const rss = rssWatch(target.pid);
  const wires: Wire[] = [];
  const statuses: Record<string, number> = {};
  for (let i = 0; i < n; i += 100) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, () => Wire.open(target.url)),
    );
    for (const wire of opened) {
      statuses[wire.status] = (statuses[wire.status] ?? 0) + 1;
      wires.push(wire);
    }
  }
  rss.stop();
  for (const wire of wires) wire.close();
  return {
    rssBefore,
    rssPeak: rss.peak(),
    outcome: `HTTP statuses ${JSON.stringify(statuses)}`,
    counts: statuses,
  };
}

/**
 * `n` TCP connections that send half a request and never finish it; counts
 * how many the server has dropped once `waitMs` passed.
 */
export async function slowHeaders(target: Target, n: number, waitMs: number) {
  const rssBefore = rssKiB(target.pid) / 1024;
  const rss = rssWatch(target.pid);
  const started = performance.now();
  const wires = await Promise.all(Array.from({ length: n }, () => Wire.open(target.url, false)));
  const half = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n");
  await Promise.all(wires.map((wire) => wire.write(half)));
  const deadline = started + waitMs;
  const ends = await Promise.all(
    wires.map((wire) => withDeadline(wire.readToEnd().then(() => performance.now()), deadline)),
  );
  rss.stop();
  for (const wire of wires) wire.close();
  const dropped = ends.filter((end) => end !== false) as number[];
  const last = dropped.length ? Math.max(...dropped) - started : 0;
  return {
    rssBefore,
    rssPeak: rss.peak(),
    outcome: `${dropped.length} of ${n} dropped within ${waitMs} ms (last after ${
      last.toFixed(0)
    } ms)`,
    counts: { dropped: dropped.length, held: n - dropped.length, lastMs: last },
  } satisfies AttackResult;
}
