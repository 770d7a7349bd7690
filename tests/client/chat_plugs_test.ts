/**
 * The chat plugs (plugs/chat/) through the real client against a real
 * server: rooms, the member list from the join reply and `$presence`,
 * messages and typing that stay in their room, bad input, and the same
 * across two servers clustered through Redis.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startServer, WAIT_MS, withTimeout } from "../_harness.ts";
import { startRedis } from "../_redis.ts";
import {
  CallError,
  connect,
  type Member,
  type PlugEvent,
  type PresenceChange,
  type SsocketClient,
} from "../../src/client/mod.ts";
import type { join } from "../../plugs/chat/join.ts";
import type { leave } from "../../plugs/chat/leave.ts";
import type { members } from "../../plugs/chat/members.ts";
import type { send } from "../../plugs/chat/send.ts";

const PLUGS = fileURLToPath(new URL("../../plugs", import.meta.url));

type Line = PlugEvent<typeof send>["reply"];
type Typing = { room: string; id: string; name: string; typing: boolean };
type Chat = {
  "chat/join": PlugEvent<typeof join>;
  "chat/leave": PlugEvent<typeof leave>;
  "chat/members": PlugEvent<typeof members>;
  "chat/send": PlugEvent<typeof send>;
  "chat/typing": { payload: { typing: boolean }; reply: Typing };
  "chat/message": { reply: Line };
  marker: { reply: unknown };
  // The chat joins with { name }: say so, and `meta` is typed in $presence.
  "$presence": { reply: PresenceChange<{ name: string }> };
};
type ChatClient = SsocketClient<Chat>;

/** The next `event` payload for which `test` holds; fails the test after WAIT_MS. */
function next<E extends "$presence" | "chat/message" | "chat/typing" | "marker">(
  client: ChatClient,
  event: E,
  test: (payload: Chat[E]["reply"]) => boolean = () => true,
): Promise<Chat[E]["reply"]> {
  const { promise, resolve } = Promise.withResolvers<Chat[E]["reply"]>();
  const off = client.on(event, (payload) => {
    if (!test(payload)) return;
    off();
    resolve(payload);
  });
  return withTimeout(promise, WAIT_MS, () => `No "${event}" arrived that passed the test`);
}

/** The sorted names of a member list (the chat joins with meta `{ name }`). */
const names = (list: Member[]) => list.map((m) => (m.meta as { name: string }).name).sort();

Deno.test("chat/join replies with the room's members; $presence follows joins, leaves and closes", async () => {
  await using srv = await startServer({ config: { plugsFolder: PLUGS } });
  await using ann = await connect<Chat>(srv.url);
  const own = next(ann, "$presence");
  const a = (await ann.call("chat/join", { name: " ann ", room: " lobby " }).first())!;
  assert.deepEqual(a, {
    id: a.id,
    name: "ann",
    room: "lobby",
    members: [{ id: a.id, meta: { name: "ann" } }],
  });
  // Chat room "lobby" is the runtime room "chat:lobby"; $presence names that one.
  assert.deepEqual(await own, {
    room: "chat:lobby",
    joined: [{ id: a.id, meta: { name: "ann" } }],
    left: [],
  });

  await using bob = await connect<Chat>(srv.url);
  const bobJoined = next(ann, "$presence", ({ joined }) => joined.length > 0);
  const b = (await bob.call("chat/join", { name: "bob", room: "lobby" }).first())!;
  assert.deepEqual(names(b.members), ["ann", "bob"]);
  assert.deepEqual(await bobJoined, {
    room: "chat:lobby",
    joined: [{ id: b.id, meta: { name: "bob" } }],
    left: [],
  });

  const bobLeft = next(ann, "$presence", ({ left }) => left.length > 0);
  assert.deepEqual(await bob.call("chat/leave").first(), { room: "lobby" });
  assert.deepEqual((await bobLeft).left, [{ id: b.id }]);
  assert.deepEqual(await bob.call("chat/leave").first(), { room: null }, "in no room now");

  const cid = await connect<Chat>(srv.url);
  const c = (await cid.call("chat/join", { name: "cid", room: "lobby" }).first())!;
  const cidClosed = next(ann, "$presence", ({ left }) => left.some(({ id }) => id === c.id));
  await cid.close();
  await cidClosed;
  assert.deepEqual(await ann.call("chat/members", { room: "lobby" }).first(), {
    room: "lobby",
    members: [{ id: a.id, meta: { name: "ann" } }],
  });
});

Deno.test("chat/send and chat/typing reach the others in the sender's room only", async () => {
  await using srv = await startServer({ config: { plugsFolder: PLUGS } });
  await using ann = await connect<Chat>(srv.url);
  await using bob = await connect<Chat>(srv.url);
  await using cid = await connect<Chat>(srv.url);
  await ann.call("chat/join", { name: "ann", room: "lobby" }).all();
  const b = (await bob.call("chat/join", { name: "bob", room: "lobby" }).first())!;
  await cid.call("chat/join", { name: "cid", room: "attic" }).all();
  const elsewhere: unknown[] = [];
  cid.on("chat/message", (line) => elsewhere.push(line));
  cid.on("chat/typing", (typing) => elsewhere.push(typing));
  bob.on("chat/message", (line) => elsewhere.push(line)); // the sender gets the reply only

  const typing = next(ann, "chat/typing");
  bob.send("chat/typing", { typing: true });
  assert.deepEqual(await typing, { room: "lobby", id: b.id, name: "bob", typing: true });

  const heard = next(ann, "chat/message");
  const line = (await bob.call("chat/send", { text: "hi lobby" }).first())!;
  assert.deepEqual(line, { room: "lobby", from: "bob", text: "hi lobby", at: line.at });
  assert.deepEqual(await heard, line);

  // Anything sent to cid or bob before this marker would have arrived before it.
  const marked = Promise.all([next(cid, "marker"), next(bob, "marker")]);
  srv.server.broadcast({ event: "marker" });
  await marked;
  assert.deepEqual(elsewhere, []);
});

