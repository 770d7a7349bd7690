/**
 * Event "chat/join": `{ name, room }` seats this connection in chat room
 * `room` under `name`. A connection is in one chat room at a time: joining
 * another leaves the one it was in, and "chat/send" goes to the current one.
 * Joining the same room again renames (its members see a repeated join).
 *
 * The reply is `{ id, name, room, members }`, where `members` is
 * `[{ id, meta: { name } }]` across every node; from then on the room's
 * `$presence` frames keep that list current.
 *
 * @example
 * ```ts ignore
 * const { members } = await client.call("chat/join", { name: "Ada", room: "lobby" }).first();
 * ```
 */
import { PlugError } from "ssocket";
import type { Client, SocketMessage } from "ssocket";
import { inTurn, MAX_NAME, roomName, runtimeRoom, seatOf } from "./_seat.ts";

export async function* join(
  message: SocketMessage<{ name?: unknown; room?: unknown }>,
  client: Client,
) {
  const name = typeof message.payload?.name === "string" ? message.payload.name.trim() : "";
  if (name === "") throw new PlugError("NAME_REQUIRED", "Send { name } with a non-empty string");
  const seat = { name: name.slice(0, MAX_NAME), room: roomName(message.payload?.room) };
  const members = await inTurn(client, async () => {
    const before = seatOf(client);
    if (before && before.room !== seat.room) {
      delete client.data.chat;
      await client.leave(runtimeRoom(before.room));
    }
    await client.join(runtimeRoom(seat.room), { name: seat.name });
    client.data.chat = seat;
    return await client.server.members(runtimeRoom(seat.room));
  });
  yield { payload: { id: client.id, ...seat, members } };
}
