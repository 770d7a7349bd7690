/**
 * Event "chat/members": the current member list as a SYNC object
 * `{ members: [{ id, name }] }`, for pages that watch the chat without
 * joining. Members get every change pushed on the same stream by "chat/join".
 */
import { EventType } from "ssocket";
import type { Client } from "ssocket";
import { memberList } from "./_members.ts";

export async function* members(_message: unknown, client: Client) {
  yield { type: EventType.SYNC, payload: { members: memberList(client.server) } };
}
