/**
 * Event "live/typing": a live-typing stream. Call it with `{ name? }`; every
 * draft the caller then writes (`call.write("hel")`, `call.write("hello")`)
 * reaches everyone else as a BROADCAST of event "live/draft", and the caller
 * gets `{ chars }` back. `call.end()` finishes with `{ final }`, the last draft.
 */
import { type Client, EventType, type SocketMessage } from "ssocket";
import * as v from "valibot";

export const schema = {
  payload: v.optional(v.object({ name: v.optional(v.string()) })),
  input: v.pipe(v.string(), v.maxLength(2000)),
};

export async function* typing(message: SocketMessage<{ name?: string }, string>, client: Client) {
  const from = message.payload?.name ?? `guest-${client.id.slice(0, 4)}`;
  let last = "";
  for await (const draft of message.input) {
    last = draft;
    yield {
      event: "live/draft" as const,
      type: EventType.BROADCAST,
      payload: { from, text: draft },
    };
    yield { payload: { chars: draft.length } };
  }
  yield { payload: { final: last } };
}
