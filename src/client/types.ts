/**
 * Types that carry a plug author's payload and reply shapes to the caller.
 *
 * An event map names, for each event, what the client sends (`payload`) and
 * what arrives under that event name (`reply`: the replies of a call, the
 * payload of a BROADCAST, or the current object of a SYNC stream). The map is
 * only a compile-time promise: nothing is checked at run time.
 *
 * Events the runtime itself sends ({@linkcode RuntimeEvents}: `"$presence"`)
 * are typed for every client, whatever its map.
 *
 * @example
 * ```ts ignore
 * import type { echo } from "../../plugs/echo.ts";
 * import type { PlugEvent } from "./types.ts";
 * type Events = {
 *   echo: PlugEvent<typeof echo>; // inferred from the plug
 *   "chat/message": { reply: { room: string; from: string; text: string } }; // written by hand
 * };
 * ```
 * @module
 */

import type { Member, PresenceChange } from "../protocol/presence.ts";

export type { Member, PresenceChange };

/**
 * Events the runtime sends by itself, to clients of any event map. They are
 * not plugs: listen to them with `on`; `call` and `send` have nothing there.
 */
export interface RuntimeEvents {
  /** Room membership changes; see {@linkcode PresenceChange}. */
  $presence: { reply: PresenceChange };
}

/**
 * The events `on` listens to: `M` plus {@linkcode RuntimeEvents}. A map may
 * declare `"$presence"` itself to type its meta; any other declaration of a
 * runtime event is replaced by the runtime's.
 *
 * @example
 * ```ts ignore
 * type Events = { "$presence": { reply: PresenceChange<{ name: string }> } };
 * client.on("$presence", ({ joined }) => joined.map((m) => m.meta?.name));
 * ```
 */
export type WithRuntimeEvents<M extends EventMap> =
  & Omit<M, keyof RuntimeEvents>
  & {
    [K in keyof RuntimeEvents]: K extends keyof M
      ? M[K] extends RuntimeEvents[K] ? M[K] : RuntimeEvents[K]
      : RuntimeEvents[K];
  };

/** What one event carries in each direction. */
export interface EventSpec {
  /** What `call` and `send` send for this event. */
  payload?: unknown;
  /** What arrives under this event name: call replies, BROADCASTs, SYNC states. */
  reply?: unknown;
  /** What `call.write()` streams into a running call of this event. */
  input?: unknown;
}

/** Event name → {@linkcode EventSpec}. */
export type EventMap = Record<string, EventSpec>;

/** The map used when none is given: any event, payloads and replies `unknown`. */
export type UnknownEvents = Record<string, { payload?: unknown; reply?: unknown; input?: unknown }>;

/** The event names of a map. */
export type EventName<M extends EventMap> = keyof M & string;

/** The payload type of `event` in `M` (`unknown` if not declared). */
export type PayloadOf<M extends EventMap, E extends string> = E extends keyof M
  ? M[E] extends { payload: infer P } ? P : unknown
  : unknown;

/** The reply type of `event` in `M` (`unknown` if not declared). */
export type ReplyOf<M extends EventMap, E extends string> = E extends keyof M
  ? M[E] extends { reply: infer R } ? R : unknown
  : unknown;

/** The input type of `event` in `M` (`unknown` if not declared). */
export type InputOf<M extends EventMap, E extends string> = E extends keyof M
  ? M[E] extends { input: infer I } ? I : unknown
  : unknown;

/** BROADCAST is 1 in `EventType`; those yields never reach the caller as replies. */
type BroadcastYield = { type: 1 };

/**
 * The {@linkcode EventSpec} of a plug, inferred from its handler's type:
 * `payload` from its `SocketMessage<P>` parameter, `reply` from the payloads
 * it yields, leaving out yields typed as BROADCAST.
 *
 * @example
 * ```ts ignore
 * import type { stream } from "../../plugs/stream.ts";
 * type Stream = PlugEvent<typeof stream>; // { payload: { count?: number }; reply: { i: number } }
 * ```
 */
export type PlugEvent<H> = H extends // deno-lint-ignore no-explicit-any
(message: infer M, ...rest: any[]) => AsyncIterable<infer Y> ? {
    payload: M extends { payload: infer P } ? P : unknown;
    reply: Exclude<Y, BroadcastYield> extends { payload: infer R } ? R : unknown;
  }
  : never;
