/**
 * One WebSocket connection as the runtime sees it: the socket, the calls
 * running for it (and their input), the calls the server made to it, its
 * SYNC streams and its rooms. Plugs never see this class;
 * they get `connection.api`, a {@linkcode Client} that exposes only the plug
 * API. Outgoing frames are built by the hub (the one send path) and written
 * here with {@linkcode Connection.write}, into the connection's
 * {@linkcode SendQueue}.
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
import type { Outbox } from "./outbox.ts";
import { LegacySyncStreams } from "./legacy_sync_streams.ts";
import { SERVER_CALL_BIT } from "../protocol/payload.ts";
import type { Call } from "../call/call.ts";
import { ClientErrorCode, ConnectionError } from "../call/errors.ts";
import { CallTable } from "./call_table.ts";
import { SendQueue } from "./send_queue.ts";
import { SyncStreams } from "./sync_streams.ts";
import type { Session } from "../recovery/session.ts";

/** What a connection needs from the transport's socket; a WebSocket fits. */
export interface SocketLike {
  /** 1 while open, as `WebSocket.OPEN`. */
  readonly readyState: number;
  /** Bytes queued but not yet sent. */
  readonly bufferedAmount: number;
  /**
   * Messages queued and not yet handed to the kernel, for transports that
   * count them (ws); each holds `messageCost` bytes of memory besides its own.
   */
  readonly queuedMessages?: number;
  /**
   * Bytes of memory one queued message holds beyond its payload (the
   * transport's bookkeeping: buffers, write requests); with `queuedMessages`.
   */
  readonly messageCost?: number;
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
/** The last id of the server's half of the request-id space, before it wraps. */
const MAX_SERVER_CALL_ID = 0xffff_ffff;
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
  /** Plug runs in progress for this connection, counted by dispatch (`limits.maxCallsPerConnection`). */
  runningCalls = 0;
  /** Calls the server made to this client (`client.call`), by request id. */
  readonly outgoing: Map<number, Call<unknown>> = new Map();
  /** Its recovery session, when the client negotiated recovery. */
  session?: Session;
  /** True once the server closed it on purpose: such a connection is not kept for a resume. */
  closedByServer = false;
  /** The socket (undefined while a recovery session waits) and what waits to go out on it. */
  readonly #queue: SendQueue;
  /** Running plugs, open calls, cancels and streamed input. */
  readonly calls: CallTable;
  /** Input streamed into calls, created on the first INPUT frame or `message.input`. */
  #lastServerCallId = SERVER_CALL_BIT - 1;
  #closed = false;
  readonly #limit: OutgoingLimit;
  /** Drops the socket after `drop()` if the close frame cannot get through. */
  #shedTimer?: ReturnType<typeof setTimeout>;
  /** Closes the connection when its token expires (see auth.ts). */
  #expiry?: ReturnType<typeof setTimeout>;

  /**
   * @param socket the transport's socket
   * @param syncStateLimit most bytes of SYNC state kept for this connection
   * @param legacy the client speaks the original serverless-sockets format
   * @param outbox given when the client negotiated packing: frames written in
   *   one event-loop turn then go out packed, flushed by it
   * @param inputBufferLimit most bytes of unread input held per call
   * @param id a session's id, for a connection restored from another node; a new UUID otherwise
   * @param limit the cap on its outgoing queue (`limits.maxBufferedBytes`)
   */
  constructor(
    socket: SocketLike | undefined,
    syncStateLimit: number,
    legacy = false,
    outbox?: Outbox,
    inputBufferLimit = 1_048_576,
    id?: string,
    limit: OutgoingLimit = NO_LIMIT,
  ) {
    this.id = id ?? crypto.randomUUID();
    this.sync = legacy ? new LegacySyncStreams(syncStateLimit) : new SyncStreams(syncStateLimit);
    this.calls = new CallTable(inputBufferLimit);
    this.#limit = limit;
    this.#queue = new SendQueue(socket, limit, () => this.isOpen, outbox);
  }

  /** The transport's socket, for the intake (pause and resume); none while a session waits. */
  get socket(): SocketLike | undefined {
    return this.#queue.socket;
  }

