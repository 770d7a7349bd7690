/**
 * Event "chat/leave": leaves the chat room this connection is in; its
 * members get a `$presence` frame listing it in `left`. The reply is
 * `{ room }`, the room it left, or `{ room: null }` if it was in none.
 */
import type { Client } from "ssocket";
import { inTurn, runtimeRoom, seatOf } from "./_seat.ts";

export async function* leave(_message: unknown, client: Client) {
  const room = await inTurn(client, async () => {
    const seat = seatOf(client);
    if (!seat) return null;
    delete client.data.chat;
    await client.leave(runtimeRoom(seat.room));
    return seat.room;
  });
  yield { payload: { room } };
}
