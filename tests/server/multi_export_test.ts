import assert from "node:assert/strict";
import { startServer, TestSocket } from "../_harness.ts";

/** Exports declared zulu first: the order that counts is alphabetical. */
const TWO_EXPORTS = `export async function* zulu() {
  yield { payload: "zulu 1" };
  await null;
  yield { payload: "zulu 2" };
}
export async function* alpha() {
  yield { payload: "alpha 1" };
  await null;
  yield { payload: "alpha 2" };
}`;

/** alpha can only finish once beta has run. */
const WAITING = `const gates = new WeakMap();
const gate = (m) => gates.get(m) ?? gates.set(m, Promise.withResolvers()).get(m);
export async function* alpha(m) {
  yield { payload: "alpha 1" };
  await gate(m).promise;
  yield { payload: "alpha 2" };
}
export async function* beta(m) {
  gate(m).resolve();
  yield { payload: "beta 1" };
}`;

Deno.test("multiExport sequential runs a file's exports one after another, alphabetically", async () => {
  await using srv = await startServer({ plugs: { "two.ts": TWO_EXPORTS } });
  await using ws = await TestSocket.open(srv.url);
  const frames = await ws.call("two", null, 1);
  assert.deepEqual(frames.map((f) => f.json), ["alpha 1", "alpha 2", "zulu 1", "zulu 2", null]);
  assert.ok(frames.at(-1)!.end);
});

Deno.test("every export of a file gets the same message object, as one run of the plug", async () => {
  await using srv = await startServer({
    plugs: {
      "shared.ts":
        `export async function* alpha(m) { m.seenBy = "alpha"; yield { payload: "alpha" }; }
        export async function* beta(m) { yield { payload: m.seenBy ?? "a message of its own" }; }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  for (const id of [1, 2]) {
    const frames = await ws.call("shared", null, id);
    assert.deepEqual(frames.map((f) => f.json), ["alpha", "alpha", null]);
  }
});

Deno.test("multiExport concurrent runs a file's exports side by side, the END frame last", async () => {
  await using srv = await startServer({
    plugs: { "waiting.ts": WAITING },
    config: { multiExport: "concurrent" },
  });
  await using ws = await TestSocket.open(srv.url);
  const frames = await ws.call("waiting", null, 1);
  assert.deepEqual(frames.map((f) => f.json), ["alpha 1", "beta 1", "alpha 2", null]);
  assert.ok(frames.at(-1)!.end);
});

Deno.test("multiExport concurrent: a throwing export ends the call with one ERROR frame", async () => {
  await using srv = await startServer({
    plugs: {
      "mixed.ts": `export async function* a() { yield { payload: "a" }; throw new Error("boom"); }
        export async function* b() { while (true) { yield { payload: "b" }; await null; } }`,
    },
    config: { multiExport: "concurrent" },
  });
  await using ws = await TestSocket.open(srv.url);
  const frames = await ws.call("mixed", null, 1);
  const last = frames.at(-1)!;
  assert.deepEqual([last.type, last.end, (last.json as { message: string }).message], [
    4,
    true,
    "boom",
  ]);
  assert.ok(frames.slice(0, -1).every((f) => f.json === "a" || f.json === "b"));
  assert.equal(frames.filter((f) => f.end).length, 1);
});
