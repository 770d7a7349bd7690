/**
 * The payload of the runtime's `$presence` frames, shared by the server's
 * plug API and the client library (which imports only `protocol/`). Types
 * only: nothing here runs.
 *
 * @example
 * ```ts
 * import type { PresenceChange } from "./presence.ts";
 * const change: PresenceChange<{ name: string }> = {
 *   room: "lobby",
 *   joined: [{ id: "5f0c", meta: { name: "ada" } }],
 *   left: [],
 * };
 * console.log(change.joined[0].meta?.name); // "ada"
 * ```
 * @module
 */

/**
 * One member of a room, as `$presence` reports it and `server.members(room)`
 * returns it.
 *
 * @typeParam M the meta a plug joins with, e.g. `{ name: string }`
 */
export interface Member<M = unknown> {
  /** The member's connection id, unique across every node of a cluster. */
  id: string;
  /** The meta its plug passed to `client.join(room, meta)`; `null` when none. */
  meta: M | null;
}

/**
 * The payload of a `"$presence"` frame. Every member of a room gets one when
 * someone joins or leaves it, on any node, its own join included.
 *
 * Apply it as set operations keyed by `id`: after a cluster outage a node
 * announces its members again, so a `joined` entry may repeat someone
 * already listed (with their current meta).
 *
 * @typeParam M the meta a plug joins with
 */
export interface PresenceChange<M = unknown> {
  /** The room that changed, as the plug named it in `client.join`. */
  room: string;
  /** Who joined (or joined again with new meta). */
  joined: Member<M>[];
  /** Who left: they called `leave`, closed, or their node died. */
  left: { id: string }[];
}
