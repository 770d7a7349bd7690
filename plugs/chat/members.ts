/**
 * Event "chat/members": `{ room }` → `{ room, members }`, the members of
 * chat room `room` as `[{ id, meta: { name } }]` across every node. For a
 * page that looks before it joins: members follow `$presence` instead.
 */
import type { Client, SocketMessage } from "ssocket";
import { roomName, runtimeRoom } from "./_seat.ts";

export async function* members(message: SocketMessage<{ room?: unknown }>, client: Client) {
  const room = roomName(message.payload?.room);
  yield { payload: { room, members: await client.server.members(runtimeRoom(room)) } };
}
