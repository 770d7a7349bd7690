/**
 * Taking a session over from another node: the client reconnected here, the
 * cluster's mirror said which node held the session, that node let go of it
 * (or is dead), and this node rebuilds the connection from the mirror: same
 * id, identity, data, rooms (joined again without a `$presence`), SYNC
 * states, and the frames its client has not acknowledged.
 *
 * @example
 * ```ts ignore
 * const session = await adopt(runtime, sessions, mirror, id, owner);
 * if (session) sessions.resume(socket, { session, seq });
 * ```
 * @module
 */

import type { SessionMirror } from "./mirror.ts";
import type { Session } from "./session.ts";
import type { Sessions, SessionsHost } from "./sessions.ts";
import { SyncStreams } from "../server/sync_streams.ts";

/**
 * Rebuilds session `id` here, waiting for a client (the resume attaches it).
 *
 * @returns undefined when the mirror no longer holds the session
 */
export async function adopt(
  host: SessionsHost,
  sessions: Sessions,
  mirror: SessionMirror,
  id: string,
  owner: string,
): Promise<Session | undefined> {
  const stored = await mirror.takeOver(id, owner);
  if (!stored) return undefined;
  const identity = stored.identity ? JSON.parse(stored.identity) : undefined;
  const connection = host.adopt(id, identity);
  connection.api.data = JSON.parse(stored.data);
  const session = sessions.create(connection, identity);
  session.moved = true;
  const latest = session.buffer.load(stored.acked, stored.seq, stored.frames, stored.bases);
  // The next SYNC of each stream is a delta against what was last sent on it.
  if (connection.sync instanceof SyncStreams) {
    for (const [stream, state] of latest) connection.sync.restore(stream, state);
  }
  // Frames for its rooms are kept from here on, after the ones loaded.
  await host.presence.restore(connection, stored.rooms);
  sessions.keep(connection, undefined);
  return session;
}
