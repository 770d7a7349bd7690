import assert from "node:assert/strict";
import type { Client } from "../../src/plugs/api.ts";
import { startServer, TestSocket } from "../_harness.ts";

Deno.test("Server.broadcast() and sendTo() reach connections by id", async () => {
  let connected: (c: Client) => void;
  const firstConnection = new Promise<Client>((r) => connected = r);
  await using srv = await startServer({
    init: (server) => void server.onConnect((c) => connected(c)),
  });
  await using a = await TestSocket.open(srv.url);
  const clientA = await firstConnection;
  await using b = await TestSocket.open(srv.url);
  assert.equal(srv.server.connectionCount, 2);
  assert.deepEqual(new Set(srv.server.connections.map((c) => c.id)).size, 2);

  assert.equal(srv.server.sendTo(clientA.id, { event: "direct", payload: { to: "a" } }), true);
  const direct = await a.next();
  assert.deepEqual([direct.event, direct.type, direct.json], ["direct", 0, { to: "a" }]);
  assert.equal(srv.server.sendTo("no-such-id", { event: "x", payload: 1 }), false);

  assert.equal(srv.server.broadcast({ event: "news", payload: 1 }, { exclude: clientA }), 1);
  const news = await b.next();
  assert.deepEqual([news.event, news.type, news.json], ["news", 1, 1]);
  assert.equal(srv.server.broadcast({ event: "all", payload: 2 }), 2);
  assert.equal((await a.next()).event, "all");
  assert.equal((await b.next()).event, "all");
});

Deno.test("onConnect and onDisconnect hooks receive the client handle", async () => {
  const events: string[] = [];
  let disconnected: () => void;
  const gone = new Promise<void>((r) => disconnected = r);
  await using srv = await startServer({
    init(server) {
      server.onConnect((c) => void events.push(`open ${c.id}`));
      server.onDisconnect((c) => {
        events.push(`close ${c.id} ${c.isOpen}`);
        disconnected();
      });
    },
  });
  const ws = await TestSocket.open(srv.url);
  const id = srv.server.connections[0].id;
  await ws.close();
  await gone;
  assert.deepEqual(events, [`open ${id}`, `close ${id} false`]);
  assert.equal(srv.server.connectionCount, 0);
});

Deno.test("a throwing hook is logged and does not break the connection", async () => {
  await using srv = await startServer({
    plugs: { "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }" },
    init: (server) =>
      void server.onConnect(() => {
        throw new Error("hook broke");
      }),
  });
  await using ws = await TestSocket.open(srv.url);
  ws.send("echo", 1);
  assert.equal((await ws.next()).json, 1);
  await srv.waitForLog(/onConnect hook failed:.*hook broke/s);
});

Deno.test("close() closes every connection with 1001", async () => {
  const srv = await startServer();
  try {
    const ws = await TestSocket.open(srv.url);
    await srv.server.close();
    const event = await ws.closed;
    assert.equal(event.code, 1001);
  } finally {
    await srv.close();
  }
});

Deno.test("close() still delivers 1001 while a plug is running", async () => {
  const srv = await startServer({
    plugs: {
      "busy.ts": `export async function* busy() {
        for (let i = 0; i < 1000; i++) { yield { payload: i }; await new Promise((r) => setTimeout(r, 2)); }
      }`,
    },
  });
  try {
    const sockets = await Promise.all([1, 2, 3].map(() => TestSocket.open(srv.url)));
    for (const ws of sockets) ws.send("busy", null);
    await Promise.all(sockets.map((ws) => ws.next()));
    await srv.server.close();
    const codes = await Promise.all(sockets.map(async (ws) => (await ws.closed).code));
    assert.deepEqual(codes, [1001, 1001, 1001]);
  } finally {
    await srv.close();
  }
});

Deno.test("plain HTTP requests get a JSON status, not an error; events only with statusShowsEvents", async () => {
  for (const statusShowsEvents of [false, true]) {
    await using srv = await startServer({
      plugs: { "a/b.ts": "export async function* b() {}" },
      config: { statusShowsEvents },
    });
    const response = await fetch(srv.url.replace("ws:", "http:") + "anything");
    assert.equal(response.status, 200);
    const status = await response.json();
    assert.equal(status.name, "ssocket");
    assert.deepEqual(status.events, statusShowsEvents ? ["a/b"] : undefined);
    assert.equal(status.connections, 0);
  }
});

Deno.test("staticFolder files are served, and paths cannot escape it", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/site`);
  await Deno.writeTextFile(`${dir}/site/index.html`, "<h1>hi</h1>");
  await Deno.writeTextFile(`${dir}/secret.txt`, "secret");
  try {
    await using srv = await startServer({ config: { staticFolder: `${dir}/site` } });
    const base = srv.url.replace("ws:", "http:");
    const page = await fetch(base);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(await page.text(), "<h1>hi</h1>");
    for (const path of ["..%2fsecret.txt", "%2e%2e/secret.txt", "..%5csecret.txt"]) {
      const res = await fetch(base + path);
      assert.notEqual(await res.text(), "secret", path);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
