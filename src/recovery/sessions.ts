/**
 * The recovery sessions of one runtime: opened when a connection that
 * negotiated `ssocket.recovery.v1` is accepted, kept for `recovery.window`
 * seconds when its client drops without a goodbye, resumed when the client
 * comes back with the secret, and ended when the window passes. While a
 * session waits, its connection stays in the hub and in its rooms, so what
 * is sent to it (room broadcasts, `sendTo`, the yields of its running
 * plugs) is numbered and kept for the replay.
 *
 * @example
 * ```ts ignore
 * const sessions = new Sessions(runtime, { window: 120, maxBytes: 1_048_576 });
 * sessions.open(connection, identity); // sends $session
 * sessions.keep(connection, 1006); // true: kept for a resume
 * ```
 * @module
 */

import type { Identity } from "../plugs/api.ts";
import type { Outbox } from "../server/outbox.ts";
import { CloseCode } from "../protocol/errors.ts";
import {
  type ResetReason,
  type ResumeRequest,
  SESSION_EVENT,
  type SessionInfo,
  splitToken,
} from "../protocol/recovery.ts";
import type { Connection, SocketLike } from "../server/connection.ts";
import type { Hub } from "../server/hub.ts";
import type { Presence } from "../server/presence.ts";
import type { SessionMirror, Snapshot } from "./mirror.ts";
import { identityKey, Session, sha256 } from "./session.ts";
import { adopt } from "./takeover.ts";

/** What sessions need from the runtime. */
export interface SessionsHost {
  /** Where the `$session` frame and replays go out. */
  readonly hub: Hub;
  /** Rooms, for snapshots and for sessions that move between nodes. */
  readonly presence: Presence;
  /** Ends a connection for good: rooms left, plugs stopped, disconnect hooks run. */
  end(connection: Connection): void;
  /** A connection for a session taken over from another node, without a socket yet. */
  adopt(id: string, identity: Identity | undefined): Connection;
}

/** `recovery.window` (seconds) and `recovery.maxBytes`. */
export interface SessionLimits {
  window: number;
  maxBytes: number;
}

/** A session whose secret was presented and used up, and the last frame its client processed. */
export interface Claimed {
  session: Session;
  seq: number;
}

/** Every session of one runtime, by connection id. */
export class Sessions {
  readonly #host: SessionsHost;
  readonly #windowMs: number;
  readonly #maxBytes: number;
  readonly #sessions = new Map<string, Session>();
  /** Ids of sessions lost to overflow, until their window passes, so a resume says why. */
  readonly #overflowed = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #mirror?: SessionMirror;
  /** Keeps connected clients' sessions alive in the mirror. */
  readonly #refresh?: ReturnType<typeof setInterval>;
  #closing = false;

