import assert from "node:assert/strict";
import { startServer, type TestServer } from "../_harness.ts";
import { backoffDelay, DEFAULT_RECONNECT, SsocketClient } from "../../src/client/mod.ts";
import type { ConnectionError, ConnectionEvents } from "../../src/client/mod.ts";

const PLUGS = {
  "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }",
  "hang.ts": "export async function* hang() { await new Promise(() => {}); }",
  "note.ts": `export async function* note(m, c) {
    (c.data.notes ??= []).push(m.payload);
  }`,
  "notes.ts": "export async function* notes(m, c) { yield { payload: c.data.notes ?? [] }; }",
  "shout.ts":
    "export async function* shout(m) { yield { type: 1, event: 'news', payload: m.payload }; }",
};

function start(port = 0): Promise<TestServer> {
  return startServer({ plugs: PLUGS, config: { INSECURE: { port } } });
}

/** Resolves with the next `kind` connection event of `client`. */
function next<K extends keyof ConnectionEvents>(
  client: SsocketClient,
  kind: K,
): Promise<ConnectionEvents[K]> {
  return new Promise((resolve) => {
    const off = client.onConnection(kind, (event) => {
      off();
      resolve(event);
    });
  });
}

Deno.test("backoffDelay() grows exponentially up to maxDelay, less up to jitter", () => {
  const options = { ...DEFAULT_RECONNECT, initialDelay: 100, maxDelay: 1_000, jitter: 0.5 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, options, () => 0)),
    [100, 200, 400, 800, 1_000, 1_000],
  );
  assert.equal(backoffDelay(2, options, () => 0.999), 200);
  assert.equal(backoffDelay(2, { ...options, jitter: 0 }, () => 0.999), 400);
});

Deno.test("SsocketClient reconnects after a restart, keeps listeners, flushes the offline buffer", async () => {
  let srv = await start();
  const port = srv.runtime.addr!.port;
  const client = new SsocketClient(srv.url, {
    reconnect: { initialDelay: 20, maxDelay: 100 },
    offlineBuffer: 2,
  });
  try {
    await client.ready();
    const news: unknown[] = [];
    client.on("news", (payload) => news.push(payload));
    const inFlight = client.call("hang", {}, { timeout: 0 }).first().catch((err) => err);

    const closed = next(client, "close");
    const reconnecting = next(client, "reconnecting");
    await srv.close();
    // 1001 from the server, or 1006 when its close frame is lost in the shutdown.
    assert.ok([1001, 1006].includes((await closed).code));
    assert.equal((await closed).willReconnect, true);
    assert.ok((await reconnecting).attempt >= 1);
    const lost = await inFlight;
    assert.equal((lost as ConnectionError).code, "CONNECTION_LOST");
    assert.match((lost as Error).message, /"hang" was in flight/);

    // Offline: sends are buffered up to offlineBuffer, calls wait for the connection.
    assert.equal(client.send("note", 1), true);
    assert.equal(client.send("note", 2), true);
    assert.equal(client.send("note", 3), false);
    const waiting = client.call("echo", "after", { timeout: 0 }).first();

    // What "open" listeners send goes out before the offline backlog.
    const opened = new Promise<ConnectionEvents["open"]>((resolve) => {
      const off = client.onConnection("open", (event) => {
        off();
        client.send("note", 0);
        resolve(event);
      });
    });
    srv = await start(port);
    assert.deepEqual(await opened, { reconnected: true });
    assert.equal(client.state, "open");
    assert.equal(await waiting, "after");
    assert.deepEqual(await client.call("notes").first(), [0, 1, 2]);

    await using other = new SsocketClient(srv.url);
    const heard = Promise.withResolvers<void>();
    client.on("news", () => heard.resolve());
    await other.call("shout", "back").all();
    await heard.promise;
    assert.deepEqual(news, ["back"]);
  } finally {
    await client.close();
    await srv.close();
  }
});

Deno.test("SsocketClient with reconnect off closes for good on a drop", async () => {
  const srv = await start();
  const client = new SsocketClient(srv.url, { reconnect: false, offlineBuffer: 5 });
  await client.ready();
  const closed = next(client, "close");
  await srv.close();
  assert.equal((await closed).willReconnect, false);
  assert.equal(client.state, "closed");
  assert.equal(client.send("note", 1), false);
  await assert.rejects(
    client.call("echo", 1).first(),
    (err) => (err as ConnectionError).code === "NOT_CONNECTED",
  );
  await client.close();
});

Deno.test("SsocketClient gives up after maxAttempts retries", async () => {
  const srv = await start();
  const client = new SsocketClient(srv.url, {
    reconnect: { initialDelay: 5, maxDelay: 5, maxAttempts: 2 },
  });
  await client.ready();
  const attempts: number[] = [];
  client.onConnection("reconnecting", ({ attempt }) => attempts.push(attempt));
  const gaveUp = new Promise<void>((resolve) =>
    client.onConnection("close", ({ willReconnect }) => willReconnect || resolve())
  );
  await srv.close();
  await gaveUp;
  assert.deepEqual(attempts, [1, 2]);
  assert.equal(client.state, "closed");
  await assert.rejects(client.ready(), (err) => (err as ConnectionError).code === "NOT_CONNECTED");
});

Deno.test("SsocketClient.close() while reconnecting stops the retries", async () => {
  const srv = await start();
  const client = new SsocketClient(srv.url, { reconnect: { initialDelay: 10_000 } });
  await client.ready();
  const reconnecting = next(client, "reconnecting");
  await srv.close();
  await reconnecting;
  await client.close(); // the 10 s retry timer must not leak (the sanitizer would fail the test)
  assert.equal(client.state, "closed");
});
