/**
 * The type names serverless-sockets plugs were written against, as aliases
 * of today's. Deprecated: they exist so old plugs type-check unchanged.
 *
 * @example
 * ```ts ignore
 * import type { ModuleGenerator, SocketMessage } from "ssocket";
 * export async function* hello(message: SocketMessage<{ name: string }>): ModuleGenerator<{ text: string }> {
 *   yield { payload: { text: `Hello ${message.payload.name}` } };
 * }
 * ```
 * @module
 */

import type { Yield } from "../plugs/types.ts";

/**
 * What an old plug returned: an async generator of yields whose payloads
 * are `T`. Unlike the original, `T` defaults to `unknown`, so a plug typed
 * `SocketMessage` (unknown payload) may yield `message.payload` as before.
 *
 * @deprecated Use `AsyncGenerator<Yield<T>>`, or let TypeScript infer the return type.
 */
export type ModuleGenerator<T = unknown> = AsyncGenerator<
  Yield<T>,
  Yield<T> | void,
  Yield<T> | void
>;

/**
 * The shape an old plug yielded: `{ type?, event?, payload }`.
 *
 * @deprecated Use {@linkcode Yield}.
 */
export type yieldedSocketMessage<T = unknown> = Yield<T>;

/**
 * A JSON-like payload, as serverless-sockets typed it.
 *
 * @deprecated Use your own payload type, or `unknown`.
 */
export type serializable = number | string | Array<unknown> | Record<string, unknown>;
