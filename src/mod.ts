/**
 * ssocket: serverless-style WebSocket functions for Deno.
 *
 * This module is the public API for plug authors and embedders — the plug
 * API ({@linkcode Client}, {@linkcode Server}), the message and yield shapes,
 * the codecs and errors — and the `ssocket` command
 * (`deno run -A src/mod.ts [flags]`). The runtime's connections, dispatcher
 * and hub are not exported.
 *
 * @example
 * ```ts ignore
 * // plugs/chat/send.ts — answers event "chat/send"
 * import { type Client, EventType, type SocketMessage } from "ssocket";
 * export async function* send(message: SocketMessage<{ text: string }>, client: Client) {
 *   yield { type: EventType.BROADCAST, room: "lobby", payload: { text: message.payload.text } };
 * }
 * ```
 * @module
 */

export {
  EventType,
  eventTypeName,
  FLAG_BINARY,
  FLAG_END,
  FLAG_REQUEST,
} from "./protocol/event_type.ts";
export { CloseCode, ErrorCode, PlugError, ProtocolError } from "./protocol/errors.ts";
export {
  decodeFrame,
  decodeJsonPayload,
  encodeFrame,
  encodeJsonFrame,
  type Frame,
  type FrameInit,
} from "./protocol/frame.ts";
export { applyDelta, createDelta } from "./protocol/delta.ts";
export type { PlugHandler, Yield } from "./plugs/types.ts";
export type {
  Authenticator,
  AuthInfo,
  BroadcastOptions,
  Client,
  ClientCallOptions,
  ConnectionHook,
  Identity,
  Member,
  OutgoingMessage,
  PresenceChange,
  Server,
} from "./plugs/api.ts";
export { SocketMessage } from "./server/message.ts";
export type { Call } from "./call/call.ts";
export { CallError, ConnectionError, NotFoundError, TimeoutError } from "./call/errors.ts";
export type {
  InferInput,
  PayloadIssue,
  PlugSchema,
  StandardIssue,
  StandardSchemaV1,
} from "./plugs/schema.ts";
export { decodePayload, encodePayloadFrame } from "./protocol/payload.ts";
export { type InitHook, serve, type ServeOptions } from "./server/start.ts";
export type { ClusterAdapter, ClusterMessage } from "./cluster/adapter.ts";
export { type Config, defaultConfig, type PartialConfig, withDefaults } from "../config.ts";
export { fields, LogFields, type Logger } from "./log.ts";
// Deprecated serverless-sockets names, kept apart so the real API stays small.
export {
  Log,
  type ModuleGenerator,
  type serializable,
  Socket,
  type yieldedSocketMessage,
} from "./compat/mod.ts";

if (import.meta.main) {
  // No top-level await here: plugs import this module, and an import of a
  // module still in its top-level await would wait for the server to stop.
  import("./cli/main.ts").then(({ main }) => main(Deno.args)).then(Deno.exit, (err) => {
    console.error(err);
    Deno.exit(1);
  });
}
