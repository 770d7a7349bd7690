/**
 * Event "chat/send": `{ text }` is broadcast to everyone as event
 * "chat/message" with the sender's name (set by "chat/join").
 */
import { EventType, PlugError, type SocketMessage } from "ssocket";
import type { Client } from "ssocket";

const MAX_TEXT = 2000;

export async function* send(message: SocketMessage<{ text?: unknown }>, client: Client) {
  const text = message.payload?.text;
  if (typeof text !== "string" || text.trim() === "") {
    throw new PlugError("TEXT_REQUIRED", "Send { text } with a non-empty string");
  }
  const from = (client.data.name as string | undefined) ?? `guest-${client.id.slice(0, 4)}`;
  const line = { from, text: text.slice(0, MAX_TEXT), at: Date.now() };
  yield { event: "chat/message", type: EventType.BROADCAST, payload: line };
  yield { payload: line };
}
