/**
 * Event "chat/send": `{ text }` goes to the others in the sender's chat room
 * as event "chat/message" `{ room, from, text, at }`, on every node; the
 * sender gets the same line as the reply.
 */
import { EventType, PlugError } from "ssocket";
import type { Client, SocketMessage } from "ssocket";
import { requireSeat, runtimeRoom } from "./_seat.ts";

const MAX_TEXT = 2000;

export async function* send(message: SocketMessage<{ text?: unknown }>, client: Client) {
  const text = message.payload?.text;
  if (typeof text !== "string" || text.trim() === "") {
    throw new PlugError("TEXT_REQUIRED", "Send { text } with a non-empty string");
  }
  const { name, room } = requireSeat(client);
  const line = { room, from: name, text: text.slice(0, MAX_TEXT), at: Date.now() };
  yield {
    event: "chat/message",
    type: EventType.BROADCAST,
    room: runtimeRoom(room),
    payload: line,
  };
  yield { payload: line };
}
