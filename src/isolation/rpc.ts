/**
 * The server side of the plug API for Workers: each request a Worker's
 * {@linkcode ApiProxy} makes is answered here with the runtime's own plug
 * API objects, so both modes run the same code behind the interfaces.
 *
 * @example
 * ```ts ignore
 * const rpc = new ApiRequests(runtime, (w, head, tail) => pool.send(w, head, tail));
 * rpc.sync(w, "client.isOpen", [id]); // true
 * ```
 * @module
 */

import { serialize } from "node:v8";
import type { Client, OutgoingMessage } from "../plugs/api.ts";
import type { Runtime } from "../server/runtime.ts";
import { CallRelay, type SendToWorker } from "./call_relay.ts";

/** Answers the plug-API requests of Workers against one runtime. */
export class ApiRequests {
  readonly #runtime: Runtime;
  readonly #send: SendToWorker;
  readonly #relay: CallRelay;
  /** Hook removers by Worker, then by the Worker's hook id. */
  readonly #hooks = new Map<number, Map<number, () => void>>();

  /**
   * @param runtime the server
   * @param send the way to a Worker (hooks, relayed replies)
   */
  constructor(runtime: Runtime, send: SendToWorker) {
    this.#runtime = runtime;
    this.#send = send;
    this.#relay = new CallRelay(send);
  }

  /** Runs a Worker's connection hook; `data` is what a closed connection left. */
  #runHook(w: number, hook: number, id: string, data?: unknown): void {
    const tail = data === undefined ? undefined : serialize(data);
    this.#send(w, { k: "hook", hook, id, closed: data !== undefined }, tail);
  }

  #client(id: string): Client {
    const connection = this.#runtime.hub.connections.get(id);
    if (!connection) throw new RangeError(`Connection "${id}" is closed`);
    return connection.api;
  }

  /** Answers a synchronous request of Worker `w` (blocked until it has the answer). */
  sync(w: number, op: string, args: unknown[]): unknown {
    const api = this.#runtime.api;
    const id = args[0] as string;
    switch (op) {
      case "data.get":
        return this.#client(id).data[args[1] as string];
      case "data.set":
        this.#client(id).data[args[1] as string] = args[2];
        return undefined;
      case "data.delete":
        delete this.#client(id).data[args[1] as string];
        return undefined;
      case "data.snapshot":
        return this.#client(id).data;
      case "client.identity":
        return this.#runtime.hub.connections.get(id)?.identity;
      case "client.call": {
        const [, k, event, payload, timeout] = args as [string, number, string, unknown, number];
        const client = this.#runtime.hub.connections.get(id)?.api;
        return this.#relay.start(w, k, client, event, payload, timeout);
      }
      case "client.isOpen":
        return this.#runtime.hub.connections.get(id)?.isOpen ?? false;
      case "client.bufferedAmount":
        return this.#runtime.hub.connections.get(id)?.bufferedAmount ?? 0;
      case "client.rooms":
        return [...(this.#runtime.hub.connections.get(id)?.rooms ?? [])];
      case "client.send":
        return this.#runtime.hub.connections.get(id)?.api.send(args[1] as OutgoingMessage) ??
          false;
      case "client.close":
        this.#runtime.hub.connections.get(id)?.close(args[1] as number, args[2] as string);
        return undefined;
      case "server.url":
        return api.url;
      case "server.connections":
        return [...this.#runtime.hub.connections.keys()];
      case "server.client":
        return this.#runtime.hub.connections.has(id);
      case "server.connectionCount":
        return api.connectionCount;
      case "server.events":
        return api.events();
      case "server.broadcast":
        return api.broadcast(args[0] as OutgoingMessage, args[1] as { room?: string });
      case "server.sendTo":
        return api.sendTo(args[0] as string, args[1] as OutgoingMessage);
      case "server.rooms":
        return api.rooms();
    }
    throw new TypeError(`Unknown plug API request "${op}"`);
  }

  /** Answers a request whose answer is a promise. */
  async call(op: string, args: unknown[]): Promise<unknown> {
    switch (op) {
      case "input.next": {
        // A closed connection's input has ended, as in-process; so has a cancelled
        // call's, even when the plug asks for it only after the cancel arrived.
        const connection = this.#runtime.hub.connections.get(args[0] as string);
        if (!connection || connection.calls.cancelledId(args[1] as number)) {
          return { value: undefined, done: true };
        }
        return await connection.calls.inputOf(args[1] as number)[Symbol.asyncIterator]().next();
      }
      case "client.join":
        return await this.#client(args[0] as string).join(args[1] as string, args[2]);
      case "client.leave":
        return await this.#client(args[0] as string).leave(args[1] as string);
      case "server.members":
        return await this.#runtime.api.members(args[0] as string);
      case "server.close":
        return await this.#runtime.api.close();
    }
    throw new TypeError(`Unknown plug API request "${op}"`);
  }

  /** Handles a one-way notice from Worker `w`. */
  notify(w: number, op: string, args: unknown[]): void {
    if (op === "log") {
      const [level, text] = args as ["error" | "warn" | "info" | "debug", string];
      this.#runtime.log[level](text);
    } else if (op === "hook.add") {
      const [kind, hook] = args as ["connect" | "disconnect", number];
      const forWorker = this.#hooks.get(w) ?? new Map<number, () => void>();
      this.#hooks.set(w, forWorker);
      const remove = kind === "connect"
        ? this.#runtime.onConnect((client) => this.#runHook(w, hook, client.id))
        : this.#runtime.onDisconnect((client) => this.#runHook(w, hook, client.id, client.data));
      forWorker.set(hook, remove);
    } else if (op === "input.return") {
      const connection = this.#runtime.hub.connections.get(args[0] as string);
      connection?.calls.inputOf(args[1] as number)[Symbol.asyncIterator]().return?.();
    } else if (op === "client.call.detach") {
      this.#relay.detach(w, args[0] as number);
    } else if (op === "hook.remove") {
      this.#hooks.get(w)?.get(args[0] as number)?.();
      this.#hooks.get(w)?.delete(args[0] as number);
    }
  }

  /** True while Worker `w` has hooks (they keep a retired Worker alive). */
  holds(w: number): boolean {
    return (this.#hooks.get(w)?.size ?? 0) > 0;
  }

  /** Removes every hook, and cancels every call to a client, of a Worker that is gone. */
  forget(w: number): void {
    this.#relay.forget(w);
    for (const remove of this.#hooks.get(w)?.values() ?? []) remove();
    this.#hooks.delete(w);
  }
}
