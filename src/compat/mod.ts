/**
 * The serverless-sockets names old plugs and INIT files import, as thin
 * deprecated aliases of today's API (each doc comment names the
 * replacement). `SocketMessage.encode` / `decode` / `fromRaw` / `fromBuffer`
 * and `message.sizeOfMessage` / `sizeOfEvent` are members of
 * `SocketMessage` itself. docs/MIGRATING.md lists every difference.
 *
 * @example
 * ```ts ignore
 * import { Log, type ModuleGenerator, type SocketMessage } from "ssocket";
 * export async function* echo(message: SocketMessage): ModuleGenerator {
 *   Log.info(`echo ${message.sizeOfMessage} bytes`);
 *   yield { payload: message.payload };
 * }
 * ```
 * @module
 */

export { Log } from "./log.ts";
export { Socket, type SocketHelpers, withSocketHooks } from "./socket.ts";
export type { ModuleGenerator, serializable, yieldedSocketMessage } from "./types.ts";
