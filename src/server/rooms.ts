/**
 * The rooms of this process: which local connections are in which room, with
 * the meta each joined with. Other nodes' members are the cluster adapter's
 * business; this table only ever holds connections that live here.
 *
 * @example
 * ```ts
 * import { RoomTable } from "./rooms.ts";
 * const rooms = new RoomTable<{ id: string }>();
 * rooms.add("lobby", { id: "a" }, null);
 * console.log(rooms.size, [...rooms.members("lobby")].length); // 1 1
 * ```
 * @module
 */

import { ErrorCode, PlugError } from "../protocol/errors.ts";
import { utf8Length } from "../protocol/frame.ts";

/** Longest room name, in UTF-8 bytes. */
export const MAX_ROOM_NAME_BYTES = 256;

/** The code of the `PlugError` thrown for a name that is not a room name. */
export const INVALID_ROOM = ErrorCode.INVALID_ROOM;

/**
 * Throws unless `room` is a string of 1 to {@linkcode MAX_ROOM_NAME_BYTES}
 * UTF-8 bytes. Room names cross the cluster link and key Redis entries, so
 * anything else is refused where the plug can see why.
 *
 * @throws {PlugError} `INVALID_ROOM`
 */
export function checkRoomName(room: unknown): asserts room is string {
  if (typeof room !== "string") {
    throw new PlugError(INVALID_ROOM, `A room name is a string, not ${describe(room)}`);
  }
  const bytes = utf8Length(room);
  if (bytes === 0 || bytes > MAX_ROOM_NAME_BYTES) {
    throw new PlugError(
      INVALID_ROOM,
      `A room name has 1 to ${MAX_ROOM_NAME_BYTES} UTF-8 bytes; "${
        room.slice(0, 40)
      }" has ${bytes}`,
    );
  }
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

/** One local member: the connection and its meta. */
export interface LocalMember<C> {
  connection: C;
  meta: unknown;
}

/** Local room membership, by room then connection id. */
export class RoomTable<C extends { readonly id: string }> {
  readonly #rooms = new Map<string, Map<string, LocalMember<C>>>();

  /** Adds (or updates the meta of) `connection` in `room`; true if it was not in it. */
  add(room: string, connection: C, meta: unknown): boolean {
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, members = new Map());
    const added = !members.has(connection.id);
    members.set(connection.id, { connection, meta });
    return added;
  }

  /** Removes `connection` from `room`; true if it was in it. Empty rooms are dropped. */
  delete(room: string, connectionId: string): boolean {
    const members = this.#rooms.get(room);
    if (!members?.delete(connectionId)) return false;
    if (members.size === 0) this.#rooms.delete(room);
    return true;
  }

  /** The local members of `room` (none for an unknown room). */
  members(room: string): Iterable<LocalMember<C>> {
    return this.#rooms.get(room)?.values() ?? [];
  }

  /** The meta `connection id` joined `room` with, if it is a member here. */
  meta(room: string, connectionId: string): unknown {
    return this.#rooms.get(room)?.get(connectionId)?.meta;
  }

  /** Every (room, connection id, meta) held here, for re-announcing to the cluster. */
  *entries(): IterableIterator<{ room: string; id: string; meta: unknown }> {
    for (const [room, members] of this.#rooms) {
      for (const [id, { meta }] of members) yield { room, id, meta };
    }
  }

  /** Names of the rooms with local members. */
  names(): string[] {
    return [...this.#rooms.keys()];
  }

  /** How many rooms have local members. */
  get size(): number {
    return this.#rooms.size;
  }
}
