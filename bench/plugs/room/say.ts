/**
 * Event "room/say" (rooms scenario): sends the payload to the other members
 * of `payload.room`, on every node (type 1 is BROADCAST; with `room` it goes
 * to that room only). The payload, `{ room, seq }`, comes back unchanged, so
 * the load client can tell the broadcasts apart.
 */
export async function* say(message: { payload: { room: string; seq: number } }) {
  yield { type: 1, room: message.payload.room, payload: message.payload };
}
