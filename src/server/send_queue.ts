/**
 * What waits to reach one client: the frames on its socket, and with
 * `ssocket.pack.v1` the frames batched in this turn. It measures what that
 * holds in memory (a flood of tiny replies costs far more than its bytes),
 * refuses a frame that would pass the connection's cap, and lets plugs wait
 * for a slow client to drain. {@linkcode Connection} owns one per
 * connection and decides what a refusal means (it sheds the client).
 *
 * @example
 * ```ts ignore
 * const queue = new SendQueue(socket, limit, () => connection.isOpen);
 * if (!queue.write(frame)) connection.shed();
 * ```
 * @module
 */

import { FrameBatch } from "../protocol/pack.ts";
import type { SocketLike } from "./connection.ts";
import type { Flushable, Outbox } from "./outbox.ts";

/** How often a suspended plug checks whether a slow client's queue has drained. */
const DRAIN_POLL_MS = 10;

/** One connection's outgoing frames; see the module doc. */
export class SendQueue implements Flushable {
  /** Undefined while a recovery session waits for its client to come back. */
  socket: SocketLike | undefined;
  /** Most bytes held at once (`limits.maxBufferedBytes`; 0 for no limit), read at each write. */
  readonly #limit: { readonly maxBufferedBytes: number };
  readonly #isOpen: () => boolean;
  /** `heldBytes` when last read, and what was written since: see `overLimit()`. */
  #lastHeld = 0;
  #sinceRead = 0;
  /** Plugs waiting in `drained()`, and the one timer that checks for all of them. */
  readonly #drainWaiters: { limit: number; resolve: () => void }[] = [];
  #drainTimer?: ReturnType<typeof setInterval>;
  /** With `ssocket.pack.v1`: where this turn's frames wait, and who flushes them. */
  #batch: FrameBatch | undefined;
  #outbox: Outbox | undefined;
  /** True while this queue is in the outbox for the current turn. */
  #queued = false;

  /**
   * @param socket the transport's socket (none while a session waits)
   * @param limit the cap on what is held (`limits.maxBufferedBytes`; 0: none)
   * @param isOpen whether the connection is still open (nothing is sent after)
   * @param outbox given when the client negotiated packing
   */
  constructor(
    socket: SocketLike | undefined,
    limit: { readonly maxBufferedBytes: number },
    isOpen: () => boolean,
    outbox?: Outbox,
  ) {
    this.socket = socket;
    this.#limit = limit;
    this.#isOpen = isOpen;
    this.pack(outbox);
  }

  /** True when frames are packed (see `protocol/pack.ts`). */
  get packs(): boolean {
    return this.#batch !== undefined;
  }

  /**
   * Packs from now on through `outbox` (or stops packing without one): a
   * resumed session's new socket negotiated packing afresh, and frames
   * batched for the old one are in the replay.
   */
  pack(outbox: Outbox | undefined): void {
    this.#outbox = outbox;
    this.#batch = outbox ? new FrameBatch() : undefined;
    this.#queued = false;
  }

