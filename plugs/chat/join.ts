/**
 * Event "chat/join": `{ name }` names this connection in the chat and tells
 * everyone else as event "chat/joined".
 */
import { EventType, PlugError, type SocketMessage } from "ssocket";
import type { Client } from "ssocket";

const MAX_NAME = 40;

export async function* join(message: SocketMessage<{ name?: unknown }>, client: Client) {
  const name = message.payload?.name;
  if (typeof name !== "string" || name.trim() === "") {
    throw new PlugError("NAME_REQUIRED", "Send { name } with a non-empty string");
  }
  client.data.name = name.trim().slice(0, MAX_NAME);
  yield { event: "chat/joined", type: EventType.BROADCAST, payload: { name: client.data.name } };
  yield { payload: { name: client.data.name, id: client.id } };
}
