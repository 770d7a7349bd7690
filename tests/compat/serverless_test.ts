/**
 * Acceptance: plugs and an INIT file shaped like serverless-sockets' README
 * examples, unchanged but for their import lines, served to clients that
 * speak only the original format. The imports below make `deno test`
 * type-check those files against today's `ssocket` module.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import "./serverless_plugs/echo.ts";
import "./serverless_plugs/multiyield.ts";
import "./serverless_plugs/broadcast.ts";
import "./serverless_plugs/method_broadcast.ts";
import "./serverless_plugs/sync.ts";
import { INIT, seen } from "./INIT.ts";
import type { InitHook } from "../../src/server/start.ts";
import { startServer } from "../_harness.ts";
import { LegacySocket } from "../_legacy_client.ts";
import { catalogueSteps } from "../client/_big_objects.ts";

const PLUGS = fileURLToPath(new URL("./serverless_plugs/", import.meta.url));
const MESSAGE = 0, BROADCAST = 1, SYNC = 3, NOT_FOUND = 5;

function serve() {
  // The runtime hands INIT the server with the old hooks added; INIT files
  // are imported untyped, so only this direct pass needs the cast.
  return startServer({ config: { plugsFolder: PLUGS }, init: INIT as InitHook });
}

Deno.test("serverless-sockets plugs: echo and multi-yield answer an original client", async () => {
  await using srv = await serve();
  await using ws = await LegacySocket.open(srv.url);
  ws.send("echo", { hello: "world" });
  const echo = await ws.next();
  assert.deepEqual([echo.eventType, echo.event, echo.payload], [MESSAGE, "echo", {
    hello: "world",
  }]);
  ws.send("multiyield", { count: 4 });
  for (let i = 0; i < 4; i++) {
    const frame = await ws.next();
    assert.deepEqual([frame.eventType, frame.event, frame.payload], [MESSAGE, "spam-mode", {
      name: `iteration ${i}`,
    }]);
  }
});

Deno.test("serverless-sockets plugs: yielded and Socket.broadcast broadcasts reach the others only", async () => {
  await using srv = await serve();
  await using sender = await LegacySocket.open(srv.url);
  await using receiver = await LegacySocket.open(srv.url);
  for (const event of ["broadcast", "method_broadcast"]) {
    sender.send(event, { n: event });
    const got = await receiver.next();
    assert.deepEqual([got.eventType, got.event, got.payload], [BROADCAST, "broadcast-1", {
      n: event,
    }]);
    if (event === "method_broadcast") {
      // Its `yield { event: "", payload: {} }` answers under the request's event, as before.
      const reply = await sender.next();
      assert.deepEqual([reply.eventType, reply.event, reply.payload], [MESSAGE, event, {}]);
    }
  }
  // The sender is excluded: the next frame it gets is the answer to this echo.
  sender.send("echo", "after");
  assert.equal((await sender.next()).payload, "after");
});

Deno.test("serverless-sockets plugs: an original client syncs 50 large states from its request", async () => {
  await using srv = await serve();
  await using ws = await LegacySocket.open(srv.url);
  const state = ws.send("sync", { count: 50 });
  for (const step of catalogueSteps(7, 50)) {
    const frame = await ws.next();
    assert.deepEqual([frame.eventType, frame.event], [SYNC, "sync-1"]);
    state.syncIncoming(frame);
    assert.deepEqual(state.payload, step, `step ${step.step}`);
  }
});

Deno.test("serverless-sockets INIT: onSocketConnect and onSocketDisconnect hooks run", async () => {
  await using srv = await serve();
  const before = { ...seen };
  const ws = await LegacySocket.open(srv.url);
  ws.send("nope", {});
  assert.equal((await ws.next()).eventType, NOT_FOUND, "an unknown event");
  assert.equal(seen.connects, before.connects + 1);
  await ws.close();
  await srv.waitForLog(/Connection \S+ closed/);
  assert.equal(seen.disconnects, before.disconnects + 1);
});