  /** Bytes queued on the socket or batched for it, not yet sent; 0 without a socket. */
  get bufferedAmount(): number {
    return (this.socket?.bufferedAmount ?? 0) + (this.#batch?.length ?? 0);
  }

  /**
   * The memory what is queued holds: `bufferedAmount` plus, where the
   * transport counts its queued messages, what each costs beyond its bytes
   * (ws: ~440 bytes of heap for a 33-byte frame).
   */
  get heldBytes(): number {
    return this.#socketHeld() + (this.#batch?.length ?? 0);
  }

  /**
   * True when more than `limit` bytes are held (`heldBytes`). The socket's
   * `bufferedAmount` is an op call in Deno; the queue only shrinks between
   * writes, so while what it held at the last read plus what was written
   * since stays within `limit`, the answer is no without asking.
   */
  overLimit(limit: number): boolean {
    if (this.#lastHeld + this.#sinceRead <= limit) return false;
    this.#lastHeld = this.heldBytes;
    this.#sinceRead = 0;
    return this.#lastHeld > limit;
  }

  /**
   * Resolves once at most `limit` bytes are held, or the connection has
   * closed. WebSocket has no drain event, so this polls; it is only reached
   * when a client is already behind. One poll serves every plug waiting on
   * the connection: a client that floods calls and never reads keeps
   * `maxCallsPerConnection` of them waiting here, and a timer each (25,600 a
   * second at the default cap) grew the heap by tens of MiB.
   */
  drained(limit: number): Promise<void> {
    if (!this.#isOpen() || this.heldBytes <= limit) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#drainWaiters.push({ limit, resolve });
    this.#drainTimer ??= setInterval(() => this.releaseDrained(), DRAIN_POLL_MS);
    return promise;
  }

  /** Lets the plugs waiting in `drained()` go on whose limit is met (all, once closed). */
  releaseDrained(): void {
    const held = this.#isOpen() ? this.heldBytes : 0;
    const waiters = this.#drainWaiters;
    let kept = 0;
    for (const waiter of waiters) {
      if (held <= waiter.limit) waiter.resolve();
      else waiters[kept++] = waiter;
    }
    waiters.length = kept;
    if (kept > 0) return;
    clearInterval(this.#drainTimer);
    this.#drainTimer = undefined;
  }

  /**
   * Queues an encoded frame. On a packing connection the frame is copied
   * into this turn's batch (so `frame` may be a reused buffer) and goes out
   * at the end of the turn.
   *
   * @returns "sent"; "closed" when there is no socket to write to; "over"
   * (nothing written) when it would take what is held past the cap, which
   * a frame alone never does on an empty queue
   */
  write(frame: Uint8Array): "sent" | "closed" | "over" {
    if (this.socket === undefined) return "closed";
    if (this.#overCap(frame.length)) return "over";
    const sent = this.#batch !== undefined ? this.#pack(this.#batch, frame) : this.#send(frame);
    return sent ? "sent" : "closed";
  }

  /** Sends the frames batched in this turn, as one message; the outbox calls it. */
  flushTurn(): void {
    this.#queued = false;
    this.flush();
  }

  /** Sends what is batched now (before a close frame, or when a batch is full). */
  flush(): void {
    const batch = this.#batch;
    if (batch === undefined || batch.count === 0) return;
    if (this.#isOpen()) this.#send(batch.bytes());
    batch.clear();
  }

  /** Frees what is batched and releases every waiting plug (the connection closed). */
  dispose(): void {
    this.socket = undefined;
    this.#batch?.clear(0);
    this.releaseDrained();
  }

  #pack(batch: FrameBatch, frame: Uint8Array): boolean {
    if (!batch.append(frame)) {
      // Past the per-message cap: what waits goes now, in order, and this
      // frame starts the next batch, or goes alone if it is over the cap.
      this.flush();
      if (!batch.append(frame)) return this.#send(frame);
    }
    if (!this.#queued) {
      this.#queued = true;
      this.#outbox!.add(this);
    }
    return true;
  }

  /**
   * True when `bytes` more would take a non-empty queue past the cap. Like
   * `overLimit`, it asks the socket only when the estimate says it might.
   */
  #overCap(bytes: number): boolean {
    const max = this.#limit.maxBufferedBytes;
    if (max === 0) return false;
    const cost = bytes + (this.socket?.messageCost ?? 0);
    const batched = this.#batch?.length ?? 0;
    if (this.#lastHeld + this.#sinceRead + batched + cost <= max) return false;
    this.#lastHeld = this.#socketHeld();
    this.#sinceRead = 0;
    const queued = this.#lastHeld + batched;
    return queued > 0 && queued + cost > max;
  }

  /** What the socket's queue holds: its bytes, and its messages' cost where it counts them. */
  #socketHeld(): number {
    const socket = this.socket;
    if (socket === undefined) return 0;
    return socket.bufferedAmount + (socket.queuedMessages ?? 0) * (socket.messageCost ?? 0);
  }

  #send(frame: Uint8Array): boolean {
    const socket = this.socket;
    if (socket === undefined) return false;
    this.#sinceRead += frame.length + (socket.messageCost ?? 0);
    try {
      socket.send(frame);
      return true;
    } catch {
      // The socket closed between the check and the send.
      return false;
    }
  }
}
