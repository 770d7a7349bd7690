/**
 * Room membership with presence: joining and leaving rooms, telling the
 * members through `$presence` frames (sent through the hub, the one send
 * path), and keeping the cluster adapter's view of who is where in step.
 *
 * @example
 * ```ts ignore
 * const presence = new Presence(hub);
 * await presence.join(connection, "lobby", { name: "ada" });
 * await presence.members("lobby"); // [{ id, meta: { name: "ada" } }, …]
 * ```
 * @module
 */

import type { Member, PresenceChange } from "../plugs/api.ts";
import { EventType } from "../protocol/event_type.ts";
import { ErrorCode, PlugError } from "../protocol/errors.ts";
import type { Connection } from "./connection.ts";
import type { Hub } from "./hub.ts";
import { checkRoomName } from "./rooms.ts";

/** The event of presence frames; `$` names are the runtime's and never map to plugs. */
export const PRESENCE_EVENT = "$presence";
/** Largest presence meta, as JSON bytes: it is sent to every member on each join. */
export const MAX_META_BYTES = 4096;
/** The code of the `PlugError` thrown for meta that cannot be presence meta. */
export const INVALID_META = ErrorCode.INVALID_META;

const utf8 = new TextEncoder();

/** Joins, leaves and member lists for one hub's connections. */
export class Presence {
  readonly #hub: Hub;
  readonly #onError: (message: string, err: unknown) => void;
  /** Leaves of closed connections still under way, so close() can wait for them. */
  readonly #pending = new Set<Promise<void>>();

  /**
   * @param hub where the connections, rooms and cluster adapter are
   * @param onError where cluster failures are reported (they never fail a join or leave)
   */
  constructor(hub: Hub, onError: (message: string, err: unknown) => void = () => {}) {
    this.#hub = hub;
    this.#onError = onError;
    hub.adapter.watchPresence(
      () => this.#localEntries(),
      (room, joined, left) => this.#tell(room, joined.map(parseMember), left),
    );
  }

  /**
   * Puts `connection` in `room` and tells the room's members. Resolves once
   * every node can see the membership.
   *
   * @throws {PlugError} `INVALID_ROOM` or `INVALID_META`
   */
  async join(connection: Connection, room: string, meta: unknown): Promise<void> {
    checkRoomName(room);
    const metaJson = encodeMeta(meta);
    if (!connection.isOpen) return;
    const stored = JSON.parse(metaJson);
    this.#hub.rooms.add(room, connection, stored);
    connection.rooms.add(room);
    await this.#cluster("join", this.#hub.adapter.join(room, connection.id, metaJson));
    connection.session?.changed();
    // It may have left (or closed) while the cluster was told.
    if (!connection.rooms.has(room)) return;
    this.#tell(room, [{ id: connection.id, meta: stored }], []);
  }

  /** Takes `connection` out of `room` and tells the remaining members. */
  async leave(connection: Connection, room: string): Promise<void> {
    checkRoomName(room);
    if (!this.#hub.rooms.delete(room, connection.id)) return;
    connection.rooms.delete(room);
    await this.#cluster("leave", this.#hub.adapter.leave(room, connection.id));
    connection.session?.changed();
    this.#tell(room, [], [connection.id]);
  }

  /** Takes a closed connection out of every room, in the background (see `settled`). */
  leaveAll(connection: Connection): void {
    for (const room of [...connection.rooms]) {
      const work = this.leave(connection, room)
        .catch((err) => this.#onError("Leaving a room failed", err))
        .finally(() => this.#pending.delete(work));
      this.#pending.add(work);
    }
  }

  /**
   * A session moves to another node: out of this node's rooms without a
   * `$presence` (the member stays, elsewhere). Resolves once the cluster's
   * records are gone, so the new node's cannot be removed after it wrote them.
   */
  async release(connection: Connection): Promise<void> {
    for (const room of [...connection.rooms]) {
      this.#hub.rooms.delete(room, connection.id);
      await this.#cluster("leave", this.#hub.adapter.leave(room, connection.id));
    }
  }

  /** A session arrives from another node: into its rooms without a `$presence`. */
  async restore(connection: Connection, rooms: Record<string, string>): Promise<void> {
    for (const [room, metaJson] of Object.entries(rooms)) {
      this.#hub.rooms.add(room, connection, JSON.parse(metaJson));
      connection.rooms.add(room);
      await this.#cluster("join", this.#hub.adapter.join(room, connection.id, metaJson));
    }
  }

  /** The rooms of `connection` with its meta as JSON, for a session snapshot. */
  roomsOf(connection: Connection): Record<string, string> {
    const rooms: Record<string, string> = {};
    for (const room of connection.rooms) {
      rooms[room] = JSON.stringify(this.#hub.rooms.meta(room, connection.id) ?? null);
    }
    return rooms;
  }

  /** Every member of `room` on every reachable node. */
  async members(room: string): Promise<Member[]> {
    checkRoomName(room);
    const stored = await this.#hub.adapter.members(room).catch((err) => {
      this.#onError(`Cluster members("${room}") failed; answering with this node's`, err);
      return undefined;
    });
    if (stored) return stored.map(parseMember);
    return [...this.#hub.rooms.members(room)].map(({ connection, meta }) => ({
      id: connection.id,
      meta: meta as Member["meta"],
    }));
  }

  /** Waits for the leaves `leaveAll` started. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #tell(room: string, joined: Member[], left: string[]): void {
    const change: PresenceChange = { room, joined, left: left.map((id) => ({ id })) };
    this.#hub.broadcast(EventType.BROADCAST, PRESENCE_EVENT, change, room);
  }

  *#localEntries() {
    for (const { room, id, meta } of this.#hub.rooms.entries()) {
      yield { room, id, meta: JSON.stringify(meta) };
    }
  }

  /** Cluster trouble never fails a join or leave: this node keeps serving its own. */
  async #cluster(what: string, work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (err) {
      this.#onError(`Cluster ${what} failed; it is re-announced when the link is back`, err);
    }
  }
}

function encodeMeta(meta: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(meta ?? null);
  } catch (err) {
    throw new PlugError(INVALID_META, `Room meta must be JSON: ${(err as Error).message}`);
  }
  if (json === undefined) throw new PlugError(INVALID_META, `Room meta must be JSON`);
  if (utf8.encode(json).length > MAX_META_BYTES) {
    throw new PlugError(INVALID_META, `Room meta is limited to ${MAX_META_BYTES} bytes of JSON`);
  }
  return json;
}

function parseMember(stored: { id: string; meta: string }): Member {
  return { id: stored.id, meta: JSON.parse(stored.meta) };
}
