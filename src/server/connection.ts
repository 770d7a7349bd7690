/**
 * One WebSocket connection as the runtime sees it: the socket, the calls
 * running for it, its SYNC streams and its rooms. Plugs never see this class;
 * they get `connection.api`, a {@linkcode Client} that exposes only the plug
 * API. Outgoing frames are built by the hub (the one send path) and written
 * here with {@linkcode Connection.write}.
 *
 * @example
 * ```ts ignore
 * const connection = new Connection(socket, runtime);
 * connection.write(frame);
 * ```
 * @module
 */

import { CloseCode } from "../protocol/errors.ts";
import type { Client, Identity } from "../plugs/api.ts";
import { LegacySyncStreams } from "./legacy_sync_streams.ts";
import { SyncStreams } from "./sync_streams.ts";
import type { Session } from "../recovery/session.ts";

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

const OPEN = 1;
/** How often a suspended plug checks whether a slow client's queue has drained. */
const DRAIN_POLL_MS = 10;

/** A live connection and everything the runtime tracks for it. */
export class Connection {
  /** Stable id, unique across nodes (a random UUID). */
  readonly id: string;
  /**
   * SYNC state of this connection's streams: binary-delta bases, or for a
   * legacy connection (no ssocket subprotocol) the original frames.
   */
  readonly sync: SyncStreams | LegacySyncStreams;
  /** Rooms this connection is in (the hub keeps the reverse map). */
  readonly rooms: Set<string> = new Set();
  /** What plugs see of this connection; set by the runtime right after construction. */
  api!: Client;
  /** Who connected, from authentication; plugs read it through `api.identity`. */
  identity?: Identity;
  /** Its recovery session, when the client negotiated `ssocket.recovery.v1`. */
  session?: Session;
  /** True once the server closed it on purpose: such a connection is not kept for a resume. */
  closedByServer = false;
  /** Undefined while a recovery session waits for its client to come back. */
  #socket: SocketLike | undefined;
  readonly #running = new Set<AsyncIterator<unknown>>();
  /** Running correlated calls by request id, so a cancel frame can end one. */
  readonly #calls = new Map<number, AsyncIterator<unknown>>();
  readonly #cancelled = new WeakSet<AsyncIterator<unknown>>();
  #closed = false;
  /** Closes the connection when its token expires (see auth.ts). */
  #expiry?: ReturnType<typeof setTimeout>;

  /**
   * @param socket the transport's socket
   * @param syncStateLimit most bytes of SYNC state kept for this connection
   * @param legacy the client speaks the original serverless-sockets format
   * @param id a session's id, for a connection restored from another node; a new UUID otherwise
   */
  constructor(
    socket: SocketLike | undefined,
    syncStateLimit: number,
    legacy = false,
    id?: string,
  ) {
    this.id = id ?? crypto.randomUUID();
    this.#socket = socket;
    this.sync = legacy ? new LegacySyncStreams(syncStateLimit) : new SyncStreams(syncStateLimit);
  }

  /** True when the client did not negotiate ssocket's subprotocol (see `protocol/subprotocol.ts`). */
  get legacy(): boolean {
    return this.sync instanceof LegacySyncStreams;
  }

  /**
   * True until the connection closes; nothing is sent after that. A session
   * waiting for its client stays open: what is sent to it is kept for replay.
   */
  get isOpen(): boolean {
    return !this.#closed && (this.#socket === undefined || this.#socket.readyState === OPEN);
  }

  /** True while a recovery session waits for its client (no socket). */
  get detached(): boolean {
    return this.#socket === undefined && !this.#closed;
  }

  /** Bytes queued on the socket and not yet sent (for backpressure); 0 without a socket. */
  get bufferedAmount(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  /** True if `socket` is the one this connection writes to (not one a resume replaced). */
  holds(socket: SocketLike): boolean {
    return this.#socket === socket;
  }

  /** The client dropped; its session keeps the connection until it resumes or expires. */
  detach(): void {
    this.#socket = undefined;
    this.setExpiryTimer(undefined);
  }

  /**
   * A resume brings a new socket (or, when the session moves to another
   * node, none). A socket still held (its loss not yet noticed) is closed
   * with 4002 and returned.
   */
  attach(socket: SocketLike | undefined): SocketLike | undefined {
    const old = this.#socket;
    this.#socket = socket;
    if (old !== undefined && old !== socket) {
      try {
        old.close(CloseCode.SESSION_RESUMED, "Session resumed on another connection");
      } catch {
        // Already closing.
      }
    }
    return old;
  }

  /**
   * Resolves once at most `limit` bytes are queued for this connection, or it
   * has closed. WebSocket has no drain event, so this polls; it is only
   * reached when a client is already behind.
   */
  async drained(limit: number): Promise<void> {
    while (this.isOpen && this.bufferedAmount > limit) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  /** Writes an encoded frame; false (and nothing sent) if the socket is not open. */
  write(frame: Uint8Array): boolean {
    if (!this.isOpen || this.#socket === undefined) return false;
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
    this.closedByServer = true;
    if (this.#socket === undefined) {
      // No socket will report a close: the session ends here.
      this.session?.end();
      return;
    }
    try {
      this.#socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  /**
   * Registers a running plug generator so disconnect (or, for a correlated
   * call, a cancel frame) can end it.
   */
  track(generator: AsyncIterator<unknown>, requestId?: number): void {
    this.#running.add(generator);
    if (requestId !== undefined) this.#calls.set(requestId, generator);
  }

  /** Forgets a finished generator. */
  untrack(generator: AsyncIterator<unknown>, requestId?: number): void {
    this.#running.delete(generator);
    if (requestId !== undefined && this.#calls.get(requestId) === generator) {
      this.#calls.delete(requestId);
    }
  }

  /**
   * Ends call `requestId` at its plug's next yield, running its finally
   * blocks; nothing more is sent for it.
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

  /** True if the call run by `generator` was cancelled. */
  cancelled(generator: AsyncIterator<unknown>): boolean {
    return this.#cancelled.has(generator);
  }

  /** Replaces the token expiry timer; the old one is cleared, and dispose clears the last. */
  setExpiryTimer(timer: ReturnType<typeof setTimeout> | undefined): void {
    clearTimeout(this.#expiry);
    this.#expiry = timer;
  }

  /** Called once when the socket has closed: ends running plugs, frees SYNC state. */
  dispose(): void {
    this.#closed = true;
    this.#socket = undefined;
    clearTimeout(this.#expiry);
    this.sync.clear();
    for (const generator of this.#running) {
      // return() runs the plug's finally blocks; errors there are the plug's.
      generator.return?.(undefined)?.catch?.(() => {});
    }
    this.#running.clear();
    this.#calls.clear();
  }
}
