/**
 * The handle a plug gets for the connection that sent a message: a stable
 * `id`, `send`, `close`, per-connection `data` and the `server`.
 *
 * @example
 * ```ts ignore
 * export async function* hello(_message, client) {
 *   client.data.greeted = true;
 *   client.send({ event: "note", payload: { id: client.id } });
 *   yield { payload: "hi" };
 * }
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import type { FrameInit } from "../protocol/frame.ts";
import { CloseCode } from "../protocol/errors.ts";
import { eventStream, SyncStreams } from "./sync_streams.ts";
import type { HubMember } from "./hub.ts";
import type { Server } from "./server.ts";

/** What a connection needs from the transport's socket; a WebSocket fits. */
export interface SocketLike {
  /** 1 while open, as `WebSocket.OPEN`. */
  readonly readyState: number;
  /** Bytes queued but not yet sent. */
  readonly bufferedAmount: number;
  /**
   * Queues a binary message. It must copy `data` (or be done with it) before
   * returning: the server reuses the buffer behind `data` for the next frame.
   */
  send(data: Uint8Array): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
}

/** A message sent outside a plug's yields: `event` is required there. */
export interface OutgoingMessage<P = unknown> {
  /** Event name of the frame. */
  event: string;
  /** Event type; `EventType.MESSAGE` by default. */
  type?: EventType;
  /** JSON-serializable payload. */
  payload?: P;
}

const OPEN = 1;
/** How often a suspended plug checks whether a slow client's queue has drained. */
const DRAIN_POLL_MS = 10;

/** One WebSocket connection, as plugs and hooks see it. */
export class Client implements HubMember {
  /** Stable, unique connection id. */
  readonly id: string = crypto.randomUUID();
  /** Free per-connection storage for plugs (e.g. a user name after auth). */
  data: Record<string, unknown> = {};
  /** @internal SYNC state of this connection's streams. */
  readonly sync: SyncStreams;
  readonly #socket: SocketLike;
  readonly #running = new Set<AsyncIterator<unknown>>();
  /** Running correlated calls by request id, so a cancel frame can end one. */
  readonly #calls = new Map<number, AsyncIterator<unknown>>();
  readonly #cancelled = new WeakSet<AsyncIterator<unknown>>();
  #closed = false;

  /**
   * @param socket the transport's socket
   * @param server the server this connection belongs to
   */
  constructor(socket: SocketLike, readonly server: Server) {
    this.#socket = socket;
    this.sync = new SyncStreams(server.config.syncStateLimit);
  }

  /** True until the connection closes; nothing is sent after that. */
  get isOpen(): boolean {
    return !this.#closed && this.#socket.readyState === OPEN;
  }

  /** Bytes queued on the socket and not yet sent (for backpressure). */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /**
   * Resolves once at most `limit` bytes are queued for this connection, or it
   * has closed. WebSocket has no drain event, so this polls; it is only
   * reached when a client is already behind.
   */
  async drained(limit: number): Promise<void> {
    while (this.isOpen && this.#socket.bufferedAmount > limit) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  /**
   * Sends a message to this connection. A SYNC message is sent as a delta
   * against the state this connection holds for its event.
   *
   * @returns false if the connection is closed
   */
  send(message: OutgoingMessage | Uint8Array): boolean {
    if (message instanceof Uint8Array) return this.sendFrame(message);
    if (!this.isOpen) return false;
    const type = message.type ?? EventType.MESSAGE;
    if (type === EventType.SYNC) {
      return this.sendSync(message.event, encodeSyncState(message.payload));
    }
    return this.sendJson(type, message.event, message.payload);
  }

  /**
   * Sends a SYNC state (UTF-8 JSON bytes) as a delta against the state this
   * connection holds for `event`.
   *
   * @returns false if the connection is closed
   */
  sendSync(event: string, state: Uint8Array): boolean {
    if (!this.isOpen) return false;
    const delta = this.sync.next(eventStream(event), state);
    return this.sendBytes({ type: EventType.SYNC, event }, delta);
  }

  /**
   * @internal Encodes a JSON frame in the server's reusable buffer and sends
   * it (the socket copies on send, so no per-frame allocation is needed).
   *
   * @throws {ProtocolError} when the frame cannot be encoded
   */
  sendJson(
    type: number,
    event: string,
    value: unknown,
    requestId?: number,
    end?: boolean,
  ): boolean {
    if (!this.isOpen) return false;
    return this.#write(this.server.encoder.json(type, event, value, requestId, end));
  }

  /** @internal Like {@linkcode sendJson}, around raw payload bytes. */
  sendBytes(init: FrameInit, payload?: Uint8Array): boolean {
    if (!this.isOpen) return false;
    return this.#write(this.server.encoder.frame(init, payload));
  }

  /** Sends an encoded frame; false (and nothing sent) if the socket is not open. */
  sendFrame(frame: Uint8Array): boolean {
    if (!this.isOpen) return false;
    return this.#write(frame);
  }

  #write(frame: Uint8Array): boolean {
    try {
      this.#socket.send(frame);
      return true;
    } catch {
      // The socket closed between the check and the send.
      return false;
    }
  }

  /** Closes the connection with a WebSocket close code and reason. */
  close(code: number = CloseCode.NORMAL, reason = ""): void {
    if (this.#closed) return;
    try {
      this.#socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  /**
   * @internal Registers a running plug generator so disconnect (or, for a
   * correlated call, a cancel frame) can end it.
   */
  track(generator: AsyncIterator<unknown>, requestId?: number): void {
    this.#running.add(generator);
    if (requestId !== undefined) this.#calls.set(requestId, generator);
  }

  /** @internal Forgets a finished generator. */
  untrack(generator: AsyncIterator<unknown>, requestId?: number): void {
    this.#running.delete(generator);
    if (requestId !== undefined && this.#calls.get(requestId) === generator) {
      this.#calls.delete(requestId);
    }
  }

  /**
   * @internal Ends call `requestId` at its plug's next yield, running its
   * finally blocks; nothing more is sent for it.
   *
   * @returns false if no such call is running
   */
  cancel(requestId: number): boolean {
    const generator = this.#calls.get(requestId);
    if (!generator) return false;
    this.#cancelled.add(generator);
    this.#calls.delete(requestId);
    generator.return?.(undefined)?.catch?.(() => {});
    return true;
  }

  /** @internal True if the call run by `generator` was cancelled. */
  cancelled(generator: AsyncIterator<unknown>): boolean {
    return this.#cancelled.has(generator);
  }

  /** @internal Called once by the server when the socket has closed. */
  dispose(): void {
    this.#closed = true;
    this.sync.clear();
    for (const generator of this.#running) {
      // return() runs the plug's finally blocks; errors there are the plug's.
      generator.return?.(undefined)?.catch?.(() => {});
    }
    this.#running.clear();
    this.#calls.clear();
  }
}

const utf8 = new TextEncoder();

/** The state a SYNC frame updates: the UTF-8 JSON of the payload. */
export function encodeSyncState(payload: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(payload) ?? "null");
}
