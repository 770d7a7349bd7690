import assert from "node:assert/strict";
import { encodeFrame, encodeJsonFrame } from "../../src/protocol/frame.ts";
import { startServer, TestSocket } from "../_harness.ts";

const ECHO = "export async function* echo(m) { yield { payload: m.payload }; }";

function withLength(frame: Uint8Array, length: number): Uint8Array {
  const copy = frame.slice();
  new DataView(copy.buffer).setUint32(0, length);
  return copy;
}

Deno.test("each kind of bad input gets an ERROR frame with a distinct code, and service goes on", async () => {
  await using srv = await startServer({ plugs: { "echo.ts": ECHO } });
  await using ws = await TestSocket.open(srv.url);
  await using bystander = await TestSocket.open(srv.url);
  const good = encodeJsonFrame(0, "echo", { a: 1 });
  const badName = encodeFrame({ type: 0, event: "ab" });
  badName[6] = 0xfe;
  const overflow = good.slice();
  overflow[5] = 250;
  const badType = good.slice();
  badType[4] = 0x3f;
  const cases: [string, Uint8Array | string][] = [
    ["TEXT_NOT_SUPPORTED", "hello"],
    ["EMPTY_MESSAGE", new Uint8Array()],
    ["FRAME_TOO_SHORT", new Uint8Array([0, 0, 0, 3, 0])],
    ["LENGTH_MISMATCH", withLength(good, good.length + 10)],
    ["EVENT_NAME_OVERFLOW", overflow],
    ["INVALID_EVENT_TYPE", badType],
    ["INVALID_UTF8", badName],
    ["INVALID_UTF8", encodeFrame({ type: 0, event: "echo" }, new Uint8Array([0x22, 0xff, 0x22]))],
    ["INVALID_JSON", encodeFrame({ type: 0, event: "echo" }, new TextEncoder().encode("{x"))],
  ];
  for (const [code, data] of cases) {
    ws.sendRaw(data);
    const frame = await ws.next();
    assert.equal(frame.type, 4, code);
    assert.equal((frame.json as { code: string }).code, code);
  }
  ws.send("echo", "alive");
  assert.equal((await ws.next()).json, "alive");
  bystander.send("echo", "fine");
  assert.equal((await bystander.next()).json, "fine");
});

Deno.test("a bad payload in a correlated call still ends that call", async () => {
  await using srv = await startServer({ plugs: { "echo.ts": ECHO } });
  await using ws = await TestSocket.open(srv.url);
  const frame = encodeFrame(
    { type: 0, event: "echo", requestId: 77 },
    new TextEncoder().encode("{"),
  );
  ws.sendRaw(frame);
  const reply = await ws.next();
  assert.deepEqual([reply.type, reply.requestId, reply.end], [4, 77, true]);
  assert.equal((reply.json as { code: string }).code, "INVALID_JSON");
});

for (const transport of ["ws", "deno"] as const) {
  Deno.test(`payloadLimit closes the connection with 1009 before decoding (transport ${transport})`, async () => {
    await using srv = await startServer({
      config: { payloadLimit: 100, transport },
      plugs: {
        "echo.ts": ECHO,
        "spy.ts":
          `export async function* spy(m, c) { c.server.log.info("spy ran"); yield { payload: 1 }; }`,
      },
    });
    await using ws = await TestSocket.open(srv.url);
    ws.sendRaw(encodeJsonFrame(0, "spy", "x".repeat(200)));
    if (transport === "deno") {
      // Deno hands over whole messages only: it can say why before closing.
      assert.equal(((await ws.next()).json as { code: string }).code, "PAYLOAD_TOO_LARGE");
    }
    assert.equal((await ws.closed).code, 1009);
    assert.equal(srv.runtime.counters.oversized, 1);
    // A message of exactly the limit is decoded (and found malformed), on a new connection.
    await using again = await TestSocket.open(srv.url);
    again.sendRaw(new Uint8Array(100));
    assert.equal(((await again.next()).json as { code: string }).code, "LENGTH_MISMATCH");
    again.send("echo", "small");
    assert.equal((await again.next()).json, "small");
    assert.ok(!srv.logs.some((l) => l.includes("spy ran")));
  });
}

Deno.test("a client that vanishes mid-stream leaves the server serving others", async () => {
  await using srv = await startServer({
    plugs: {
      "echo.ts": ECHO,
      "flood.ts": `export async function* flood() {
        for (let i = 0; i < 2000; i++) { yield { payload: "x".repeat(1000) }; await null; }
      }`,
    },
  });
  const leaver = await TestSocket.open(srv.url);
  leaver.send("flood", null);
  await leaver.next();
  await leaver.close();
  await using stayer = await TestSocket.open(srv.url);
  stayer.send("echo", "ok");
  assert.equal((await stayer.next()).json, "ok");
  assert.equal(srv.server.connectionCount, 1);
});