  /** @param mirror where a cluster keeps sessions, so another node can resume them */
  constructor(host: SessionsHost, limits: SessionLimits, mirror?: SessionMirror) {
    this.#host = host;
    this.#windowMs = limits.window * 1000;
    this.#maxBytes = limits.maxBytes;
    this.#mirror = mirror;
    if (mirror && this.#windowMs > 0) {
      mirror.onTakeOver((id) => this.#release(id));
      this.#refresh = setInterval(
        () => mirror.refresh([...this.#sessions.keys()]),
        this.#windowMs / 3,
      );
    }
  }

  /** How many sessions are waiting for their client. */
  get waiting(): number {
    let count = 0;
    for (const session of this.#sessions.values()) if (session.connection.detached) count++;
    return count;
  }

  /** The session of connection `id`, if there is one here. */
  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /**
   * Gives a new connection its session and sends the `$session` frame,
   * before anything else reaches the client.
   *
   * @param reason why the resume the client asked for was refused, if it asked
   */
  open(connection: Connection, identity: Identity | undefined, reason?: ResetReason): Session {
    const session = this.create(connection, identity);
    const info: SessionInfo = { id: connection.id, token: this.#issue(session), resumed: false };
    if (reason !== undefined) info.reason = reason;
    this.#host.hub.control(connection, SESSION_EVENT, info);
    return session;
  }

  /** A session for `connection`, without a secret yet. */
  create(connection: Connection, identity: Identity | undefined): Session {
    const mirror = this.#mirror;
    const id = connection.id;
    const session = new Session(connection, {
      maxBytes: this.#maxBytes,
      identity,
      onOverflow: (lost) => this.#lost(lost),
      onEnd: (ended) => this.#host.end(ended.connection),
      onRecord: mirror && ((frame) => mirror.append(id, frame)),
      onChange: mirror && (() => mirror.snapshot(id, this.#snapshot(connection))),
    });
    connection.session = session;
    this.#sessions.set(id, session);
    return session;
  }

  /**
   * The socket of `connection` closed: keeps the session for the window if
   * it can be resumed (the client did not close it with 1000, the server did
   * not close it, nothing overflowed, the server is not closing).
   *
   * @returns true if kept (the connection stays, without a socket)
   */
  keep(connection: Connection, code: number | undefined): boolean {
    const session = connection.session;
    if (
      !session || session.lost !== undefined || connection.closedByServer ||
      code === CloseCode.NORMAL || this.#closing || this.#windowMs <= 0
    ) {
      return false;
    }
    connection.detach();
    session.droppedAt = Date.now();
    session.timer = setTimeout(() => this.#host.end(connection), this.#windowMs);
    this.#mirror?.detached(connection.id, this.#snapshot(connection));
    return true;
  }

  /**
   * Checks a resume request and uses up its secret: the same token never
   * resumes twice, whoever presents it.
   *
   * @returns the session and frame number, or why it cannot be resumed
   */
  claim(
    request: ResumeRequest,
    identity: Identity | undefined,
  ): Claimed | ResetReason | Promise<Claimed | ResetReason> {
    const { id, secret } = splitToken(request.token);
    if (this.#overflowed.has(id)) return "overflow";
    const session = this.#sessions.get(id);
    if (!session && this.#mirror) {
      return this.#claimElsewhere(id, secret, request.seq, identity, this.#mirror);
    }
    if (!session) return "unknown";
    if (session.lost !== undefined) return session.lost;
    if (session.identityKey !== identityKey(identity) || !session.consume(secret)) return "refused";
    const { acked, seq } = session.buffer;
    if (request.seq < acked || request.seq > seq) return "refused";
    return { session, seq: request.seq };
  }

  /**
   * Puts a claimed session on its new socket: the `$session` frame with a
   * fresh secret, then every missed frame in order.
   *
   * @param outbox given when the new socket negotiated packing
   *
   * @returns false if the session ended since it was claimed
   */
  resume(socket: SocketLike, claimed: Claimed, outbox?: Outbox): boolean {
    const { session, seq } = claimed;
    const connection = session.connection;
    if (session.lost !== undefined || this.#sessions.get(connection.id) !== session) return false;
    const frames = session.buffer.resume(seq);
    if (!frames) return false;
    const mirror = this.#mirror;
    clearTimeout(session.timer);
    session.timer = undefined;
    session.droppedAt = undefined;
    connection.attach(socket, outbox);
    const info: SessionInfo = {
      id: connection.id,
      token: this.#issue(session),
      resumed: true,
      replay: frames.length,
    };
    if (session.moved) info.moved = true;
    session.moved = false;
    // The mirror starts again after `seq` too: the bases the client holds, no frames.
    mirror?.ack(connection.id, seq, session.buffer.bases, this.#snapshot(connection));
    this.#host.hub.control(connection, SESSION_EVENT, info);
    for (const { frame, sync } of frames) session.send(frame, sync, true);
    return true;
  }

  /** The client acknowledged frames up to `seq`. */
  ack(connection: Connection, seq: unknown): void {
    const session = connection.session;
    if (typeof seq !== "number" || !session?.buffer.ack(seq)) return;
    this.#mirror?.ack(
      connection.id,
      seq,
      session.buffer.changedBases,
      this.#snapshot(connection),
    );
  }

  /** A connection ended for good: its session goes too (an overflow leaves its reason behind). */
  forget(connection: Connection): void {
    const session = connection.session;
    if (!session || this.#sessions.get(connection.id) !== session) return;
    clearTimeout(session.timer);
    session.buffer.clear();
    this.#sessions.delete(connection.id);
    this.#mirror?.forget(connection.id);
    if (session.lost === "overflow" && !this.#closing && this.#windowMs > 0) {
      const id = connection.id;
      this.#overflowed.set(id, setTimeout(() => this.#overflowed.delete(id), this.#windowMs));
    }
  }

  /** The server closes: no session is kept from now on, and no timer is left behind. */
  close(): void {
    this.#closing = true;
    clearInterval(this.#refresh);
    for (const timer of this.#overflowed.values()) clearTimeout(timer);
    this.#overflowed.clear();
  }

  /** A new secret for `session`, which a mirror records with this node as the owner. */
  #issue(session: Session): string {
    const token = session.issueToken();
    const connection = session.connection;
    const identity = connection.identity && JSON.stringify(connection.identity);
    this.#mirror?.open(connection.id, session.secretHash!, session.identityKey, identity);
    return token;
  }

  #snapshot(connection: Connection): Snapshot {
    return {
      rooms: this.#host.presence.roomsOf(connection),
      data: JSON.stringify(connection.api.data) ?? "{}",
    };
  }

  /** The session is not here: claim it in the cluster and take it over from its node. */
  async #claimElsewhere(
    id: string,
    secret: string,
    seq: number,
    identity: Identity | undefined,
    mirror: SessionMirror,
  ): Promise<Claimed | ResetReason> {
    const owner = await mirror.claim(id, sha256(secret), identityKey(identity));
    if (owner === "unknown" || owner === "refused" || owner === "overflow") return owner;
    const session = await adopt(this.#host, this, mirror, id, owner);
    if (!session) return "unknown";
    const { acked } = session.buffer;
    if (seq < acked || seq > session.buffer.seq) {
      this.#host.end(session.connection);
      return "refused";
    }
    return { session, seq };
  }

  /** Another node takes session `id` over: it leaves here without a trace in presence. */
  async #release(id: string): Promise<void> {
    const session = this.#sessions.get(id);
    if (!session) return;
    const connection = session.connection;
    clearTimeout(session.timer);
    this.#mirror?.detached(id, this.#snapshot(connection));
    this.#sessions.delete(id);
    this.#host.hub.remove(connection);
    connection.attach(undefined);
    await this.#host.presence.release(connection);
    // Its plugs stop here; the client learns from `moved` that their calls end.
    connection.dispose();
  }

  /** Frames outgrew `recovery.maxBytes`: a waiting session ends now, a connected one at its drop. */
  #lost(session: Session): void {
    if (session.connection.detached) this.#host.end(session.connection);
  }
}
