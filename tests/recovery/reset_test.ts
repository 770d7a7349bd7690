import assert from "node:assert/strict";
import { type ConnectionError, SsocketClient } from "../../src/client/mod.ts";
import type { SessionInfo } from "../../src/protocol/recovery.ts";
import { resumeProtocol } from "../../src/protocol/recovery.ts";
import { SUBPROTOCOL_RECOVERY_V1 } from "../../src/protocol/subprotocol.ts";
import { startServer, TestSocket } from "../_harness.ts";
import { TcpProxy } from "../_proxy.ts";
import { nextEvent, RECOVERY_PLUGS } from "./_scenario.ts";

const PLUGS = {
  ...RECOVERY_PLUGS,
  "hang.ts":
    "export async function* hang() { yield { payload: 'started' }; await new Promise(() => {}); }",
};

async function session(url: string, resume?: { token: string; seq: number }) {
  const protocols = [SUBPROTOCOL_RECOVERY_V1];
  if (resume) protocols.push(resumeProtocol(resume.token, resume.seq));
  const socket = await TestSocket.open(url, protocols);
  return { socket, info: (await socket.next()).json as SessionInfo };
}

/** Cuts `client` off, runs `whileAway` once the server noticed, and waits for the session's end and "reset". */
async function resetAfter(
  srv: Awaited<ReturnType<typeof startServer>>,
  proxy: TcpProxy,
  client: SsocketClient,
  whileAway: (id: string) => Promise<void>,
) {
  const { id } = await client.call("whoami").first() as { id: string };
  const inFlight = client.call("hang", null, { timeout: 0 })[Symbol.asyncIterator]();
  assert.equal((await inFlight.next()).value, "started");
  const reset = nextEvent(client, "reset");
  reset.catch(() => {}); // awaited below; a timeout before then must not escape
  proxy.cut();
  await srv.waitForLog(new RegExp(`${id} dropped`));
  await whileAway(id);
  await srv.waitForLog(new RegExp(`Connection ${id} closed`));
  const event = await reset;
  assert.notEqual(event.id, id);
  return { event, inFlight };
}

Deno.test('SsocketClient back after recovery.window gets "reset": new id, no rooms, calls in flight fail', async () => {
  await using srv = await startServer({ plugs: PLUGS, config: { recovery: { window: 0.2 } } });
  await using proxy = TcpProxy.start(srv.url);
  await using bob = await TestSocket.open(srv.url);
  await bob.call("room/join", { room: "r" }, 1);
  const client = new SsocketClient(proxy.url, { reconnect: { initialDelay: 1500, jitter: 0 } });
  try {
    await client.ready();
    await client.call("room/join", { room: "r" }).first();
    const { event, inFlight } = await resetAfter(srv, proxy, client, () => Promise.resolve());
    assert.equal(event.reason, "unknown");
    const failed = await inFlight.next().catch((err) => err as ConnectionError);
    assert.equal((failed as ConnectionError).code, "CONNECTION_LOST");
    assert.match((failed as Error).message, /not resumed \(unknown\)/);
    const now = await client.call("whoami").first() as { id: string; rooms: string[] };
    assert.deepEqual([now.id, now.rooms], [event.id, []]);
    // The room heard the member leave once its window had passed.
    const left = bob.drain().filter((f) =>
      f.event === "$presence" && (f.json as { left: [] }).left.length
    );
    assert.equal(left.length, 1);
  } finally {
    await client.close();
  }
});

Deno.test('SsocketClient that missed more than recovery.maxBytes gets "reset" with reason overflow', async () => {
  await using srv = await startServer({ plugs: PLUGS, config: { recovery: { maxBytes: 2000 } } });
  await using proxy = TcpProxy.start(srv.url);
  const client = new SsocketClient(proxy.url, { reconnect: { initialDelay: 300, jitter: 0 } });
  try {
    await client.ready();
    await client.call("room/join", { room: "r" }).first();
    const { event } = await resetAfter(srv, proxy, client, () => {
      // 100 frames of some 130 bytes: well past 2000.
      const payload = "x".repeat(120);
      for (let n = 0; n < 100; n++) srv.server.broadcast({ event: "tick", payload }, { room: "r" });
      return Promise.resolve();
    });
    assert.equal(event.reason, "overflow");
    assert.equal(srv.runtime.sessions!.waiting, 0);
  } finally {
    await client.close();
  }
});

Deno.test("a session token is refused once used, and when guessed; the session stays with its owner", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using proxy = TcpProxy.start(srv.url);
  const first = await session(proxy.url);
  proxy.cut();
  await first.socket.closed;
  const resumed = await session(srv.url, { token: first.info.token, seq: 0 });
  await using _owner = resumed.socket;
  assert.deepEqual([resumed.info.id, resumed.info.resumed], [first.info.id, true]);

  const secret = first.info.token.split(".")[1];
  const attempts = [
    first.info.token, // used by the resume above
    `${first.info.id}.${"A".repeat(secret.length)}`, // the right id, a guessed secret
    `${crypto.randomUUID()}.${secret}`, // an id that has no session
    `${first.info.id}.${resumed.info.token.split(".")[1]}`, // the live secret with a frame never sent
  ];
  const seqs = [0, 0, 0, 5];
  const reasons: (string | undefined)[] = [];
  for (const [i, token] of attempts.entries()) {
    const other = await session(srv.url, { token, seq: seqs[i] });
    assert.equal(other.info.resumed, false);
    assert.notEqual(other.info.id, first.info.id);
    reasons.push(other.info.reason);
    await other.socket.close();
  }
  assert.deepEqual(reasons, ["refused", "refused", "unknown", "refused"]);
  // The owner still has its connection.
  const [reply] = await resumed.socket.call("whoami", null, 1);
  assert.equal((reply.json as { id: string }).id, first.info.id);
});

Deno.test("a session bound to an identity is refused to another identity", async () => {
  await using srv = await startServer({
    plugs: PLUGS,
    init: (server) =>
      server.authenticate((request) => ({ sub: new URL(request.url).searchParams.get("user") })),
  });
  await using proxy = TcpProxy.start(srv.url);
  const ada = await session(`${proxy.url}?user=ada`);
  proxy.cut();
  await ada.socket.closed;
  const eve = await session(`${srv.url}?user=eve`, { token: ada.info.token, seq: 0 });
  assert.deepEqual([eve.info.resumed, eve.info.reason], [false, "refused"]);
  await eve.socket.close();
  const back = await session(`${srv.url}?user=ada`, { token: ada.info.token, seq: 0 });
  assert.deepEqual([back.info.id, back.info.resumed], [ada.info.id, true]);
  await back.socket.close();
});
