/**
 * Event "chat/typing": `{ typing: true }` while the user types and
 * `{ typing: false }` when they stop or send; the others in the sender's
 * chat room get event "chat/typing" `{ room, id, name, typing }` to show an
 * indicator. Meant for `client.send`: it has no reply.
 */
import { EventType } from "ssocket";
import type { Client, SocketMessage } from "ssocket";
import { requireSeat, runtimeRoom } from "./_seat.ts";

export async function* typing(message: SocketMessage<{ typing?: unknown }>, client: Client) {
  const { name, room } = requireSeat(client);
  yield {
    type: EventType.BROADCAST,
    room: runtimeRoom(room),
    payload: { room, id: client.id, name, typing: message.payload?.typing === true },
  };
}
