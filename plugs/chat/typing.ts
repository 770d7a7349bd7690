/**
 * Event "chat/typing": `{ typing: true }` while the user types and
 * `{ typing: false }` when they stop or send; everyone else gets event
 * "chat/typing" with `{ id, name, typing }` to show an indicator.
 */
import { EventType, type SocketMessage } from "ssocket";
import type { Client } from "ssocket";

export async function* typing(message: SocketMessage<{ typing?: unknown }>, client: Client) {
  const name = (client.data.name as string | undefined) ?? `guest-${client.id.slice(0, 4)}`;
  yield {
    type: EventType.BROADCAST,
    payload: { id: client.id, name, typing: message.payload?.typing === true },
  };
}