  /** True when frames to this client are packed (see `protocol/pack.ts`). */
  get packs(): boolean {
    return this.#queue.packs;
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
    const socket = this.#queue.socket;
    return !this.#closed && (socket === undefined || socket.readyState === OPEN);
  }

  /** True while a recovery session waits for its client (no socket). */
  get detached(): boolean {
    return this.#queue.socket === undefined && !this.#closed;
  }

  /** Bytes queued on the socket or batched for it, not yet sent (backpressure); 0 without a socket. */
  get bufferedAmount(): number {
    return this.#queue.bufferedAmount;
  }

  /** The memory what is queued for this client holds; the limits measure this (see `SendQueue`). */
  get heldBytes(): number {
    return this.#queue.heldBytes;
  }

  /** True when more than `limit` bytes are held for this client (`heldBytes`), asked cheaply. */
  overLimit(limit: number): boolean {
    return this.#queue.overLimit(limit);
  }

  /** True if `socket` is the one this connection writes to (not one a resume replaced). */
  holds(socket: SocketLike): boolean {
    return this.#queue.socket === socket;
  }

  /** The client dropped; its session keeps the connection until it resumes or expires. */
  detach(): void {
    this.#queue.socket = undefined;
    this.setExpiryTimer(undefined);
  }

  /**
   * A resume brings a new socket (or, when the session moves to another
   * node, none). A socket still held (its loss not yet noticed) is closed
   * with 4002 and returned.
   */
  attach(socket: SocketLike | undefined, outbox?: Outbox): SocketLike | undefined {
    const old = this.#queue.socket;
    this.#queue.socket = socket;
    this.#queue.pack(outbox);
    if (old !== undefined && old !== socket) {
      try {
        old.close(CloseCode.SESSION_RESUMED, "Session resumed on another connection");
      } catch {
        // Already closing.
      }
    }
    return old;
  }

  /** Resolves once at most `limit` bytes are held for this client, or it has closed. */
  drained(limit: number): Promise<void> {
    return this.#queue.drained(limit);
  }

  /**
   * Writes an encoded frame; false (and nothing sent) if the socket is not
   * open. A frame that would take what is held past `maxBufferedBytes` (see
   * `heldBytes`) is not written and the client is shed: whatever sends (a
   * reply, a broadcast, `client.send`), one client that does not read holds
   * at most that much (or one frame, when its queue was empty).
   */
  write(frame: Uint8Array): boolean {
    if (!this.isOpen) return false;
    const written = this.#queue.write(frame);
    if (written === "over") this.shed();
    return written === "sent";
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
    const socket = this.#queue.socket;
    socket?.pause?.();
    this.#shedTimer = setTimeout(() => socket?.terminate?.(), SHED_GRACE_MS);
  }

  /** Closes the connection with a WebSocket close code and reason. */
  close(code: number = CloseCode.NORMAL, reason = ""): void {
    if (this.#closed) return;
    this.closedByServer = true;
    const socket = this.#queue.socket;
    if (socket === undefined) {
      // No socket will report a close: the session ends here.
      this.session?.end();
      return;
    }
    // What was written before close() goes out before the close frame.
    this.#queue.flush();
    try {
      socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  /** A request id in the server's half that no call from the server uses. */
  nextServerCallId(): number {
    do {
      this.#lastServerCallId = this.#lastServerCallId >= MAX_SERVER_CALL_ID
        ? SERVER_CALL_BIT
        : this.#lastServerCallId + 1;
    } while (this.outgoing.has(this.#lastServerCallId));
    return this.#lastServerCallId;
  }

  /** Replaces the token expiry timer; the old one is cleared, and dispose clears the last. */
  setExpiryTimer(timer: ReturnType<typeof setTimeout> | undefined): void {
    clearTimeout(this.#expiry);
    this.#expiry = timer;
  }

  /** Called once when the socket has closed: ends running plugs, frees SYNC state. */
  dispose(): void {
    this.#closed = true;
    clearTimeout(this.#expiry);
    clearTimeout(this.#shedTimer);
    this.#queue.dispose();
    this.sync.clear();
    this.calls.dispose();
    const lost = new ConnectionError(
      ClientErrorCode.CONNECTION_LOST,
      "The connection closed while the server's call was in flight",
    );
    for (const call of [...this.outgoing.values()]) call.fail(lost);
  }
}
