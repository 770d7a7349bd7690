/**
 * The client's WebSocket, kept open across drops. Each attempt fetches the
 * auth token anew and offers the subprotocols of the moment; a drop (or a
 * failed auth) schedules the next attempt with backoff, until
 * `maxAttempts` runs out or `close()` is called. While it is not open,
 * fire-and-forget sends wait in the offline buffer and `ready()` waits for
 * the next open. What the frames mean is the client's business: it hears of
 * opens, messages and drops through {@linkcode SocketHooks}.
 *
 * @example
 * ```ts ignore
 * const socket = new ReconnectingSocket("ws://localhost:8080/", { offlineBuffer: 10 }, hooks);
 * socket.connect();
 * await socket.ready();
 * socket.write(frame);
 * await socket.close(1000, "");
 * ```
 * @module
 */

import { placeToken } from "../protocol/auth.ts";
import { featuresOf } from "../protocol/subprotocol.ts";
import { backoffDelay, DEFAULT_RECONNECT, type ReconnectOptions } from "./backoff.ts";
import { ClientErrorCode, ConnectionError, SsocketError } from "../call/errors.ts";
import type { ClientOptions, ConnectionState, EmitConnection } from "./options.ts";
import { FramePacker } from "./packer.ts";
import { ABNORMAL_CLOSURE, closeMessage, WS_CLOSED, WS_OPEN } from "./websocket.ts";

/** What the socket tells the client, and asks of it. */
export interface SocketHooks {
  /** The subprotocols to offer on the next attempt. */
  protocols(): string[];
  /** A socket opened with `protocol`; the "open" listeners have not run yet. */
  opened(protocol: string): void;
  /** After the "open" listeners, before the offline buffer: send the calls made while offline. */
  resend(): void;
  /**
   * A message arrived: `current` is false when its socket was already
   * replaced, `packed` true while the open socket packs frames.
   */
  message(data: unknown, current: boolean, packed: boolean): void;
  /**
   * The current socket closed with `code` (1006 without a close frame),
   * before the next attempt is scheduled; the state is "closed" if the
   * client was closed.
   */
  dropped(code: number, reason: string): void;
  /** The client closed for good: what is in flight fails with `error`. */
  closed(error: ConnectionError): void;
  /** Emits "open", "close", "reconnecting" and, when the auth function fails, "error". */
  emit: EmitConnection;
}

/** One client's WebSocket across its reconnects. */
export class ReconnectingSocket {
  readonly #url: string;
  readonly #auth?: string | (() => string | Promise<string>);
  readonly #reconnect: Required<ReconnectOptions> | undefined;
  readonly #bufferLimit: number;
  readonly #buffer: Uint8Array[] = [];
  readonly #hooks: SocketHooks;
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

  /**
   * @param url the WebSocket URL
   * @param options the client's reconnect, auth and offline buffer settings
   * @param hooks the client's side of opens, messages and drops
   */
  constructor(
    url: string,
    options: Pick<ClientOptions, "reconnect" | "auth" | "offlineBuffer">,
    hooks: SocketHooks,
  ) {
    this.#url = url;
    this.#auth = options.auth;
    const reconnect = options.reconnect ?? true;
    this.#reconnect = reconnect === false
      ? undefined
      : { ...DEFAULT_RECONNECT, ...(reconnect === true ? {} : reconnect) };
    this.#bufferLimit = options.offlineBuffer ?? 0;
    this.#hooks = hooks;
  }

  /** The connection's current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Why the client is closed, once it is. */
  get finalError(): ConnectionError | undefined {
    return this.#finalError;
  }

  /** Makes the first attempt (once the client around the socket is built). */
  connect(): void {
    this.#open();
  }

  /** Resolves at once if open, else at the next open; rejects if the client closes first. */
  ready(): Promise<void> {
    if (this.#state === "open") return Promise.resolve();
    if (this.#state === "closed") return Promise.reject(this.#finalError);
    const waiter = Promise.withResolvers<void>();
    this.#openWaiters.push(waiter);
    return waiter.promise;
  }

  /**
   * Writes `frame` now if open, else keeps it in the offline buffer for the
   * next open.
   *
   * @returns true if written or buffered, false if dropped (closed, or the buffer is full)
   */
  send(frame: Uint8Array): boolean {
    if (this.#state === "open" && this.write(frame)) return true;
    if (this.#state === "closed" || this.#buffer.length >= this.#bufferLimit) return false;
    this.#buffer.push(frame);
    return true;
  }

  /** Writes `frame` on the open socket; false when there is none. */
  write(frame: Uint8Array): boolean {
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

  /**
   * Closes for good: stops reconnecting, fails what is in flight with
   * `CLIENT_CLOSED`, and resolves once the socket has closed.
   */
  close(code: number, reason: string): Promise<void> {
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

  #open(): void {
    const protocols = this.#hooks.protocols();
    if (this.#auth === undefined) return this.#openSocket(this.#url, protocols);
    const auth = this.#auth;
    // The token is fetched anew for every attempt, so an expiring one refreshes.
    Promise.resolve().then(() => typeof auth === "function" ? auth() : auth).then(
      (token) => {
        if (this.#state === "closed") return;
        const target = placeToken(this.#url, protocols, String(token));
        this.#openSocket(target.url, target.protocols);
      },
      (err) => {
        if (this.#state === "closed") return;
        this.#hooks.emit(
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
      this.#hooks.message(event.data, ws === this.#ws, this.#packer !== undefined);
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
    this.#hooks.opened(this.#ws?.protocol ?? "");
    // "open" listeners run before the backlog goes out, so that what they
    // send (a re-join, a re-auth) reaches the server first. Then the calls
    // and sends made while offline, each in the order they were made.
    this.#hooks.emit("open", { reconnected });
    if (this.#state !== "open") return; // a listener closed the client
    this.#hooks.resend();
    for (const frame of this.#buffer.splice(0)) this.write(frame);
    for (const waiter of this.#openWaiters.splice(0)) waiter.resolve();
  }

  #dropped(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    this.#ws = undefined;
    this.#hooks.dropped(code, reason);
    if (this.#state === "closed") {
      this.#socketClosed?.resolve();
      this.#hooks.emit("close", { code, reason, willReconnect: false });
      return;
    }
    this.#retry(code, reason);
  }

  /** Schedules the next attempt after a drop (or a failed auth), or gives up. */
  #retry(code: number, reason: string): void {
    const retry = this.#reconnect;
    const willReconnect = retry !== undefined && this.#attempt < retry.maxAttempts;
    if (!willReconnect) {
      const lost = closeMessage(code, reason);
      this.#shutDown(
        new ConnectionError(ClientErrorCode.NOT_CONNECTED, `${lost}; not reconnecting`),
      );
    }
    this.#hooks.emit("close", { code, reason, willReconnect });
    if (!willReconnect) return;
    const delay = backoffDelay(this.#attempt, retry);
    this.#attempt++;
    this.#state = "reconnecting";
    this.#hooks.emit("reconnecting", { attempt: this.#attempt, delay });
    this.#retryTimer = setTimeout(() => {
      if (this.#state === "reconnecting") this.#open();
    }, delay);
  }

  /** Closes for good: fails every call and waiter with `error`, drops the offline buffer. */
  #shutDown(error: ConnectionError): void {
    this.#state = "closed";
    this.#finalError = error;
    this.#hooks.closed(error);
    for (const waiter of this.#openWaiters.splice(0)) waiter.reject(error);
    this.#buffer.length = 0;
  }
}
