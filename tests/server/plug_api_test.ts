/**
 * The plug API is the whole surface: a plug can reach the documented members
 * of Client and Server and none of the runtime's internals, and src/mod.ts
 * exports nothing else that runs.
 */
import assert from "node:assert/strict";
import * as mod from "../../src/mod.ts";
import { startServer, TEST_ISOLATION, TestSocket } from "../_harness.ts";

/** Every member a plug may use (src/plugs/api.ts). */
const CLIENT = [
  "bufferedAmount",
  "call",
  "close",
  "data",
  "id",
  "identity",
  "isOpen",
  "join",
  "leave",
  "rooms",
  "send",
  "server",
];
const SERVER = [
  "authenticate",
  "broadcast",
  "client",
  "close",
  "config",
  "connectionCount",
  "connections",
  "events",
  "log",
  "members",
  "onConnect",
  "onDisconnect",
  "rooms",
  "sendTo",
  "url",
];

/** Names reachable on an object: own keys and every prototype's, minus Object's. */
const PLUG = `export async function* probe(_m, client) {
  const names = (o) => {
    const all = new Set();
    for (let p = o; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const key of Reflect.ownKeys(p)) if (key !== "constructor") all.add(String(key));
    }
    return [...all].sort();
  };
  yield { payload: { client: names(client), server: names(client.server) } };
}`;

Deno.test("a plug reaches the plug API's members and nothing else", async () => {
  await using srv = await startServer({ plugs: { "probe.ts": PLUG } });
  await using ws = await TestSocket.open(srv.url);
  const [reply] = await ws.call("probe", null, 1);
  assert.deepEqual(reply.json, { client: CLIENT, server: SERVER });
});

Deno.test("server.authenticate() in a plug applies in-process; worker mode refuses it loudly", async () => {
  await using srv = await startServer({
    plugs: {
      "gate.ts": `export async function* gate(_m, client) {
        try {
          client.server.authenticate(() => false);
          yield { payload: "set" };
        } catch (err) {
          yield { payload: err.name + ": " + err.message };
        }
      }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  const [reply] = await ws.call("gate", null, 1);
  if (TEST_ISOLATION === "worker") {
    // The authenticator would run in the server, and die with its Worker at the next reload.
    assert.match(
      String(reply.json),
      /^TypeError: .*cannot be called from a plug in worker isolation/,
    );
    await using _next = await TestSocket.open(srv.url); // nothing was set: it opens
  } else {
    assert.equal(reply.json, "set");
    await assert.rejects(TestSocket.open(srv.url), /WebSocket failed to open/);
  }
});

Deno.test("src/mod.ts exports the codecs, errors, serve() and the deprecated aliases, and no runtime internals", () => {
  assert.deepEqual(Object.keys(mod).sort(), [
    "CallError",
    "CloseCode",
    "ConnectionError",
    "ErrorCode",
    "EventType",
    "FLAG_BINARY",
    "FLAG_END",
    "FLAG_REQUEST",
    "Log",
    "LogFields",
    "NotFoundError",
    "PlugError",
    "ProtocolError",
    "Socket",
    "SocketMessage",
    "TimeoutError",
    "applyDelta",
    "createDelta",
    "decodeFrame",
    "decodeJsonPayload",
    "decodePayload",
    "defaultConfig",
    "encodeFrame",
    "encodeJsonFrame",
    "encodePayloadFrame",
    "eventTypeName",
    "fields",
    "serve",
    "withDefaults",
  ]);
});
