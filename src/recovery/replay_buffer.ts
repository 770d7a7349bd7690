/**
 * The frames one session sent and the client has not acknowledged, numbered
 * 1, 2, 3… in sending order, bounded in bytes. A resume replays what came
 * after the client's last frame, with each SYNC stream squeezed into one
 * delta against the state the client holds; see docs/PROTOCOL.md.
 *
 * @example
 * ```ts
 * import { ReplayBuffer } from "./replay_buffer.ts";
 * const buffer = new ReplayBuffer(1_000_000);
 * buffer.record(new Uint8Array([1, 2, 3]));
 * buffer.record(new Uint8Array([4, 5, 6]));
 * console.log(buffer.seq, buffer.resume(1)?.length); // 2 1
 * ```
 * @module
 */

import { createDelta } from "../protocol/delta.ts";
import { EventType, FLAG_END } from "../protocol/event_type.ts";
import { encodeFrame, peekRequestId } from "../protocol/frame.ts";
import { requestStream } from "../server/sync_streams.ts";

/** What a SYNC frame updated: the stream key, how to frame it again, and the whole new state. */
export interface SyncNote {
  stream: string;
  event: string;
  requestId?: number;
  state: Uint8Array;
}

/** A frame to send again on resume, with its SYNC note (so it is recorded as one again). */
export interface ReplayFrame {
  frame: Uint8Array;
  sync?: SyncNote;
}

interface Entry extends ReplayFrame {
  seq: number;
  /** What the entry holds: the frame, plus the state of a SYNC (only entries keep old states). */
  bytes: number;
}

const EMPTY = new Uint8Array(0);
/** Where a trimmed entry's END flag sits: the type byte follows the u32 length. */
const TYPE_OFFSET = 4;

/** Unacknowledged frames of one session. */
export class ReplayBuffer {
  /** Most bytes held; past it the buffer gives up (`overflowed`) and holds nothing. */
  readonly maxBytes: number;
  #entries: Entry[] = [];
  #seq = 0;
  #acked = 0;
  #bytes = 0;
  #overflowed = false;
  /** The SYNC state of each stream as of frame `acked`: what resumed deltas start from. */
  #bases = new Map<string, Uint8Array>();
  /** Bases changed by the last `ack`, for a mirror to write. */
  #changed = new Map<string, Uint8Array>();

  /** @param maxBytes `recovery.maxBytes` */
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** The number of the last frame recorded. */
  get seq(): number {
    return this.#seq;
  }
  /** The last frame number the client acknowledged. */
  get acked(): number {
    return this.#acked;
  }
  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }
  /** How many frames are held. */
  get size(): number {
    return this.#entries.length;
  }
  /** True once more than `maxBytes` waited: a resume is no longer possible. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /**
   * Numbers and keeps a frame.
   *
   * @param frame copied unless `owned` (the hub reuses its encoding buffer)
   * @returns false once the buffer has overflowed (then nothing more is kept)
   */
  record(frame: Uint8Array, sync?: SyncNote, owned = false): boolean {
    this.#seq++;
    if (this.#overflowed) return false;
    const bytes = frame.length + (sync ? sync.state.length : 0);
    this.#bytes += bytes;
    if (this.#bytes > this.maxBytes) {
      this.clear();
      this.#overflowed = true;
      return false;
    }
    this.#entries.push({ seq: this.#seq, frame: owned ? frame : frame.slice(), sync, bytes });
    return true;
  }

  /**
   * The client processed every frame up to `seq`: they are dropped, and
   * their SYNC states become the bases of later resumes.
   *
   * @returns false for a number outside what was sent and not yet acknowledged
   */
  ack(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < this.#acked || seq > this.#seq) return false;
    this.#changed = new Map();
    let cut = 0;
    while (cut < this.#entries.length && this.#entries[cut].seq <= seq) {
      this.#forget(this.#entries[cut++]);
    }
    this.#entries = cut === this.#entries.length ? [] : this.#entries.slice(cut);
    this.#acked = seq;
    return true;
  }

  /**
   * What a client that processed frames up to `seq` missed, in order, each
   * SYNC stream as one delta against the state the client holds (placed
   * where that stream's last SYNC was). The buffer then starts again after
   * `seq`: the caller records the returned frames as they are sent again.
   *
   * @returns undefined when `seq` is not between the last acknowledgement
   *   and the last frame sent, or the buffer overflowed
   */
  resume(seq: number): ReplayFrame[] | undefined {
    if (this.#overflowed || !Number.isSafeInteger(seq) || seq < this.#acked || seq > this.#seq) {
      return undefined;
    }
    const held = this.#entries.filter((entry) => entry.seq <= seq);
    for (const entry of held) this.#forget(entry);
    const missed = this.#entries.slice(held.length);
    const last = new Map<string, Entry>();
    for (const entry of missed) if (entry.sync) last.set(entry.sync.stream, entry);
    const out: ReplayFrame[] = [];
    for (const entry of missed) {
      const sync = entry.sync;
      if (!sync) {
        out.push({ frame: entry.frame });
      } else if (last.get(sync.stream) === entry) {
        const base = this.#bases.get(sync.stream) ?? EMPTY;
        const { event, requestId } = sync;
        const frame = encodeFrame(
          { type: EventType.SYNC, event, requestId },
          createDelta(base, sync.state),
        );
        out.push({ frame, sync });
      }
    }
    this.#entries = [];
    this.#bytes = 0;
    this.#seq = seq;
    this.#acked = seq;
    return out;
  }

  /** The SYNC state of each stream as of frame `acked`. */
  get bases(): ReadonlyMap<string, Uint8Array> {
    return this.#bases;
  }

  /** The SYNC bases the last `ack` moved, by stream. */
  get changedBases(): Map<string, Uint8Array> {
    return this.#changed;
  }

  /**
   * Takes over a session another node kept: its frames after `acked`, the
   * SYNC bases as of `acked`.
   *
   * @returns the latest SYNC state of each stream, which the connection's
   *   SYNC streams continue from
   */
  load(
    acked: number,
    seq: number,
    frames: (ReplayFrame & { seq: number })[],
    bases: ReadonlyMap<string, Uint8Array>,
  ): Map<string, Uint8Array> {
    this.clear();
    this.#acked = acked;
    this.#seq = seq;
    this.#bases = new Map(bases);
    const latest = new Map(bases);
    for (const { seq, frame, sync } of frames) {
      const bytes = frame.length + (sync ? sync.state.length : 0);
      this.#entries.push({ seq, frame, sync, bytes });
      this.#bytes += bytes;
      if (sync) latest.set(sync.stream, sync.state);
    }
    return latest;
  }

  /** Drops everything (the session ended or overflowed). */
  clear(): void {
    this.#entries = [];
    this.#bases.clear();
    this.#bytes = 0;
  }

  /** An entry leaves the buffer: its SYNC state is the client's now; an END ends its call's stream. */
  #forget(entry: Entry): void {
    this.#bytes -= entry.bytes;
    if (entry.sync) {
      this.#bases.set(entry.sync.stream, entry.sync.state);
      this.#changed.set(entry.sync.stream, entry.sync.state);
    } else if (entry.frame[TYPE_OFFSET] & FLAG_END) {
      this.#bases.delete(requestStream(peekRequestId(entry.frame)!));
    }
  }
}
