/**
 * Event "room/join" (rooms scenario): joins the caller to `payload.room`, then
 * answers `{ joined: room }` so the load client knows the join is complete.
 * The client type is spelled out rather than imported: `client.join` is the
 * rooms API, and this plug must load on a server with or without it (without
 * it the call throws and the caller gets ERROR PLUG_ERROR, which the load
 * client reports).
 */
export async function* join(
  message: { payload: { room: string } },
  client: { join(room: string): Promise<unknown> },
) {
  await client.join(message.payload.room);
  yield { payload: { joined: message.payload.room } };
}
