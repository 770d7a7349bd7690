/**
 * What a drop means for the calls in flight and the SYNC states, under
 * missed-message recovery. A drop without a close frame leaves the session
 * on the server, so the calls whose frame went out wait for the resume as
 * orphans. The `$session` frame on the next socket decides: "recovered"
 * carries them on (unless the session moved to another node, where their
 * plugs did not come along: they fail once the replay is over); "reset"
 * fails them and starts SYNC over. A close frame, or a server without
 * recovery, ends the session at once. {@linkcode ClientSession} keeps the
 * token, the frame count and the acknowledgements.
 *
 * @example
 * ```ts ignore
 * const recovery = new SessionRecovery(true, { write, calls, sync, emit });
 * const ws = new WebSocket(url, recovery.subprotocols());
 * ws.onopen = () => recovery.opened(ws.protocol);
 * ws.onclose = (event) => recovery.dropped(event.code || 1006, event.reason, false);
 * ```
 * @module
 */

import type { SessionInfo } from "../protocol/recovery.ts";
import { featuresOf, offeredProtocols } from "../protocol/subprotocol.ts";
import type { Call } from "../call/call.ts";
import type { CallsInFlight } from "./calls.ts";
import { ClientErrorCode, ConnectionError } from "../call/errors.ts";
import type { EmitConnection } from "./options.ts";
import { ClientSession } from "./session.ts";
import type { SyncState } from "./sync_state.ts";
import { ABNORMAL_CLOSURE, closeMessage } from "./websocket.ts";

/** The parts of the client that a session's end or resume touches. */
export interface RecoveryParts {
  /** Writes a frame on the open socket (the `$ack`s); false when there is none. */
  write(frame: Uint8Array): boolean;
  /** The calls in flight: orphaned on a resumable drop, failed when the session is lost. */
  calls: CallsInFlight;
  /** The SYNC states: they start over when the session is lost. */
  sync: SyncState;
  /** Emits "recovered" and "reset". */
  emit: EmitConnection;
}

/** One client's session across its sockets, and the calls waiting for it to resume. */
export class SessionRecovery {
  readonly #enabled: boolean;
  readonly #session: ClientSession;
  readonly #calls: CallsInFlight;
  readonly #sync: SyncState;
  readonly #emit: EmitConnection;
  /** Calls in flight when a resumable connection dropped: they resume, or fail on "reset". */
  #orphans: Call<unknown>[] = [];
  /** After a move to another node: the frame number after which orphans fail (their plugs stopped). */
  #orphansEndAt?: number;

  /**
   * @param enabled the `recovery` option: offer recovery to the server
   * @param parts what a session's end or resume touches
   */
  constructor(enabled: boolean, parts: RecoveryParts) {
    this.#enabled = enabled;
    this.#session = new ClientSession(parts.write);
    this.#calls = parts.calls;
    this.#sync = parts.sync;
    this.#emit = parts.emit;
  }

  /** True while the open socket negotiated recovery: its frames are numbered. */
  get active(): boolean {
    return this.#session.active;
  }

  /**
   * The subprotocols to offer on the next attempt: ssocket's own, then
   * `extra`, then a resume when there is a session to resume.
   */
  subprotocols(extra?: string | string[]): string[] {
    // Offering ssocket's subprotocol is what gets binary SYNC deltas.
    const protocols = offeredProtocols(extra, this.#enabled);
    const resume = this.#enabled ? this.#session.offer() : undefined;
    if (resume) protocols.push(resume);
    return protocols;
  }

  /** A socket opened with `protocol`; without recovery in it, there is no session to resume. */
  opened(protocol: string): void {
    this.#session.active = featuresOf(protocol)?.recovery === true;
    if (!this.#session.active) this.#session.forget();
  }

  /** One more frame of the session processed (recovery counts them for its acks). */
  readonly numbered = (): void => {
    this.#session.processed();
    if (this.#session.seq === this.#orphansEndAt) this.#endOrphans();
  };

  /** The `$session` frame: the first on a recovery connection. */
  started(info: SessionInfo): void {
    const outcome = this.#session.started(info);
    if (outcome === "recovered") {
      this.#emit("recovered", { id: info.id, missed: info.replay ?? 0 });
      // On another node the calls' plugs did not come along: they end after the replay.
      this.#orphansEndAt = info.moved ? this.#session.seq + (info.replay ?? 0) : undefined;
      if (!info.moved) this.#orphans = [];
      else if (!info.replay) this.#endOrphans();
    } else if (outcome === "reset") {
      // Only the calls of the lost session fail, not those sent on this socket.
      const orphans = this.#orphans;
      this.#orphans = [];
      for (const call of orphans) {
        call.fail(
          new ConnectionError(
            ClientErrorCode.CONNECTION_LOST,
            `The session was not resumed (${info.reason ?? "closed"}) ` +
              `while the call to "${call.event}" was in flight`,
          ),
        );
      }
      this.#sync.clear();
      this.#emit("reset", { id: info.id, reason: info.reason });
    }
  }

  /**
   * The socket dropped with `code` and `reason`: the calls sent wait for a
   * resume, or the session is lost and they fail.
   *
   * @param closed true when the client is closed for good (nothing will resume)
   */
  dropped(code: number, reason: string, closed: boolean): void {
    // Without a close frame the server keeps the session: calls and SYNC
    // states wait for the resume. A close frame means it ended the session.
    const resumable = this.#session.active && code === ABNORMAL_CLOSURE;
    this.#session.stop();
    if (resumable && !closed) {
      this.#orphans.push(...this.#calls.sent());
    } else {
      this.#session.forget();
      this.#lose(closeMessage(code, reason));
    }
  }

  /**
   * The session is gone (the server closed it, or refused the resume): SYNC
   * states start over and the calls in flight fail with `CONNECTION_LOST`.
   */
  #lose(why: string): void {
    // The server forgets its SYNC states with the session; so do we.
    this.#sync.clear();
    const inFlight = new Set([...this.#orphans, ...this.#calls.all()]);
    this.#orphans = [];
    for (const call of inFlight) {
      if (!call.sent) continue;
      call.fail(
        new ConnectionError(
          ClientErrorCode.CONNECTION_LOST,
          `${why} while the call to "${call.event}" was in flight`,
        ),
      );
    }
  }

  /** Calls whose plugs stopped when their session moved to another node. */
  #endOrphans(): void {
    this.#orphansEndAt = undefined;
    for (const call of this.#orphans.splice(0)) {
      call.fail(
        new ConnectionError(
          ClientErrorCode.CONNECTION_LOST,
          `The session moved to another node while the call to "${call.event}" was in flight`,
        ),
      );
    }
  }
}
