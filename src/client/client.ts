/**
 * The ssocket client: one WebSocket, kept open across drops, with correlated
 * calls, fire-and-forget sends, listeners and SYNC state. Runs unchanged in
 * browsers and Deno: it uses only `WebSocket`, timers and the pure protocol
 * modules.
 *
 * The client coordinates: `reconnecting_socket.ts` keeps the socket open and
 * buffers sends while offline, `calls.ts` tracks the calls in flight,
 * `recovery.ts` decides what a drop means for them, and `incoming.ts`
 * routes each frame that arrives.
 *
 * @example
 * ```ts ignore
 * import { SsocketClient } from "./client.ts";
 * const client = new SsocketClient("ws://localhost:8080/");
 * await client.ready();
 * console.log(await client.call("echo", { hi: 1 }).first()); // { hi: 1 }
 * await client.close();
 * ```
 * @module
 */

import { AUTH_EVENT } from "../protocol/auth.ts";
import { EventType } from "../protocol/event_type.ts";
import { encodeFrame, encodeJsonFrame } from "../protocol/frame.ts";
import { encodePayloadFrame } from "../protocol/payload.ts";
import { Call, type CallOptions, type CallOwner } from "../call/call.ts";
import { CallsInFlight } from "./calls.ts";
import { type CallHandler, Handlers } from "./handlers.ts";
import { type FrameInfo, handleFrame } from "./incoming.ts";
import { Listeners } from "./listeners.ts";
import {
  type ClientOptions,
  type ConnectionEvents,
  type ConnectionState,
  type EmitConnection,
  type EventListener,
  webSocketUrl,
} from "./options.ts";
import { ReconnectingSocket } from "./reconnecting_socket.ts";
import { SessionRecovery } from "./recovery.ts";
import { SyncState } from "./sync_state.ts";
import type {
  EventMap,
  EventName,
  InputOf,
  PayloadOf,
  ReplyOf,
  UnknownEvents,
  WithRuntimeEvents,
} from "./types.ts";

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_MAX_RESYNCS = 3;

/**
 * A connection to an ssocket server. It connects as soon as it is built and
 * reconnects after drops (unless told not to); listeners stay registered
 * across reconnects.
 *
 * @typeParam Events an {@linkcode EventMap} typing payloads and replies per event
 */
export class SsocketClient<Events extends EventMap = UnknownEvents> implements CallOwner {
  /** The WebSocket URL. */
  readonly url: string;
  readonly #auth?: string | (() => string | Promise<string>);
  readonly #timeout: number;
  readonly #sync = new SyncState();
  readonly #events = new Listeners<[unknown, FrameInfo]>();
  readonly #connection = new Listeners<[unknown]>();
  readonly #emit: EmitConnection = (kind, event) => void this.#connection.emit(kind, event);
  readonly #handlers = new Handlers((frame) => this.#socket.write(frame));
  readonly #calls: CallsInFlight;
  readonly #recovery: SessionRecovery;
  readonly #socket: ReconnectingSocket;

