import assert from "node:assert/strict";
import { Deadlines } from "../../src/server/deadlines.ts";

Deno.test("Deadlines.arm() fires no earlier than its ms, and within a few resolutions", async () => {
  const deadlines = new Deadlines(5);
  const fired = Promise.withResolvers<number>();
  const armedAt = performance.now();
  deadlines.arm(40, () => fired.resolve(performance.now() - armedAt));
  const elapsed = await fired.promise;
  assert.ok(elapsed >= 40, `fired after ${elapsed} ms`);
  // Generous: a loaded machine delays timers, but not by many resolutions.
  assert.ok(elapsed < 40 + 200, `fired after ${elapsed} ms`);
});

Deno.test("Deadlines.cancel() keeps a deadline from firing; later ones still fire in order", async () => {
  const deadlines = new Deadlines(2);
  const order: string[] = [];
  const done = Promise.withResolvers<void>();
  const cancelled = deadlines.arm(5, () => order.push("cancelled"));
  deadlines.arm(10, () => order.push("first"));
  deadlines.arm(30, () => {
    order.push("second");
    done.resolve();
  });
  deadlines.cancel(cancelled);
  deadlines.cancel(cancelled); // twice: nothing
  await done.promise;
  assert.deepEqual(order, ["first", "second"]);
});

Deno.test("Deadlines.race() settles as its promise does, or rejects with the timeout's error", async () => {
  const deadlines = new Deadlines(2);
  assert.equal(await deadlines.race(Promise.resolve(7), 50, () => new Error("late")), 7);
  await assert.rejects(
    deadlines.race(Promise.reject(new RangeError("own")), 50, () => new Error("late")),
    RangeError,
  );
  const never = new Promise<never>(() => {});
  await assert.rejects(deadlines.race(never, 10, () => new Error("late")), /late/);
});

Deno.test("Deadlines.clear() disarms everything and stops its interval", () => {
  const deadlines = new Deadlines(1);
  deadlines.arm(1000, () => assert.fail("cleared deadlines must not fire"));
  deadlines.arm(2000, () => assert.fail("cleared deadlines must not fire"));
  // The test's resource sanitizer fails it if the interval were still running.
  deadlines.clear();
});
