import assert from "node:assert/strict";
import { SignJWT } from "jose";
import type { Server } from "../../src/plugs/api.ts";
import { connect } from "../../src/client/mod.ts";
import { startServer, TestSocket, WAIT_MS, withTimeout } from "../_harness.ts";

const SECRET = "test-secret-of-some-length";
const WHOAMI = {
  "whoami.ts": "export async function* whoami(m, c) { yield { payload: c.identity ?? null }; }",
  "kick.ts": "export async function* kick(m, c) { c.close(4000, 'kicked'); }",
};

/** Sends a WebSocket upgrade by hand and returns the status code and body of the answer. */
async function rawUpgrade(url: string, headers: Record<string, string> = {}) {
  const { hostname, port, pathname, search } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const lines = [
    `GET ${pathname}${search} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    "",
    "",
  ];
  await conn.write(new TextEncoder().encode(lines.join("\r\n")));
  let text = "";
  const buf = new Uint8Array(4096);
  try {
    // Read until the body announced by content-length is in (refusals have one).
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
      const [head, body = ""] = text.split("\r\n\r\n");
      const length = Number(head.match(/content-length: (\d+)/i)?.[1] ?? NaN);
      if (text.includes("\r\n\r\n") && (head.includes(" 101 ") || body.length >= length)) break;
    }
  } finally {
    conn.close();
  }
  const [head, body = ""] = text.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), body };
}

function jwt(claims: Record<string, unknown>, secret = SECRET) {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(
    new TextEncoder().encode(secret),
  );
}
const now = () => Math.floor(Date.now() / 1000);

Deno.test("server.authenticate: refusal is a 401 with no socket; acceptance puts the identity in plugs", async () => {
  await using srv = await startServer({
    plugs: WHOAMI,
    init: (server: Server) =>
      server.authenticate((request, { token, remoteAddr }) => {
        if (token === "teapot") return new Response("no tea", { status: 418 });
        if (token === "boom") throw new Error("database down");
        assert.equal(remoteAddr.hostname, "127.0.0.1");
        assert.ok(request.headers.get("upgrade"));
        return token === "good" ? { user: "ada" } : false;
      }),
  });
  const refused = await rawUpgrade(srv.url);
  assert.equal(refused.status, 401);
  assert.match(refused.body, /Unauthorized: the authenticator said no/);
  assert.equal((await rawUpgrade(srv.url + "?token=boom")).status, 401);
  const teapot = await rawUpgrade(srv.url + "?token=teapot");
  assert.deepEqual([teapot.status, teapot.body], [418, "no tea"]);
  assert.equal(srv.runtime.hub.connections.size, 0);
  assert.equal(srv.runtime.metrics!.authRefused, 3);

  await using ws = await TestSocket.open(srv.url + "?token=good");
  const [reply] = await ws.call("whoami", null, 1);
  assert.deepEqual(reply.json, { user: "ada" });
  const client = srv.server.connections[0];
  assert.throws(() => (client.identity as Record<string, unknown>).user = "eve", TypeError);
});

Deno.test("a token in Sec-WebSocket-Protocol is read and the server answers with ssocket.v1, never the token", async () => {
  await using srv = await startServer({
    plugs: WHOAMI,
    init: (server: Server) => server.authenticate((_r, { token }) => token ? { token } : false),
  });
  const ws = new WebSocket(srv.url, ["ssocket.v1", "ssocket.token.abc.DEF_-9"]);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  assert.equal(ws.protocol, "ssocket.v1");
  const closed = new Promise((resolve) => ws.onclose = resolve);
  ws.close();
  await closed;
  assert.equal((await rawUpgrade(srv.url, { "Sec-WebSocket-Protocol": "ssocket.v1" })).status, 401);
});

Deno.test("auth.jwtSecret: valid, expired, wrong signature and not-yet-valid tokens", async () => {
  await using srv = await startServer({ plugs: WHOAMI, config: { auth: { jwtSecret: SECRET } } });
  const cases: [string, string, RegExp][] = [
    ["expired", await jwt({ sub: "u1", exp: now() - 10 }), /expired/],
    ["wrong signature", await jwt({ sub: "u1" }, "another-secret-entirely"), /signature/],
    ["nbf in the future", await jwt({ sub: "u1", nbf: now() + 600 }), /nbf/],
    ["not a JWT", "hello", /not a valid/],
  ];
  for (const [name, token, reason] of cases) {
    const answer = await rawUpgrade(`${srv.url}?token=${token}`);
    assert.equal(answer.status, 401, name);
    assert.match(answer.body, reason, name);
  }
  assert.equal((await rawUpgrade(srv.url)).status, 401);
  assert.equal(srv.runtime.hub.connections.size, 0);
  const exp = now() + 600;
  const valid = await jwt({ sub: "u1", role: "admin", exp });
  await using ws = await TestSocket.open(`${srv.url}?token=${valid}`);
  const [reply] = await ws.call("whoami", null, 1);
  assert.deepEqual(reply.json, { sub: "u1", role: "admin", exp });
});

Deno.test("a connection whose JWT expires is closed with 4001", async () => {
  await using srv = await startServer({ plugs: WHOAMI, config: { auth: { jwtSecret: SECRET } } });
  await using ws = await TestSocket.open(
    `${srv.url}?token=${await jwt({ sub: "u", exp: now() + 1 })}`,
  );
  const closed = await withTimeout(ws.closed, WAIT_MS, () => "not closed at expiry");
  assert.deepEqual([closed.code, closed.reason], [4001, "Token expired"]);
});

Deno.test("a $auth frame with a fresh token keeps the connection past the first token's expiry", async () => {
  await using srv = await startServer({ plugs: WHOAMI, config: { auth: { jwtSecret: SECRET } } });
  const firstExp = now() + 1;
  await using ws = await TestSocket.open(
    `${srv.url}?token=${await jwt({ sub: "u", exp: firstExp })}`,
  );
  const other = await ws.call(
    "$auth",
    { token: await jwt({ sub: "mallory", exp: now() + 60 }) },
    1,
  );
  assert.deepEqual([other[0].type, (other[0].json as { code: string }).code], [4, "AUTH_FAILED"]);
  const exp = now() + 60;
  const fresh = await jwt({ sub: "u", n: 2, exp });
  const replies = await ws.call("$auth", { token: fresh }, 2);
  assert.deepEqual(replies.map((f) => [f.type, f.json, f.end]), [
    [2, { exp }, false],
    [0, null, true],
  ]);
  // Nothing to await here: the point is that no close comes at the old expiry.
  const pastFirst = firstExp * 1000 + 500 - Date.now();
  const outcome = await Promise.race([
    ws.closed.then((e) => `closed ${e.code}`),
    new Promise((r) => setTimeout(r, pastFirst, "open")),
  ]);
  assert.equal(outcome, "open");
  const [reply] = await ws.call("whoami", null, 3);
  assert.equal((reply.json as { n: number }).n, 2);
});

Deno.test("$auth without auth.jwtSecret answers AUTH_FAILED", async () => {
  await using srv = await startServer({ plugs: WHOAMI });
  await using ws = await TestSocket.open(srv.url);
  const [reply] = await ws.call("$auth", { token: "x" }, 1);
  assert.deepEqual([reply.type, (reply.json as { code: string }).code], [4, "AUTH_FAILED"]);
});

Deno.test("the client's auth function runs again on every reconnect; reauthenticate() renews", async () => {
  await using srv = await startServer({ plugs: WHOAMI, config: { auth: { jwtSecret: SECRET } } });
  let calls = 0;
  const exp = now() + 600;
  const client = await connect(srv.url, {
    auth: async () => await jwt({ sub: "u", n: ++calls, exp }),
    reconnect: { initialDelay: 10, maxDelay: 10, jitter: 0 },
  });
  try {
    assert.deepEqual(((await client.call("whoami").first()) as { n: number }).n, 1);
    const reopened = new Promise((resolve) => client.onConnection("open", resolve));
    client.send("kick");
    assert.deepEqual(await withTimeout(reopened, WAIT_MS, () => "no reconnect"), {
      reconnected: true,
    });
    assert.equal(calls, 2);
    assert.equal(((await client.call("whoami").first()) as { n: number }).n, 2);
    assert.equal(await client.reauthenticate(), exp);
    assert.equal(((await client.call("whoami").first()) as { n: number }).n, 3);
  } finally {
    await client.close();
  }
});

Deno.test("the client puts a token that is no valid subprotocol in the query instead", async () => {
  await using srv = await startServer({
    plugs: WHOAMI,
    init: (server: Server) => server.authenticate((_r, { token }) => ({ token })),
  });
  const client = await connect(srv.url, { auth: "with space/and=", reconnect: false });
  try {
    assert.deepEqual(await client.call("whoami").first(), { token: "with space/and=" });
  } finally {
    await client.close();
  }
});
