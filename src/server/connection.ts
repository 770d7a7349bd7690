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
import type { Client } from "../plugs/api.ts";
import { SyncStreams } from "./sync_streams.ts";

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
  /** Stops reading from the peer (transports that can; see `limits.maxBufferedBytes`). */
  pause?(): void;
  /** Reads from the peer again after `pause`. */
  resume?(): void;
  /** Drops the connection at once, freeing what is queued for it. */
  terminate?(): void;
}

/** What a connection enforces on its outgoing queue. */
export interface OutgoingLimit {
  /** Most bytes queued at once; 0 for no limit. */
  maxBufferedBytes: number;
  /** Called once when the peer is closed for not reading. */
  onShed: () => void;
}

const OPEN = 1;
/** How often a suspended plug checks whether a slow client's queue has drained. */
const DRAIN_POLL_MS = 10;
/**
 * How long a client closed for not reading gets to take its close frame
 * (queued behind everything else) before the socket is dropped and its
 * queue freed.
 */
const SHED_GRACE_MS = 1000;
const NO_LIMIT: OutgoingLimit = { maxBufferedBytes: 0, onShed: () => {} };

/** A live connection and everything the runtime tracks for it. */
export class Connection {
  /** Stable id, unique across nodes (a random UUID). */
  readonly id: string = crypto.randomUUID();
  /** SYNC state of this connection's streams. */
  readonly sync: SyncStreams;
  /** Rooms this connection is in (the hub keeps the reverse map). */
  readonly rooms: Set<string> = new Set();
  /** What plugs see of this connection; set by the runtime right after construction. */
  api!: Client;
  readonly #socket: SocketLike;
  readonly #running = new Set<AsyncIterator<unknown>>();
  /** Running correlated calls by request id, so a cancel frame can end one. */
  readonly #calls = new Map<number, AsyncIterator<unknown>>();
  readonly #cancelled = new WeakSet<AsyncIterator<unknown>>();
  readonly #limit: OutgoingLimit;
  #closed = false;
  #shedTimer?: ReturnType<typeof setTimeout>;

  /**
   * @param socket the transport's socket
   * @param syncStateLimit most bytes of SYNC state kept for this connection
   * @param limit the cap on its outgoing queue
   */
  constructor(socket: SocketLike, syncStateLimit: number, limit: OutgoingLimit = NO_LIMIT) {
    this.#socket = socket;
    this.sync = new SyncStreams(syncStateLimit);
    this.#limit = limit;
  }

  /** The transport's socket, for the intake (pause and resume). */
  get socket(): SocketLike {
    return this.#socket;
  }

  /** Plug runs in progress for this connection. */
  get runningCalls(): number {
    return this.#running.size;
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
   * Writes an encoded frame; false (and nothing sent) if the socket is not
   * open. A frame that would take the queue past `maxBufferedBytes` is not
   * written and the connection is shed: whatever sends (a reply, a
   * broadcast, `client.send`), one client that does not read holds at most
   * that much (or one frame, when its queue was empty).
   */
  write(frame: Uint8Array): boolean {
    if (!this.isOpen) return false;
    const max = this.#limit.maxBufferedBytes;
    if (max > 0) {
      const queued = this.#socket.bufferedAmount;
      if (queued > 0 && queued + frame.length > max) {
        this.shed();
        return false;
      }
    }
    try {
      this.#socket.send(frame);
      return true;
    } catch {
      // The socket closed between the check and the send.
      return false;
    }
  }

  /**
   * Closes a client that does not read with 1013, and drops the socket
   * after a grace period if the close frame cannot get through.
   */
  shed(): void {
    if (this.#closed || this.#shedTimer !== undefined) return;
    this.#limit.onShed();
    this.drop(CloseCode.TRY_AGAIN_LATER, "Client does not read what is sent to it");
  }

  /**
   * Closes with `code` and drops the socket after a grace period: a client
   * closed for abuse may neither read its close frame nor stop sending, and
   * the server should not keep reading (and discarding) for it.
   */
  drop(code: number, reason: string): void {
    if (this.#closed || this.#shedTimer !== undefined) return;
    this.close(code, reason);
    // Nothing more it sends is wanted: leave it in the kernel's buffers
    // (which push back on the sender) instead of reading and discarding it.
    this.#socket.pause?.();
    this.#shedTimer = setTimeout(() => this.#socket.terminate?.(), SHED_GRACE_MS);
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

  /** Called once when the socket has closed: ends running plugs, frees SYNC state. */
  dispose(): void {
    this.#closed = true;
    clearTimeout(this.#shedTimer);
    this.sync.clear();
    for (const generator of this.#running) {
      // return() runs the plug's finally blocks; errors there are the plug's.
      generator.return?.(undefined)?.catch?.(() => {});
    }
    this.#running.clear();
    this.#calls.clear();
  }
}
