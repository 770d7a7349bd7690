import assert from "node:assert/strict";
import { applyDelta, readDeltaHeader } from "../../src/protocol/delta.ts";
import { EventType } from "../../src/protocol/event_type.ts";
import { resumeProtocol, type SessionInfo } from "../../src/protocol/recovery.ts";
import { SUBPROTOCOL_RECOVERY_V1 } from "../../src/protocol/subprotocol.ts";
import { type ReceivedFrame, startServer, type TestServer, TestSocket } from "../_harness.ts";
import { TcpProxy } from "../_proxy.ts";
import { doc, RECOVERY_PLUGS } from "./_scenario.ts";

const utf8 = new TextEncoder();

/** A raw recovery connection: its `$session` and a count of the frames after it. */
async function openSession(url: string, resume?: { token: string; seq: number }) {
  const protocols = [SUBPROTOCOL_RECOVERY_V1];
  if (resume) protocols.push(resumeProtocol(resume.token, resume.seq));
  const socket = await TestSocket.open(url, protocols);
  const first = await socket.next();
  assert.equal(first.event, "$session");
  return { socket, info: first.json as SessionInfo };
}

async function frames(socket: TestSocket, n: number): Promise<ReceivedFrame[]> {
  const out: ReceivedFrame[] = [];
  while (out.length < n) out.push(await socket.next());
  return out;
}

async function join(socket: TestSocket, room: string, id: number): Promise<ReceivedFrame[]> {
  return await socket.call("room/join", { room }, id);
}

function start(config = {}): Promise<TestServer> {
  return startServer({ plugs: RECOVERY_PLUGS, config: { recovery: config } });
}

Deno.test("a recovery connection gets $session first; frames after it are numbered from 1", async () => {
  await using srv = await start();
  const { socket, info } = await openSession(srv.url);
  await using _ = socket;
  assert.equal(info.resumed, false);
  assert.equal(info.reason, undefined);
  assert.match(info.token, new RegExp(`^${info.id}\\.[A-Za-z0-9_-]{43}$`));
  const replies = await socket.call("echo", 1, 1);
  assert.equal(replies.length, 2);
  assert.equal(srv.runtime.sessions!.get(info.id)!.buffer.seq, 2);
  socket.send("$ack", 2);
  await socket.call("echo", 2, 2);
  // The acknowledged frames are gone; the two after them wait for the next $ack.
  assert.deepEqual(
    [
      srv.runtime.sessions!.get(info.id)!.buffer.acked,
      srv.runtime.sessions!.get(info.id)!.buffer.size,
    ],
    [2, 2],
  );
});

Deno.test("a plain ssocket.v1 connection has no session and no $session frame", async () => {
  await using srv = await start();
  await using socket = await TestSocket.open(srv.url);
  const [reply] = await socket.call("echo", "hi", 1);
  assert.equal(reply.json, "hi");
  assert.equal(
    srv.runtime.sessions!.get(srv.runtime.hub.connections.keys().next().value!),
    undefined,
  );
});

Deno.test("a dropped member stays in its room without $presence; the resume replays and SYNC is one delta against the client's state", async () => {
  await using srv = await start();
  await using proxy = TcpProxy.start(srv.url);
  const { socket: alice, info } = await openSession(proxy.url);
  let seq = (await join(alice, "r", 1)).length;
  await using bob = await TestSocket.open(srv.url);
  const bobId = ((await bob.call("whoami", null, 2))[0].json as { id: string }).id;
  await join(bob, "r", 1);
  // alice hears her own join and bob's.
  assert.deepEqual((await frames(alice, 2)).map((f) => f.event), ["$presence", "$presence"]);
  seq += 2;
  srv.server.sendTo(info.id, { type: EventType.SYNC, event: "doc", payload: doc(0) });
  const base = applyDelta(new Uint8Array(0), (await alice.next()).payload);
  seq += 1;
  alice.send("$ack", seq);

  proxy.cut();
  await alice.closed;
  await srv.waitForLog(new RegExp(`${info.id} dropped .*session waits`));
  assert.equal(srv.runtime.hub.connections.get(info.id)?.detached, true);
  assert.deepEqual(
    (await srv.server.members("r")).map((m) => m.id).sort(),
    [info.id, bobId].sort(),
  );
  for (let n = 0; n < 10; n++) bob.send("room/say", { room: "r", n });
  // The server handles bob's frames in order: once the echo is back, every say went out.
  await bob.call("echo", null, 9);
  for (let step = 1; step <= 5; step++) {
    srv.server.sendTo(info.id, { type: EventType.SYNC, event: "doc", payload: doc(step) });
  }

  const { socket: again, info: resumed } = await openSession(proxy.url, { token: info.token, seq });
  await using _ = again;
  assert.deepEqual([resumed.id, resumed.resumed, resumed.replay], [info.id, true, 11]);
  assert.notEqual(resumed.token, info.token);
  const missed = await frames(again, 11);
  assert.deepEqual(missed.slice(0, 10).map((f) => f.json), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const sync = missed[10];
  assert.equal(sync.type, EventType.SYNC);
  // One delta against the state the client held, not a full state.
  assert.equal(readDeltaHeader(sync.payload).baseLength, base.length);
  assert.ok(sync.payload.length < base.length / 10);
  assert.deepEqual(applyDelta(base, sync.payload), utf8.encode(JSON.stringify(doc(5))));
  // bob heard his own join and nothing else: alice never left.
  await bob.call("echo", "last", 10);
  assert.deepEqual(
    bob.drain().map((f) => [f.event, f.json]),
    [["$presence", { room: "r", joined: [{ id: bobId, meta: { name: null } }], left: [] }]],
  );
  await alice.close();
});
