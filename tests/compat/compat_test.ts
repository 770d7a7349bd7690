import assert from "node:assert/strict";
import { Log, Socket, SocketMessage } from "../../src/mod.ts";
import { withSocketHooks } from "../../src/compat/mod.ts";
import { EventType } from "../../src/protocol/event_type.ts";
import { startServer, TestSocket } from "../_harness.ts";
import { LegacyMessage, LegacySocket } from "../_legacy_client.ts";

Deno.test("SocketMessage.encode() makes the frame the original encoder made", () => {
  const bytes = SocketMessage.encode({ event: "echo", type: EventType.SYNC, payload: { a: [1] } });
  assert.deepEqual(bytes, LegacyMessage.encode("echo", { a: [1] }, EventType.SYNC).raw);
  assert.deepEqual(SocketMessage.encode({ payload: 1 }), LegacyMessage.encode("", 1).raw);
});

Deno.test("SocketMessage.decode(), fromRaw() and fromBuffer() read a whole frame", () => {
  const bytes = SocketMessage.encode({ event: "é", payload: { hi: 1 } });
  for (
    const message of [
      SocketMessage.decode(bytes),
      SocketMessage.fromRaw(bytes),
      SocketMessage.fromBuffer(bytes.slice().buffer),
    ]
  ) {
    assert.deepEqual([message.event, message.eventType, message.payload], ["é", 0, { hi: 1 }]);
    assert.equal(message.sizeOfMessage, bytes.length);
    assert.equal(message.sizeOfEvent, 2, "UTF-8 bytes, not characters");
  }
});

Deno.test("a plug reads message.sizeOfMessage and sizeOfEvent as before", async () => {
  await using srv = await startServer({
    plugs: {
      "sizes.ts": `export async function* sizes(m) {
        yield { payload: [m.sizeOfMessage, m.sizeOfEvent] };
      }`,
    },
  });
  await using ws = await LegacySocket.open(srv.url);
  const sent = ws.send("sizes", { pad: "xyz" });
  assert.deepEqual((await ws.next()).payload, [sent.raw.length, 5]);
});

Deno.test("Log writes lines in the server's format and Log.silent() swallows errors", async () => {
  const lines: string[] = [];
  const saved = { log: console.log, warn: console.warn, error: console.error };
  console.log = console.warn = console.error = (line: string) => lines.push(line);
  try {
    await Log.info("one");
    await Log.warning("two");
    await Log.error("three");
    assert.equal(await Log.silent(() => 42), 42);
    assert.equal(
      await Log.silent(() => {
        throw new Error("boom");
      }),
      null,
    );
  } finally {
    Object.assign(console, saved);
  }
  assert.match(lines[0], /^\d{4}-\d\d-\d\dT\S+ INFO {2}one$/);
  assert.match(lines[1], / WARN {2}two$/);
  assert.match(lines[2], / ERROR three$/);
  assert.match(lines[3], / ERROR Error: boom/);
  assert.equal(lines.length, 4);
});

Deno.test("withSocketHooks() keeps the server's members and adds the old hooks", async () => {
  await using srv = await startServer();
  const socket = withSocketHooks(srv.server);
  const opened: string[] = [];
  const remove = socket.onSocketConnect((client) => void opened.push(client.id));
  assert.ok("onSocketConnect" in socket && "broadcast" in socket);
  await using ws = await LegacySocket.open(srv.url);
  await using other = await TestSocket.open(srv.url);
  other.send("nothing");
  await other.next(); // NOT_FOUND: both connections are accepted by now
  assert.equal(socket.connectionCount, 2);
  assert.equal(opened.length, 2);
  remove();
  socket.kickAll();
  await ws.closed;
  await other.closed;
});

Deno.test("Socket.broadcast() and Socket.sendMessage() reach the server through the plug's client", async () => {
  await using srv = await startServer({
    plugs: {
      "old.ts": `import { Socket } from "${new URL("../../src/mod.ts", import.meta.url)}";
        export async function* old(m, from) {
          Socket.broadcast({ event: "all", payload: m.payload }, from);
          Socket.sendMessage(from, { event: "you", payload: m.payload });
          try { Socket.broadcast({ payload: 1 }); } catch (err) { yield { payload: err.name }; }
        }`,
    },
  });
  await using a = await LegacySocket.open(srv.url);
  await using b = await LegacySocket.open(srv.url);
  a.send("old", 7);
  assert.deepEqual([(await b.next()).event, (await a.next()).event], ["all", "you"]);
  assert.equal((await a.next()).payload, "TypeError");
  assert.throws(() => Socket.sendMessage(undefined as never, { payload: 1 }), TypeError);
});

Deno.test("every serverless-sockets alias is marked @deprecated with its replacement", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "src/compat/mod.ts", "src/server/message.ts"],
    cwd: new URL("../../", import.meta.url),
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  type Doc = { name: string; jsDoc?: { tags?: { kind: string; doc?: string }[] } };
  type Symbol = Doc & { declarations: (Doc & { def?: Record<string, Doc[]> })[] };
  const nodes = JSON.parse(new TextDecoder().decode(out.stdout)).nodes;
  const symbols: Symbol[] = Object.values(nodes).flatMap((n) =>
    (n as { symbols: Symbol[] }).symbols
  );
  const deprecation = (doc: Doc | undefined) =>
    doc?.jsDoc?.tags?.find((tag) => tag.kind === "deprecated")?.doc ?? "";
  const member = (symbol: string, name?: string) => {
    const declarations = symbols.find((s) => s.name === symbol)?.declarations ?? [];
    if (name === undefined) return declarations.find((d) => deprecation(d));
    for (const d of declarations) {
      for (const list of Object.values(d.def ?? {})) {
        const found = Array.isArray(list) && list.find((m) => m.name === name && deprecation(m));
        if (found) return found;
      }
    }
  };
  const expected: [string, string?][] = [
    ["Log"],
    ["Log", "info"],
    ["Log", "warning"],
    ["Log", "error"],
    ["Log", "silent"],
    ["ModuleGenerator"],
    ["yieldedSocketMessage"],
    ["serializable"],
    ["Socket"],
    ["Socket", "onSocketConnect"],
    ["Socket", "onSocketDisconnect"],
    ["Socket", "kickAll"],
    ["SocketHelpers", "broadcast"],
    ["SocketHelpers", "sendMessage"],
    ["SocketMessage", "encode"],
    ["SocketMessage", "decode"],
    ["SocketMessage", "fromRaw"],
    ["SocketMessage", "fromBuffer"],
    ["SocketMessage", "sizeOfMessage"],
    ["SocketMessage", "sizeOfEvent"],
  ];
  for (const [symbol, name] of expected) {
    const label = name ? `${symbol}.${name}` : symbol;
    assert.match(deprecation(member(symbol, name)), /^Use /, `${label} has @deprecated Use …`);
  }
});
