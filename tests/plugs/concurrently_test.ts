import assert from "node:assert/strict";
import { concurrently } from "../../src/plugs/concurrently.ts";
import type { PlugHandler } from "../../src/plugs/types.ts";

Deno.test("concurrently() interleaves yields: one handler finishes only because the other ran", async () => {
  const gate = Promise.withResolvers<void>();
  const merged = concurrently([
    async function* alpha() {
      yield { payload: "alpha 1" };
      await gate.promise;
      yield { payload: "alpha 2" };
    },
    async function* beta() {
      gate.resolve();
      yield { payload: "beta 1" };
    },
  ]);
  const out = [];
  for await (const step of merged({}, {})) out.push(step.payload);
  assert.deepEqual(out, ["alpha 1", "beta 1", "alpha 2"]);
});

Deno.test("concurrently() returns every running handler when it is returned", async () => {
  const finished = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
  const handler = (i: number): PlugHandler =>
    async function* () {
      try {
        yield { payload: i };
        yield { payload: i + 10 };
      } finally {
        finished[i].resolve();
      }
    };
  for await (const step of concurrently([handler(0), handler(1)])({}, {})) {
    assert.equal(step.payload, 0);
    break; // a cancel or disconnect does this
  }
  await Promise.all(finished.map((f) => f.promise));
});

Deno.test("concurrently() passes on the first error and returns the others", async () => {
  const otherFinished = Promise.withResolvers<void>();
  const merged = concurrently([
    async function* failing() {
      yield { payload: "before" };
      throw new Error("boom");
    },
    async function* other() {
      try {
        while (true) yield { payload: "tick" };
      } finally {
        otherFinished.resolve();
      }
    },
  ]);
  const seen: unknown[] = [];
  await assert.rejects(async () => {
    for await (const step of merged({}, {})) seen.push(step.payload);
  }, /boom/);
  await otherFinished.promise;
  assert.equal(seen[0], "before");
});
