import assert from "node:assert/strict";
import type {
  Call,
  Member,
  PlugEvent,
  PresenceChange,
  SsocketClient,
} from "../../src/client/mod.ts";
import type { stream } from "../../plugs/stream.ts";
import type { send } from "../../plugs/chat/send.ts";
import type { broadcast } from "../../plugs/broadcast.ts";

/** Compiles only if A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
function expectType<_T extends true>() {}

Deno.test("PlugEvent infers a plug's payload and replies from its handler type", () => {
  expectType<
    Equal<PlugEvent<typeof stream>, { payload: { count?: number }; reply: { i: number } }>
  >();
  expectType<
    Equal<
      PlugEvent<typeof send>["reply"],
      { room: string; from: string; text: string; at: number }
    >
  >();
  // BROADCAST yields are left out of the replies.
  expectType<Equal<PlugEvent<typeof broadcast>["reply"], { sent: boolean }>>();
  assert.ok(true);
});

type ChatLine = { room: string; from: string; text: string; at: number };
type Events = {
  stream: PlugEvent<typeof stream>;
  "chat/send": PlugEvent<typeof send>;
  "chat/message": { reply: ChatLine };
};

/** Never run: it only has to compile (and fail to where marked). */
function _typedClient(client: SsocketClient<Events>) {
  const call = client.call("stream", { count: 2 });
  expectType<Equal<typeof call, Call<{ i: number }>>>();
  client.on("chat/message", (line) => expectType<Equal<typeof line, ChatLine>>());
  client.send("chat/send", { text: "hi" });
  // @ts-expect-error: count is a number
  client.call("stream", { count: "2" });
  // @ts-expect-error: the map does not declare this event
  client.call("nope");
}

Deno.test("SsocketClient<Events> types payloads and replies per event", () => {
  assert.equal(typeof _typedClient, "function");
});

type Named = { "$presence": { reply: PresenceChange<{ name: string }> } };

/** Never run: "$presence" is typed for a client of any event map. */
function _presence(
  untyped: SsocketClient,
  typed: SsocketClient<Events>,
  named: SsocketClient<Named>,
) {
  untyped.on("$presence", (change) => {
    expectType<Equal<typeof change, PresenceChange>>();
    const id = change.joined[0].id;
    expectType<Equal<typeof id, string>>();
    expectType<Equal<typeof change.left, { id: string }[]>>();
    // @ts-expect-error: an id is a string
    const _wrong: number = change.joined[0].id;
  });
  typed.on("$presence", (change) => {
    const id = change.joined[0].id;
    expectType<Equal<typeof id, string>>();
    expectType<Equal<typeof change.joined, Member[]>>();
  });
  // A map may type the meta its plugs join with.
  named.on("$presence", ({ joined }) => {
    const meta = joined[0].meta;
    expectType<Equal<typeof meta, { name: string } | null>>();
  });
  // @ts-expect-error: a presence listener gets a PresenceChange, not a string
  untyped.on("$presence", (_change: string) => {});
  // @ts-expect-error: the same for a typed client
  typed.on("$presence", (_change: { room: number }) => {});
  // @ts-expect-error: "$presence" is the runtime's, not a plug to call
  typed.call("$presence");
}

Deno.test("SsocketClient.on types $presence as PresenceChange whatever the event map", () => {
  assert.equal(typeof _presence, "function");
});