  /**
   * @param url `ws:`/`wss:` URL of the server; `http(s):` and, in a page,
   *   relative URLs such as `"/"` are turned into the matching WebSocket URL
   * @param options reconnect, timeout and buffer settings
   * @throws {SyntaxError} if `url` is not a valid URL
   */
  constructor(url: string | URL, options: ClientOptions = {}) {
    this.url = webSocketUrl(url);
    this.#auth = options.auth;
    this.#timeout = options.timeout ?? DEFAULT_TIMEOUT;
    const write = (frame: Uint8Array) => this.#socket.write(frame);
    const isOpen = () => this.#socket.state === "open";
    const maxResyncs = options.maxResyncs ?? DEFAULT_MAX_RESYNCS;
    this.#calls = new CallsInFlight({ write, isOpen }, this.#sync, maxResyncs);
    this.#recovery = new SessionRecovery(options.recovery ?? true, {
      write,
      calls: this.#calls,
      sync: this.#sync,
      emit: this.#emit,
    });
    const protocols = options.protocols;
    this.#socket = new ReconnectingSocket(this.url, options, {
      protocols: () => this.#recovery.subprotocols(protocols),
      opened: (protocol) => this.#recovery.opened(protocol),
      resend: () => this.#calls.sendUnsent(),
      message: (data, current, packed) => this.#route(data, current, packed),
      dropped: (code, reason) => {
        // Handlers of the server's calls end with the socket; a resumed session's server calls fail.
        this.#handlers.stopAll();
        this.#recovery.dropped(code, reason, this.#socket.state === "closed");
      },
      closed: (error) => this.#calls.failAll(error),
      emit: this.#emit,
    });
    this.#socket.connect();
  }

  /** The connection's current state. */
  get state(): ConnectionState {
    return this.#socket.state;
  }

  /**
   * Resolves when the connection is open: at once if it is, else at the
   * next open (retries included). Rejects if the client closes first.
   */
  ready(): Promise<void> {
    return this.#socket.ready();
  }

  /**
   * Calls `event` with `payload` and returns its replies as they arrive.
   * Made while not open, the call waits for the connection (its timeout
   * running). Many calls may be in flight; each has its own request id.
   *
   * @returns a {@linkcode Call}: `for await` it, or use `first()` / `all()`
   * @throws {ProtocolError} `ENCODE_ERROR` if the event name or payload cannot be framed
   */
  call<E extends EventName<Events>>(
    event: E,
    payload?: PayloadOf<Events, E>,
    options: CallOptions = {},
  ): Call<ReplyOf<Events, E>, InputOf<Events, E>> {
    // Fail fast on bad input (bytes cannot fail but for the event name).
    if (payload instanceof Uint8Array) encodeFrame({ type: EventType.MESSAGE, event });
    else encodeJsonFrame(EventType.MESSAGE, event, payload, 0);
    const id = this.#calls.nextId();
    const timeout = options.timeout ?? this.#timeout;
    const call = new Call<ReplyOf<Events, E>, InputOf<Events, E>>(
      this,
      event,
      payload,
      id,
      timeout,
      options.signal,
    );
    if (this.#socket.state === "closed") {
      call.fail(this.#socket.finalError);
      return call;
    }
    this.#calls.start(call as Call<unknown>);
    return call;
  }

  /**
   * Sends `payload` to `event` without waiting for replies. Replies and
   * errors, if the plug sends any, reach `on()` and `onConnection("error")`.
   *
   * @returns true if sent (or buffered while offline), false if dropped
   * @throws {ProtocolError} `ENCODE_ERROR` if the event name or payload cannot be framed
   */
  send<E extends EventName<Events>>(event: E, payload?: PayloadOf<Events, E>): boolean {
    return this.#socket.send(encodePayloadFrame(EventType.MESSAGE, event, payload));
  }

  /**
   * Listens to frames named `event` that are not replies to a call:
   * BROADCASTs, pushes from the server, and SYNC streams (the listener gets
   * the whole current object after every update).
   *
   * `"$presence"` is the runtime's own event, typed for every client: each
   * member of a room gets a `PresenceChange` when someone joins or
   * leaves it (its own join included). Listeners stay across reconnects;
   * rooms only when the session is recovered, so a page joins again on
   * `onConnection("reset")` (or "open" against a server without recovery).
   *
   * @returns a function that removes the listener
   *
   * @example
   * ```ts ignore
   * const members = new Map<string, unknown>();
   * client.on("$presence", ({ room, joined, left }) => {
   *   if (room !== "lobby") return;
   *   for (const { id, meta } of joined) members.set(id, meta); // a repeat join is harmless
   *   for (const { id } of left) members.delete(id);
   * });
   * ```
   */
  on<E extends EventName<WithRuntimeEvents<Events>>>(
    event: E,
    listener: EventListener<ReplyOf<WithRuntimeEvents<Events>, E>>,
  ): () => void {
    return this.#events.add(event, listener as EventListener<unknown>);
  }

  /** Removes a listener added with {@linkcode on}. */
  off<E extends EventName<WithRuntimeEvents<Events>>>(
    event: E,
    listener: EventListener<ReplyOf<WithRuntimeEvents<Events>, E>>,
  ): void {
    this.#events.remove(event, listener as EventListener<unknown>);
  }

  /**
   * Answers calls the server makes to this client for `event` (a plug's
   * `client.call(event, payload)`): an async generator yields the replies,
   * or a function returns the one reply. A thrown error answers ERROR with
   * its `code` (`HANDLER_ERROR` without one); an event with no handler
   * answers NOT_FOUND. `context.signal` aborts when the server cancels.
   *
   * @returns a function that removes the handler
   * @example
   * ```ts ignore
   * client.handle("confirm", ({ question }) => window.confirm(question));
   * ```
   */
  // deno-lint-ignore no-explicit-any
  handle<P = any, R = unknown>(event: string, handler: CallHandler<P, R>): () => void {
    return this.#handlers.set(event, handler as CallHandler);
  }

  /**
   * Listens to the connection itself: "open", "close", "reconnecting", "error".
   *
   * @returns a function that removes the listener
   */
  onConnection<K extends keyof ConnectionEvents>(
    kind: K,
    listener: (event: ConnectionEvents[K]) => void,
  ): () => void {
    return this.#connection.add(kind, listener as (event: unknown) => void);
  }

  /**
   * Closes for good: stops reconnecting, rejects calls in flight with
   * `CLIENT_CLOSED`, and resolves once the socket has closed.
   */
  close(code = 1000, reason = ""): Promise<void> {
    return this.#socket.close(code, reason);
  }

  /** Closes (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal Stops routing replies to a settled call; cancels it on the server if still open. */
  detach(call: Call<unknown>): void {
    this.#calls.detach(call);
  }

  /**
   * Sends a fresh token from the `auth` option (called again when it is a
   * function) in a `$auth` frame, so the server moves the connection's
   * expiry instead of closing it with 4001.
   *
   * @returns the new expiry in seconds since the epoch, or null if the token has none
   * @throws {CallError} `AUTH_FAILED` if the server refuses the token
   */
  async reauthenticate(): Promise<number | null> {
    if (this.#auth === undefined) throw new TypeError("The client has no auth option");
    const token = typeof this.#auth === "function" ? await this.#auth() : this.#auth;
    const call = this.call(AUTH_EVENT as EventName<Events>, { token } as PayloadOf<Events, never>);
    const reply = await call.first() as { exp: number | null } | undefined;
    return reply?.exp ?? null;
  }

  /** @internal Sends one input of `call` (`call.write` / `call.end`). */
  input(call: Call<unknown>, payload: unknown, end: boolean): void {
    this.#calls.input(call, payload, end);
  }

  /** Routes one message from the socket (see {@linkcode handleFrame}). */
  #route(data: unknown, current: boolean, packed: boolean): void {
    handleFrame(data, {
      calls: this.#calls.byId,
      sync: this.#sync,
      emit: (name, payload, info) => this.#events.emit(name, payload, info),
      error: (err) => this.#emit("error", err),
      resync: (call, err) => this.#calls.resync(call, err),
      serverCall: (frame, id) => this.#handlers.receive(frame, id),
      session: (info) => this.#recovery.started(info),
      numbered: this.#recovery.active && current ? this.#recovery.numbered : undefined,
    }, packed);
  }
}
