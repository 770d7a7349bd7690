/**
 * The ssocket client: one WebSocket, kept open across drops, with correlated
 * calls, fire-and-forget sends, listeners and SYNC state. Runs unchanged in
 * browsers and Deno: it uses only `WebSocket`, timers and the pure protocol
 * modules.
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

import { AUTH_EVENT, placeToken } from "../protocol/auth.ts";
import { EventType } from "../protocol/event_type.ts";
import { encodeFrame, encodeJsonFrame } from "../protocol/frame.ts";
import { featuresOf } from "../protocol/subprotocol.ts";
import { encodePayloadFrame } from "../protocol/payload.ts";
import { FramePacker } from "./packer.ts";
import { backoffDelay, DEFAULT_RECONNECT, type ReconnectOptions } from "./backoff.ts";
import { Call, type CallOptions, type CallOwner } from "./call.ts";
import { CallsInFlight } from "./calls.ts";
import { ClientErrorCode, ConnectionError, SsocketError } from "./errors.ts";
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
import { SessionRecovery } from "./recovery.ts";
import { SyncState } from "./sync_state.ts";
import { ABNORMAL_CLOSURE, closeMessage, WS_CLOSED, WS_OPEN } from "./websocket.ts";
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
  readonly #protocols?: string | string[];
  readonly #auth?: string | (() => string | Promise<string>);
  readonly #reconnect: Required<ReconnectOptions> | undefined;
  readonly #timeout: number;
  readonly #bufferLimit: number;
  readonly #sync = new SyncState();
  readonly #calls: CallsInFlight;
  readonly #buffer: Uint8Array[] = [];
  readonly #events = new Listeners<[unknown, FrameInfo]>();
  readonly #connection = new Listeners<[unknown]>();
  readonly #emit: EmitConnection = (kind, event) => void this.#connection.emit(kind, event);
  readonly #handlers = new Handlers((frame) => this.#write(frame));
  #openWaiters: PromiseWithResolvers<void>[] = [];
  #ws?: WebSocket;
  /** Set while the open socket negotiated `ssocket.pack.v1`. */
  #packer?: FramePacker;
  #state: ConnectionState = "connecting";
  #attempt = 0;
  #everOpened = false;
  #retryTimer?: ReturnType<typeof setTimeout>;
  #socketClosed?: PromiseWithResolvers<void>;
  /** Why the client is closed: what calls and `ready()` reject with from then on. */
  #finalError?: ConnectionError;
  readonly #recovery: SessionRecovery;

  /**
   * @param url `ws:`/`wss:` URL of the server; `http(s):` and, in a page,
   *   relative URLs such as `"/"` are turned into the matching WebSocket URL
   * @param options reconnect, timeout and buffer settings
   * @throws {SyntaxError} if `url` is not a valid URL
   */
  constructor(url: string | URL, options: ClientOptions = {}) {
    this.url = webSocketUrl(url);
    this.#protocols = options.protocols;
    this.#auth = options.auth;
    const reconnect = options.reconnect ?? true;
    this.#reconnect = reconnect === false
      ? undefined
      : { ...DEFAULT_RECONNECT, ...(reconnect === true ? {} : reconnect) };
    this.#timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.#bufferLimit = options.offlineBuffer ?? 0;
    this.#calls = new CallsInFlight(
      { write: (frame) => this.#write(frame), isOpen: () => this.#state === "open" },
      this.#sync,
      options.maxResyncs ?? DEFAULT_MAX_RESYNCS,
    );
    this.#recovery = new SessionRecovery(options.recovery ?? true, {
      write: (frame) => this.#write(frame),
      calls: this.#calls,
      sync: this.#sync,
      emit: this.#emit,
    });
    this.#open();
  }

  /** The connection's current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * Resolves when the connection is open: at once if it is, else at the
   * next open (retries included). Rejects if the client closes first.
   */
  ready(): Promise<void> {
    if (this.#state === "open") return Promise.resolve();
    if (this.#state === "closed") return Promise.reject(this.#finalError);
    const waiter = Promise.withResolvers<void>();
    this.#openWaiters.push(waiter);
    return waiter.promise;
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
    if (this.#state === "closed") {
      call.fail(this.#finalError);
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
    const frame = encodePayloadFrame(EventType.MESSAGE, event, payload);
    if (this.#state === "open" && this.#write(frame)) return true;
    if (this.#state === "closed" || this.#buffer.length >= this.#bufferLimit) return false;
    this.#buffer.push(frame);
    return true;
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
    if (this.#state !== "closed") {
      clearTimeout(this.#retryTimer);
      this.#shutDown(new ConnectionError(ClientErrorCode.CLIENT_CLOSED, "The client is closed"));
    }
    const ws = this.#ws;
    if (!ws || ws.readyState === WS_CLOSED) return Promise.resolve();
    this.#socketClosed ??= Promise.withResolvers();
    this.#packer?.flush();
    ws.close(code, reason);
    return this.#socketClosed.promise;
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

  #open(): void {
    const protocols = this.#recovery.subprotocols(this.#protocols);
    if (this.#auth === undefined) return this.#openSocket(this.url, protocols);
    const auth = this.#auth;
    // The token is fetched anew for every attempt, so an expiring one refreshes.
    Promise.resolve().then(() => typeof auth === "function" ? auth() : auth).then(
      (token) => {
        if (this.#state === "closed") return;
        const target = placeToken(this.url, protocols, String(token));
        this.#openSocket(target.url, target.protocols);
      },
      (err) => {
        if (this.#state === "closed") return;
        this.#connection.emit(
          "error",
          new SsocketError(ClientErrorCode.NOT_CONNECTED, "The auth function failed", {
            cause: err,
          }),
        );
        this.#retry(ABNORMAL_CLOSURE, "auth failed");
      },
    );
  }

  #openSocket(url: string, protocols: string[]): void {
    const ws = new WebSocket(url, protocols);
    ws.binaryType = "arraybuffer";
    this.#ws = ws;
    this.#packer = undefined;
    ws.onopen = () => {
      this.#packer = featuresOf(ws.protocol)?.pack ? new FramePacker(ws) : undefined;
      this.#opened();
    };
    ws.onmessage = (event) => {
      handleFrame(event.data, {
        calls: this.#calls.byId,
        sync: this.#sync,
        emit: (name, payload, info) => this.#events.emit(name, payload, info),
        error: (err) => this.#connection.emit("error", err),
        resync: (call, err) => this.#calls.resync(call, err),
        serverCall: (frame, id) => this.#handlers.receive(frame, id),
        session: (info) => this.#recovery.started(info),
        numbered: this.#recovery.active && ws === this.#ws ? this.#recovery.numbered : undefined,
      }, this.#packer !== undefined);
    };
    // Deno reports code 0 when the TCP connection ends without a close
    // frame; browsers report 1006 (abnormal closure), which is what it means.
    ws.onclose = (event) => this.#dropped(ws, event.code || ABNORMAL_CLOSURE, event.reason);
    // Every error is followed by a close event, where it is handled.
    ws.onerror = () => {};
  }

  #opened(): void {
    if (this.#state === "closed") return;
    this.#state = "open";
    this.#attempt = 0;
    const reconnected = this.#everOpened;
    this.#everOpened = true;
    this.#recovery.opened(this.#ws?.protocol ?? "");
    // "open" listeners run before the backlog goes out, so that what they
    // send (a re-join, a re-auth) reaches the server first. Then the calls
    // and sends made while offline, each in the order they were made.
    this.#connection.emit("open", { reconnected });
    if (this.#state !== "open") return; // a listener closed the client
    this.#calls.sendUnsent();
    for (const frame of this.#buffer.splice(0)) this.#write(frame);
    for (const waiter of this.#openWaiters.splice(0)) waiter.resolve();
  }

  #dropped(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    this.#ws = undefined;
    // Handlers of the server's calls end with the socket; a resumed session's server calls fail.
    this.#handlers.stopAll();
    this.#recovery.dropped(code, reason, this.#state === "closed");
    if (this.#state === "closed") {
      this.#socketClosed?.resolve();
      this.#connection.emit("close", { code, reason, willReconnect: false });
      return;
    }
    this.#retry(code, reason);
  }

  /** Schedules the next attempt after a drop (or a failed auth), or gives up. */
  #retry(code: number, reason: string): void {
    const lost = closeMessage(code, reason);
    // Handlers of the server's calls end with the socket; a resumed session's server calls fail.
    this.#handlers.stopAll();
    const retry = this.#reconnect;
    const willReconnect = retry !== undefined && this.#attempt < retry.maxAttempts;
    if (!willReconnect) {
      this.#shutDown(
        new ConnectionError(ClientErrorCode.NOT_CONNECTED, `${lost}; not reconnecting`),
      );
    }
    this.#connection.emit("close", { code, reason, willReconnect });
    if (!willReconnect) return;
    const delay = backoffDelay(this.#attempt, retry);
    this.#attempt++;
    this.#state = "reconnecting";
    this.#connection.emit("reconnecting", { attempt: this.#attempt, delay });
    this.#retryTimer = setTimeout(() => {
      if (this.#state === "reconnecting") this.#open();
    }, delay);
  }

  /** Closes for good: fails every call and waiter with `error`, drops the offline buffer. */
  #shutDown(error: ConnectionError): void {
    this.#state = "closed";
    this.#finalError = error;
    this.#calls.failAll(error);
    for (const waiter of this.#openWaiters.splice(0)) waiter.reject(error);
    this.#buffer.length = 0;
  }

  #write(frame: Uint8Array): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WS_OPEN) return false;
    if (this.#packer) {
      this.#packer.send(frame);
      return true;
    }
    // Frames are built with `new Uint8Array(n)`, never over a SharedArrayBuffer.
    ws.send(frame as Uint8Array<ArrayBuffer>);
    return true;
  }
}
