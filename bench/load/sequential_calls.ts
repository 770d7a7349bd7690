/**
 * Sequential calls through the ssocket client library (what an app that
 * awaits one call at a time sees): `calls` calls of the echo plug read with
 * `first()`, then as many read with `all()`, one after another on one
 * connection. Prints one JSON line `{ first: number[], all: number[] }` of
 * per-call latencies in ms.
 *
 * Usage: deno run -A bench/load/sequential_calls.ts URL CALLS
 *
 * @module
 */

import { connect } from "../../src/client/mod.ts";

const [url, callsArg] = Deno.args;
const calls = Number(callsArg ?? 200);
const client = await connect(url);
const latencies = { first: [] as number[], all: [] as number[] };
// Warm-up: both paths, so the JIT has seen them before timing starts.
for (let i = 0; i < 20; i++) {
  await client.call("echo", i).first();
  await client.call("echo", i).all();
}
for (const mode of ["first", "all"] as const) {
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const call = client.call("echo", { i });
    await (mode === "first" ? call.first() : call.all());
    latencies[mode].push(performance.now() - started);
  }
}
await client.close();
console.log(JSON.stringify(latencies));