Deno.test("chat/join to another room leaves the first, even when two joins race", async () => {
  await using srv = await startServer({ config: { plugsFolder: PLUGS } });
  await using ann = await connect<Chat>(srv.url);
  await using bob = await connect<Chat>(srv.url);
  const a = (await ann.call("chat/join", { name: "ann", room: "lobby" }).first())!;
  await bob.call("chat/join", { name: "bob", room: "lobby" }).all();

  const annLeft = next(bob, "$presence", ({ left }) => left.length > 0);
  const moved = (await ann.call("chat/join", { name: "ann", room: "attic" }).first())!;
  assert.deepEqual([moved.room, names(moved.members)], ["attic", ["ann"]]);
  assert.deepEqual((await annLeft).left, [{ id: a.id }]);
  assert.deepEqual(srv.server.rooms().sort(), ["chat:attic", "chat:lobby"]);

  // Calls run concurrently; the joins still take turns, so ann ends in one room.
  const [x, y] = await Promise.all([
    ann.call("chat/join", { name: "ann", room: "x" }).first(),
    ann.call("chat/join", { name: "ann", room: "y" }).first(),
  ]);
  assert.deepEqual([x!.room, y!.room], ["x", "y"]);
  assert.deepEqual(srv.server.rooms().sort(), ["chat:lobby", "chat:y"]);

  // Joining the room one is in renames: the members see a repeated join.
  const renamed = next(bob, "$presence", ({ joined }) => joined[0]?.meta?.name === "ann 2");
  await ann.call("chat/join", { name: "ann 2", room: "lobby" }).all();
  await bob.call("chat/join", { name: "bob", room: "y" }).all();
  assert.deepEqual((await renamed).joined, [{ id: a.id, meta: { name: "ann 2" } }]);
});

Deno.test("chat plugs answer bad input and calls before chat/join with CallError codes", async () => {
  await using srv = await startServer({ config: { plugsFolder: PLUGS } });
  await using ann = await connect<Chat>(srv.url);
  const codeOf = (call: { first(): Promise<unknown> }) =>
    call.first().then(() => "ok", (err) => err instanceof CallError ? err.code : String(err));

  assert.equal(await codeOf(ann.call("chat/send", { text: "hi" })), "NOT_JOINED");
  assert.equal(await codeOf(ann.call("chat/typing", { typing: true })), "NOT_JOINED");
  for (const payload of [{}, { name: " ", room: "lobby" }, { name: 7, room: "lobby" }]) {
    assert.equal(await codeOf(ann.call("chat/join", payload)), "NAME_REQUIRED");
  }
  for (const room of [undefined, " ", 7, "r".repeat(41)]) {
    assert.equal(await codeOf(ann.call("chat/join", { name: "ann", room })), "ROOM_REQUIRED");
  }
  assert.equal(await codeOf(ann.call("chat/members", {})), "ROOM_REQUIRED");

  const long = (await ann.call("chat/join", { name: "a".repeat(50), room: "r".repeat(40) })
    .first())!;
  assert.equal(long.name, "a".repeat(40), "long names are cut");
  assert.equal(await codeOf(ann.call("chat/send", { text: " " })), "TEXT_REQUIRED");
});

Deno.test("chat plugs across two clustered servers: members, $presence and messages", async () => {
  await using redis = await startRedis();
  const cluster = { redisUrl: redis.url, channel: `ssocket-chat-${crypto.randomUUID()}` };
  await using one = await startServer({ config: { plugsFolder: PLUGS, cluster } });
  await using two = await startServer({ config: { plugsFolder: PLUGS, cluster } });
  await Promise.all([one, two].map((srv) => srv.waitForLog(/Clustered through redis:/)));
  await using ann = await connect<Chat>(one.url);
  await using bob = await connect<Chat>(two.url);

  const a = (await ann.call("chat/join", { name: "ann", room: "lobby" }).first())!;
  const bobJoined = next(ann, "$presence", ({ joined }) => joined.length > 0);
  const b = (await bob.call("chat/join", { name: "bob", room: "lobby" }).first())!;
  assert.deepEqual(names(b.members), ["ann", "bob"], "the reply lists ann, on the other node");
  assert.deepEqual((await bobJoined).joined, [{ id: b.id, meta: { name: "bob" } }]);

  const heard = next(ann, "chat/message");
  const line = await bob.call("chat/send", { text: "from node two" }).first();
  assert.deepEqual(await heard, line);

  const bobGone = next(ann, "$presence", ({ left }) => left.length > 0);
  await bob.close();
  assert.deepEqual((await bobGone).left, [{ id: b.id }]);
  const { members } = (await ann.call("chat/members", { room: "lobby" }).first())!;
  assert.deepEqual(members, [{ id: a.id, meta: { name: "ann" } }]);
});
