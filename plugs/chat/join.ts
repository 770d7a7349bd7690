/**
 * Event "chat/join": `{ name }` names this connection in the chat, tells
 * everyone else as event "chat/joined", and pushes the member list to every
 * member as the SYNC stream "chat/members". When the connection closes, the
 * others get "chat/left" and the shorter member list.
 */
import { EventType, PlugError, type SocketMessage } from "ssocket";
import { pushMembers } from "./_members.ts";
import type { Client } from "ssocket";

const MAX_NAME = 40;

export async function* join(message: SocketMessage<{ name?: unknown }>, client: Client) {
  const name = message.payload?.name;
  if (typeof name !== "string" || name.trim() === "") {
    throw new PlugError("NAME_REQUIRED", "Send { name } with a non-empty string");
  }
  client.data.name = name.trim().slice(0, MAX_NAME);
  if (!client.data.joined) {
    client.data.joined = true;
    // One hook per member, removed when it leaves: no state outside the connections.
    const off = client.server.onDisconnect((gone) => {
      if (gone !== client) return;
      off();
      gone.server.broadcast({ event: "chat/left", payload: { id: gone.id, name: gone.data.name } });
      pushMembers(gone.server);
    });
  }
  yield {
    event: "chat/joined",
    type: EventType.BROADCAST,
    payload: { id: client.id, name: client.data.name as string },
  };
  pushMembers(client.server);
  yield { payload: { name: client.data.name as string, id: client.id } };
}
