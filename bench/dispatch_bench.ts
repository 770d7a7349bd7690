/**
 * In-process cost of dispatching one message, without sockets: a runtime
 * whose connections are sockets that only count what they are sent, fed
 * echo requests (one yield) and stream requests (20 yields) through
 * `Runtime.receive`. Prints the process's CPU µs per message (utime + stime,
 * less sensitive than wall time to other work on a shared machine), median
 * of 7 runs; run it before and after a change to the hot path (see README,
 * "Where ssocket's time goes").
 *
 * Usage: `deno run -A bench/dispatch_bench.ts [--pack] [--no-metrics]`
 * @module
 */

import { withDefaults } from "../config.ts";
import { encodeJsonFrame } from "../src/protocol/frame.ts";
import { start } from "../src/server/start.ts";
import type { SocketLike } from "../src/server/connection.ts";
import { ECHO_PAYLOAD, STREAM_YIELDS } from "./scenarios/throughput.ts";
import { cpuSeconds } from "./lib/proc.ts";

const MESSAGES = 300_000;
const BATCH = 500;
const RUNS = 7;

/** A socket that counts sends and copies nothing. */
class CountingSocket implements SocketLike {
  readyState = 1;
  bufferedAmount = 0;
  sent = 0;
  send(_data: Uint8Array): void {
    this.sent++;
  }
  close(): void {
    this.readyState = 3;
  }
}

const pack = Deno.args.includes("--pack");
const metricsOn = !Deno.args.includes("--no-metrics");
const dir = await Deno.makeTempDir({ prefix: "ssocket_dispatch_bench_" });
await Deno.writeTextFile(
  `${dir}/echo.ts`,
  await Deno.readTextFile(new URL("./plugs/echo.ts", import.meta.url)),
);
await Deno.writeTextFile(
  `${dir}/stream.ts`,
  await Deno.readTextFile(new URL("./plugs/stream.ts", import.meta.url)),
);
const runtime = await start({
  config: withDefaults({
    INSECURE: { port: 0, hostname: "127.0.0.1" },
    plugsFolder: dir,
    initFile: "",
    logLevel: "warn",
    printLogToConsole: false,
    // One connection sends far faster than a public server lets a client.
    limits: { messagesPerSecond: 0 },
    metrics: { isOn: metricsOn },
  }),
});

const socket = new CountingSocket();
const connection = runtime.accept(socket, {}, false, pack);

async function measure(frame: Uint8Array, messages: number): Promise<number> {
  const t0 = cpuSeconds(Deno.pid);
  for (let i = 0; i < messages; i += BATCH) {
    const runs: Promise<void>[] = [];
    for (let j = 0; j < BATCH; j++) runs.push(runtime.receive(connection, frame));
    await Promise.all(runs);
  }
  // Packed batches leave at the end of the turn: wait for that too.
  await new Promise((resolve) => setTimeout(resolve, 0));
  return (cpuSeconds(Deno.pid) - t0) * 1e6 / messages;
}

const echo = encodeJsonFrame(0, "echo", ECHO_PAYLOAD);
const stream = encodeJsonFrame(0, "stream", { count: STREAM_YIELDS }, 1);
for (
  const [name, frame, n] of [["echo", echo, MESSAGES], ["stream", stream, MESSAGES / 10]] as const
) {
  await measure(frame, n / 4); // warm-up
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) times.push(await measure(frame, n));
  times.sort((a, b) => a - b);
  console.log(
    `${name}${pack ? " (packed)" : ""}${metricsOn ? "" : " (metrics off)"}: ${
      times[RUNS >> 1].toFixed(2)
    } µs per message (min ${times[0].toFixed(2)})`,
  );
}
await runtime.close();
await Deno.remove(dir, { recursive: true });
