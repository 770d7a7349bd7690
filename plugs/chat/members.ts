/**
 * Event "chat/members": the current member list as a SYNC object
 * `{ members: [{ id, name }] }`, for pages that watch the chat without
 * joining. Members get every change pushed on the same stream by "chat/join".
 */
import { EventType } from "ssocket";
import type { Client } from "ssocket";

export async function* members(_message: unknown, client: Client) {
  const list = client.server.connections
    .filter((c) => typeof c.data.name === "string")
    .map((c) => ({ id: c.id, name: c.data.name as string }));
  yield { type: EventType.SYNC, payload: { members: list } };
}
