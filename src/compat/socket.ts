/**
 * The serverless-sockets `Socket` that `INIT(socket)` received and that
 * plugs called statically, mapped onto the plug API. `INIT` is given
 * {@linkcode withSocketHooks}`(server)`: the {@linkcode Server} itself, plus
 * the old hook names. The static `Socket.broadcast` / `Socket.sendMessage`
 * reach the server through the client they are given, since ssocket has no
 * global server.
 *
 * @example
 * ```ts ignore
 * // INIT.ts written for serverless-sockets: only the import changed
 * import type { Socket } from "ssocket";
 * export function INIT(socket: Socket) {
 *   socket.onSocketConnect(() => console.log("connected"));
 * }
 * ```
 * @module
 */

import type { Client, ConnectionHook, Server } from "../plugs/api.ts";
import { EventType } from "../protocol/event_type.ts";
import type { yieldedSocketMessage } from "./types.ts";

/**
 * What an old `INIT(socket)` may call: today's {@linkcode Server} plus the
 * old hook names.
 */
export interface Socket extends Server {
  /**
   * Runs `callBack` for each new connection (it now receives the client).
   *
   * @deprecated Use `server.onConnect(fn)`.
   */
  onSocketConnect(callBack: ConnectionHook): () => void;
  /**
   * Runs `callBack` after each connection closes (it now receives the client).
   *
   * @deprecated Use `server.onDisconnect(fn)`.
   */
  onSocketDisconnect(callBack: ConnectionHook): () => void;
  /**
   * Closes every connection on this process.
   *
   * @deprecated Use `for (const client of server.connections) client.close()`.
   */
  kickAll(): void;
}

/** The old static helpers, for plugs that called `Socket.broadcast(...)` or `Socket.sendMessage(...)`. */
export interface SocketHelpers {
  /**
   * Sends a BROADCAST to every connection but `exclude`, on every node. The
   * original took the sender's WebSocket; pass the plug's second argument,
   * which is now its `client` (old plugs typed it `WebSocket`, hence the
   * type), through which the server is reached.
   *
   * @deprecated Use `yield { type: EventType.BROADCAST, ... }`, or `client.server.broadcast(message, { exclude: client })`.
   * @returns how many connections on this process it was written to
   * @throws {TypeError} without a client
   */
  broadcast(data: yieldedSocketMessage, exclude: Client | WebSocket): number;
  /**
   * Sends a message to one connection; the original took its WebSocket.
   *
   * @deprecated Use `client.send({ event, payload })`, or `server.sendTo(id, message)`.
   * @returns false if the connection is closed
   */
  sendMessage(to: Client | WebSocket, message: yieldedSocketMessage): boolean;
}

/**
 * The old static helpers (see {@linkcode SocketHelpers}).
 *
 * @deprecated Use yields, `client.send` and `client.server.broadcast`.
 */
export const Socket: SocketHelpers = {
  broadcast(data, exclude) {
    if (!isClient(exclude)) {
      throw new TypeError(
        "Socket.broadcast(data, client) needs the plug's client to reach the server; " +
          "yield { type: EventType.BROADCAST } instead",
      );
    }
    return exclude.server.broadcast(
      { event: data.event ?? "", type: EventType.BROADCAST, payload: data.payload },
      { exclude },
    );
  },
  sendMessage(to, message) {
    if (!isClient(to)) throw new TypeError("Socket.sendMessage(client, message) needs a client");
    return to.send({ event: message.event ?? "", type: message.type, payload: message.payload });
  },
};

/** Plugs receive a client where serverless-sockets passed a WebSocket. */
function isClient(value: Client | WebSocket | undefined): value is Client {
  return (value as Client | undefined)?.server !== undefined;
}

/**
 * `server` with the old `Socket` hook names added, for `INIT`. Every other
 * member is the server's own; the hooks are kept out of {@linkcode Server}
 * so the real API stays small.
 *
 * @example
 * ```ts ignore
 * const socket = withSocketHooks(server);
 * socket.onSocketConnect((client) => client.send({ event: "hi", payload: client.id }));
 * ```
 */
export function withSocketHooks(server: Server): Socket {
  const hooks: Record<string, unknown> = {
    onSocketConnect: (callBack: ConnectionHook) => server.onConnect(callBack),
    onSocketDisconnect: (callBack: ConnectionHook) => server.onDisconnect(callBack),
    kickAll: () => {
      for (const client of server.connections) client.close();
    },
  };
  return new Proxy(server, {
    get(target, key) {
      if (typeof key === "string" && Object.hasOwn(hooks, key)) return hooks[key];
      // The server's members read private fields: call them on the server itself.
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
    has(target, key) {
      return (typeof key === "string" && Object.hasOwn(hooks, key)) || Reflect.has(target, key);
    },
  }) as Socket;
}
