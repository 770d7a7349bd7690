/**
 * ssocket: serverless-style WebSocket functions for Deno.
 *
 * This module is both the public API for plug authors and embedders, and the
 * `ssocket` command (`deno run -A src/mod.ts [flags]`).
 *
 * @example
 * ```ts ignore
 * // plugs/chat/send.ts — answers event "chat/send"
 * import { EventType, type SocketMessage } from "ssocket";
 * export async function* send(message: SocketMessage<{ text: string }>) {
 *   yield { type: EventType.BROADCAST, payload: { text: message.payload.text } };
 * }
 * ```
 * @module
 */

export { EventType, eventTypeName, FLAG_END, FLAG_REQUEST } from "./protocol/event_type.ts";
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
export type { Plug, PlugHandler, Yield } from "./plugs/types.ts";
export { SocketMessage } from "./server/message.ts";
export { Client, type OutgoingMessage, type SocketLike } from "./server/client.ts";
export { type ConnectionHook, Server, type ServerOptions } from "./server/server.ts";
export { type ConnectionRegistry, Hub, MemoryRegistry } from "./server/hub.ts";
export { type ClusterAdapter, type ClusterMessage, MemoryAdapter } from "./cluster/adapter.ts";
export { type InitHook, serve, type ServeOptions } from "./server/serve.ts";
export { type Config, defaultConfig, type PartialConfig, withDefaults } from "../config.ts";
export { Logger } from "./log.ts";

if (import.meta.main) {
  // No top-level await here: plugs import this module, and an import of a
  // module still in its top-level await would wait for the server to stop.
  import("./cli/main.ts").then(({ main }) => main(Deno.args)).then(Deno.exit, (err) => {
    console.error(err);
    Deno.exit(1);
  });
}
