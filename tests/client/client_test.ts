import assert from "node:assert/strict";
import { startServer } from "../_harness.ts";
import {
  Call,
  CallError,
  connect,
  ConnectionError,
  NotFoundError,
  SsocketClient,
  type SsocketError,
  TimeoutError,
} from "../../src/client/mod.ts";

const PLUGS = {
  "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }",
  "count.ts": `export async function* count(m) {
    for (let i = 0; i < m.payload.n; i++) yield { payload: { i } };
  }`,
  "slow.ts": `export async function* slow(m) {
    await new Promise((r) => setTimeout(r, m.payload.wait));
    yield { payload: { id: m.payload.id } };
  }`,
  "fail.ts": `export async function* fail(m) {
    const err = new Error("Not today");
    err.code = "NOPE";
    throw err;
  }`,
  "shout.ts": `export async function* shout(m) {
    yield { type: 1, event: "news", payload: m.payload };
    yield { payload: "sent" };
  }`,
  "quiet.ts": "export async function* quiet() {}",
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("SsocketClient.call() yields every reply, then ends", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  const replies = [];
  for await (const reply of client.call("count", { n: 3 })) replies.push(reply);
  assert.deepEqual(replies, [{ i: 0 }, { i: 1 }, { i: 2 }]);
  assert.deepEqual(await client.call("echo", { hi: "there" }).first(), { hi: "there" });
  assert.deepEqual(await client.call("count", { n: 2 }).all(), [{ i: 0 }, { i: 1 }]);
  assert.equal(await client.call("quiet").first(), undefined);
});

Deno.test("SsocketClient.call() keeps many calls in flight apart", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  const waits = Array.from({ length: 40 }, (_, i) => (i * 37) % 50);
  const replies = await Promise.all(
    waits.map((wait, id) => client.call("slow", { wait, id }).first()),
  );
  assert.deepEqual(replies, waits.map((_, id) => ({ id })));
});

Deno.test("SsocketClient.call() rejects with TimeoutError when no reply comes in time", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  const started = Date.now();
  await assert.rejects(
    client.call("slow", { wait: 150, id: 1 }, { timeout: 30 }).first(),
    (err) => {
      assert.ok(err instanceof TimeoutError);
      assert.equal((err as TimeoutError).code, "TIMEOUT");
      return true;
    },
  );
  assert.ok(Date.now() - started < 140);
  // The timer restarts at each reply: a stream slower in total than the timeout still ends.
  assert.equal((await client.call("count", { n: 50 }, { timeout: 100 }).all()).length, 50);
  await sleep(150); // let the slow plug's own timer finish before the server closes
});

Deno.test("SsocketClient.call() rejects ERROR with CallError and NOT_FOUND with NotFoundError", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  const error = await client.call("fail").first().catch((err) => err);
  assert.ok(error instanceof CallError && !(error instanceof NotFoundError));
  assert.equal(error.code, "NOPE");
  assert.equal(error.message, "Not today");
  assert.equal(error.event, "fail");
  const missing = await client.call("no/such/plug").first().catch((err) => err);
  assert.ok(missing instanceof NotFoundError);
  assert.equal(missing.code, "NOT_FOUND");
  assert.equal(missing.event, "no/such/plug");
  // The connection is still good afterwards.
  assert.deepEqual(await client.call("echo", 1).first(), 1);
});

Deno.test("SsocketClient.call() honours an AbortSignal and breaking out of the loop", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  const controller = new AbortController();
  const call = client.call("slow", { wait: 60, id: 1 }, { signal: controller.signal });
  controller.abort();
  await assert.rejects(call.first(), (err) => (err as SsocketError).code === "ABORTED");
  let seen = 0;
  for await (const _ of client.call("count", { n: 10 })) if (++seen === 2) break;
  assert.equal(seen, 2);
  assert.throws(() => {
    const once = client.call("echo", 1);
    once[Symbol.asyncIterator]();
    once[Symbol.asyncIterator]();
  }, TypeError);
  await sleep(80);
});

Deno.test("SsocketClient.on() gets BROADCASTs from other clients until off()", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using alice = await connect(srv.url);
  await using bob = await connect(srv.url);
  const news: unknown[] = [];
  const { promise: got, resolve } = Promise.withResolvers<void>();
  const listener = (payload: unknown, frame: { event: string; type: number }) => {
    news.push({ payload, ...frame });
    resolve();
  };
  bob.on("news", listener);
  assert.equal(await alice.call("shout", { text: "hi" }).first(), "sent");
  await got;
  assert.deepEqual(news, [{ payload: { text: "hi" }, event: "news", type: 1 }]);
  bob.off("news", listener);
  await alice.call("shout", { text: "again" }).all();
  await bob.call("echo", 0).all(); // a round trip: the broadcast had time to arrive
  assert.equal(news.length, 1);
});

Deno.test("SsocketClient.send() fires and forgets; errors go to onConnection('error')", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  const echoed = Promise.withResolvers<unknown>();
  client.on("echo", (payload) => echoed.resolve(payload));
  assert.equal(client.send("echo", { fire: true }), true);
  assert.deepEqual(await echoed.promise, { fire: true });
  const failed = Promise.withResolvers<SsocketError>();
  client.onConnection("error", (err) => failed.resolve(err));
  client.send("nobody/home", {});
  const err = await failed.promise;
  assert.ok(err instanceof NotFoundError);
  assert.equal(err.event, "nobody/home");
});

Deno.test("SsocketClient queues calls made before it opens and rejects them after close()", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  const client = new SsocketClient(srv.url);
  assert.equal(client.state, "connecting");
  const early = client.call("echo", "early").first();
  assert.equal(await early, "early");
  const late = client.call("slow", { wait: 50, id: 1 });
  await client.close();
  assert.equal(client.state, "closed");
  await assert.rejects(late.first(), (err) => (err as ConnectionError).code === "CLIENT_CLOSED");
  await assert.rejects(client.call("echo", 1).first(), ConnectionError);
  await assert.rejects(client.ready(), ConnectionError);
  assert.equal(client.send("echo", 1), false);
  await sleep(70);
});

Deno.test("connect() rejects when reconnect is off and nothing listens", async () => {
  const srv = await startServer();
  const url = srv.url;
  await srv.close();
  await assert.rejects(
    connect(url, { reconnect: false }),
    (err) => (err as ConnectionError).code === "NOT_CONNECTED",
  );
});

Deno.test("SsocketClient turns http: URLs into ws: URLs", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url.replace("ws:", "http:"));
  assert.ok(client.url.startsWith("ws://"));
  assert.ok((client.call("echo", 1) as Call<unknown>) instanceof Call);
});

Deno.test("Call.first() and a timeout cancel the plug on the server", async () => {
  await using srv = await startServer({
    plugs: {
      "ticks.ts": `export async function* ticks(m, client) {
        try {
          for (let i = 0; ; i++) {
            yield { payload: i };
            await new Promise((r) => setTimeout(r, m.payload.every));
          }
        } finally {
          client.server.log.info("ticks " + m.payload.tag + " stopped");
        }
      }`,
    },
  });
  await using client = await connect(srv.url);
  assert.equal(await client.call("ticks", { every: 5, tag: "first" }).first(), 0);
  await srv.waitForLog(/ticks first stopped/);
  const slow = client.call("ticks", { every: 500, tag: "timeout" }, { timeout: 50 });
  await assert.rejects(slow.all(), TimeoutError);
  await srv.waitForLog(/ticks timeout stopped/);
});
