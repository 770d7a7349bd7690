/**
 * Recovery probe (run with `--v8-flags=--expose-gc`): an ssocket server in
 * this process, `sessions` clients that join one room through a TCP proxy
 * and are cut off without a close frame, 100 room broadcasts kept for each,
 * then every client resumes. Prints JSON: heap bytes per waiting session
 * (after GC, server side only: the cut clients are gone) and resume latency
 * (new socket to last replayed frame) per client.
 *
 * Usage: deno run -A --v8-flags=--expose-gc bench/load/recovery_probe.ts SESSIONS
 *
 * @module
 */

import { withDefaults } from "../../config.ts";
import { Logger } from "../../src/log.ts";
import { decodeFrame, decodeJsonPayload, encodeJsonFrame } from "../../src/protocol/frame.ts";
import { resumeProtocol, type SessionInfo } from "../../src/protocol/recovery.ts";
import { SUBPROTOCOL_RECOVERY_V1 } from "../../src/protocol/subprotocol.ts";
import { start } from "../../src/server/start.ts";
import { TcpProxy } from "../../tests/_proxy.ts";

const FRAMES = 100;
const PAYLOAD = { text: "x".repeat(64) };
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function heap(): number {
  gc();
  gc();
  return Deno.memoryUsage().heapUsed;
}

/** Frames counted on a socket, and a wait for a count. */
interface Counter {
  seen: number;
  until(n: number): Promise<void>;
}

/** Opens a raw recovery socket and resolves after `$session` and `frames` more frames. */
function open(url: string, frames: number, resume?: { token: string; seq: number }) {
  const protocols = [SUBPROTOCOL_RECOVERY_V1];
  if (resume) protocols.push(resumeProtocol(resume.token, resume.seq));
  const ws = new WebSocket(url, protocols);
  ws.binaryType = "arraybuffer";
  let info: SessionInfo | undefined;
  let waiter: { n: number; resolve: () => void } | undefined;
  const counter: Counter = {
    seen: 0,
    until: (n) =>
      counter.seen >= n ? Promise.resolve() : new Promise((resolve) => waiter = { n, resolve }),
  };
  const done = new Promise<{ ws: WebSocket; info: SessionInfo; counter: Counter }>((resolve) => {
    ws.onmessage = (event) => {
      const frame = decodeFrame(new Uint8Array(event.data as ArrayBuffer));
      if (frame.event === "$session") info = decodeJsonPayload(frame) as SessionInfo;
      else counter.seen++;
      if (waiter && counter.seen >= waiter.n) waiter.resolve();
      if (info && counter.seen >= frames) resolve({ ws, info, counter });
    };
  });
  return { ws, done };
}

const sessions = Number(Deno.args[0] ?? 200);
const config = withDefaults({
  INSECURE: { port: 0, hostname: "127.0.0.1" },
  logLevel: "error",
  printLogToConsole: false,
  initFile: "",
  plugsFolder: new URL("../plugs/", import.meta.url).pathname,
});
const runtime = await start({
  config,
  log: new Logger(config, () => {}),
  init: false,
  watch: false,
});
const proxy = TcpProxy.start(runtime.url!);
const base = heap();

const clients: { ws: WebSocket; info: SessionInfo; counter: Counter }[] = [];
for (let i = 0; i < sessions; i++) {
  // The join's reply, its END and the member's own $presence.
  const { ws, done } = open(proxy.url, 3);
  ws.onopen = () => ws.send(encodeJsonFrame(0, "room/join", { room: "bench" }, 1));
  clients.push(await done);
}
// Everyone heard the later joins; acknowledged, so only the broadcasts below stay kept.
for (const [i, { ws, counter }] of clients.entries()) {
  await counter.until(3 + sessions - 1 - i);
  ws.send(encodeJsonFrame(0, "$ack", counter.seen));
}
await new Promise<void>((resolve) => {
  const check = () => {
    const acked = clients.every(({ info, counter }) =>
      runtime.sessions!.get(info.id)!.buffer.acked === counter.seen
    );
    if (acked) resolve();
    else setTimeout(check, 10);
  };
  check();
});
proxy.cut();
while (runtime.sessions!.waiting < sessions) await new Promise((r) => setTimeout(r, 10));
for (let n = 0; n < FRAMES; n++) {
  runtime.api.broadcast({ event: "tick", payload: { n, ...PAYLOAD } }, { room: "bench" });
}
const perSession = (heap() - base) / sessions;
const frameBytes = runtime.sessions!.get(clients[0].info.id)!.buffer.bytes;

const latencies: number[] = [];
for (const { info, counter } of clients) {
  const started = performance.now();
  const { ws, done } = open(runtime.url!, FRAMES, { token: info.token, seq: counter.seen });
  const resumed = await done;
  latencies.push(performance.now() - started);
  if (!resumed.info.resumed) throw new Error(`Session ${info.id} was not resumed`);
  ws.close();
}
await proxy.close();
await runtime.close();
console.log(JSON.stringify({ sessions, frames: FRAMES, perSession, frameBytes, latencies }));
