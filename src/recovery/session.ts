/**
 * One connection's recovery session: the secret that resumes it, who it
 * belongs to, and the frames its client has not acknowledged. The hub
 * sends every numbered frame of the connection through
 * {@linkcode Session.send}, which keeps it (bounded by `recovery.maxBytes`)
 * and writes it to the socket when there is one.
 *
 * @example
 * ```ts ignore
 * const session = new Session(connection, { maxBytes: 1_048_576, onOverflow, onEnd });
 * const token = session.issueToken(); // sent in the $session frame
 * session.send(frame); // numbered, kept, written
 * ```
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import type { Identity } from "../plugs/api.ts";
import type { ResetReason } from "../protocol/recovery.ts";
import type { Connection } from "../server/connection.ts";
import { ReplayBuffer, type SyncNote } from "./replay_buffer.ts";
import type { MirroredFrame } from "./mirror.ts";

/** Bytes of randomness in a session secret: 256 bits, never guessed. */
const SECRET_BYTES = 32;

/** What a session calls back into. */
export interface SessionOptions {
  /** `recovery.maxBytes`. */
  maxBytes: number;
  /** Who the connection is, when authentication says; a resume must be the same. */
  identity?: Identity;
  /** The buffer overflowed: the session cannot be resumed any more. */
  onOverflow(session: Session): void;
  /** The session must end now (closed by a plug while its client was away). */
  onEnd(session: Session): void;
  /** A frame was kept: a cluster mirrors it. */
  onRecord?(frame: MirroredFrame): void;
  /** Its rooms changed: a cluster writes them (and the data) down. */
  onChange?(session: Session): void;
}

/** A connection's recovery state. */
export class Session {
  /** The connection it keeps (same id after a resume). */
  readonly connection: Connection;
  /** Frames not yet acknowledged. */
  readonly buffer: ReplayBuffer;
  /** The identity a resume must present, as comparable text. */
  readonly identityKey: string;
  /** Why it can no longer be resumed, once it cannot. */
  lost?: ResetReason;
  /** Ends the session when the client stays away longer than the window. */
  timer?: ReturnType<typeof setTimeout>;
  /** When the client dropped (ms since the epoch), while it is away. */
  droppedAt?: number;
  /** True when it was taken over from another node (its plugs did not come along). */
  moved = false;
  #secretHash?: Uint8Array;
  readonly #options: SessionOptions;

  constructor(connection: Connection, options: SessionOptions) {
    this.connection = connection;
    this.buffer = new ReplayBuffer(options.maxBytes);
    this.identityKey = identityKey(options.identity);
    this.#options = options;
  }

  /** A new secret (the previous one stops working); returns the token the client presents. */
  issueToken(): string {
    const secret = base64url(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
    this.#secretHash = sha256(secret);
    return `${this.connection.id}.${secret}`;
  }

  /** The hash of the current secret, for a store shared between nodes. */
  get secretHash(): Uint8Array | undefined {
    return this.#secretHash;
  }

  /**
   * True if `secret` is the current one; it is then used up, so the same
   * token can never resume twice. Compared in constant time.
   */
  consume(secret: string): boolean {
    const expected = this.#secretHash;
    if (expected === undefined) return false;
    if (!timingSafeEqual(sha256(secret), expected)) return false;
    this.#secretHash = undefined;
    return true;
  }

  /** Numbers and keeps `frame`, and writes it if the client is connected. Always true. */
  send(frame: Uint8Array, sync?: SyncNote, owned = false): boolean {
    if (this.buffer.record(frame, sync, owned)) {
      this.#options.onRecord?.({ seq: this.buffer.seq, frame, sync });
    } else if (this.lost === undefined) {
      this.lost = "overflow";
      this.#options.onOverflow(this);
    }
    this.connection.write(frame);
    return true;
  }

  /** Its rooms changed. */
  changed(): void {
    this.#options.onChange?.(this);
  }

  /** Ends the session now. */
  end(): void {
    this.#options.onEnd(this);
  }
}

/** SHA-256 of a secret; only hashes are kept, so a memory or Redis dump resumes nothing. */
export function sha256(secret: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(secret).digest());
}

/**
 * The identity as text that does not change when a token is refreshed:
 * sorted claims without the time-bound ones (`exp`, `iat`, `nbf`, `jti`).
 */
export function identityKey(identity: Identity | undefined): string {
  if (identity === undefined) return "";
  const stable = Object.keys(identity).filter((key) => !TIME_CLAIMS.has(key)).sort();
  return JSON.stringify(stable.map((key) => [key, identity[key]]));
}

const TIME_CLAIMS = new Set(["exp", "iat", "nbf", "jti"]);

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
