/**
 * The chat's member list, shared by "chat/join" and "chat/members". Files
 * starting with `_` are helpers that plugs import, never events themselves.
 */
import { EventType, type Server } from "ssocket";

/** One named member of the chat. */
export interface Member {
  id: string;
  name: string;
}

/** Every connection that joined the chat with a name. */
export function memberList(server: Server): Member[] {
  return server.connections
    .filter((c) => typeof c.data.name === "string")
    .map((c) => ({ id: c.id, name: c.data.name as string }));
}

/** Sends the current member list to every member, as a SYNC delta against what each holds. */
export function pushMembers(server: Server): void {
  const members = memberList(server);
  for (const { id } of members) {
    server.sendTo(id, { event: "chat/members", type: EventType.SYNC, payload: { members } });
  }
}
