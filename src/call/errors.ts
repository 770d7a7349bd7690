/**
 * Errors the client raises. Every one carries a stable `code` to branch on:
 * the server's code for replies (`ErrorCode` or a plug's own `PlugError`
 * code), or one of {@linkcode ClientErrorCode} for failures on this side.
 * A plug's calls to its client fail with the same classes.
 *
 * @example
 * ```ts ignore
 * import { CallError, NotFoundError } from "./errors.ts";
 * try {
 *   await client.call("chat/join", {}).first();
 * } catch (err) {
 *   if (err instanceof NotFoundError) console.log("no such plug");
 *   else if (err instanceof CallError) console.log(err.code); // "NAME_REQUIRED"
 * }
 * ```
 * @module
 */

/** Codes of failures detected by the client itself (not sent by the server). */
export const ClientErrorCode = {
  /** No reply (or end of call) arrived within the call's `timeout`. */
  TIMEOUT: "TIMEOUT",
  /** The connection dropped while the call was in flight. */
  CONNECTION_LOST: "CONNECTION_LOST",
  /** The connection is closed and will not reconnect (reconnect is off or gave up). */
  NOT_CONNECTED: "NOT_CONNECTED",
  /** `close()` was called. */
  CLIENT_CLOSED: "CLIENT_CLOSED",
  /** The call's `signal` was aborted. */
  ABORTED: "ABORTED",
  /** A SYNC delta kept failing its check after every allowed resync. */
  SYNC_FAILED: "SYNC_FAILED",
  /** A frame from the server could not be decoded. */
  BAD_FRAME: "BAD_FRAME",
} as const;

/** One of the strings in {@linkcode ClientErrorCode}. */
export type ClientErrorCode = typeof ClientErrorCode[keyof typeof ClientErrorCode];

/** Base class of every client error: a `code` plus a sentence for people. */
export class SsocketError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string;

  /**
   * @param code the stable code
   * @param message a sentence for people, without trailing period
   * @param options the underlying `cause`, if any
   */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SsocketError";
    this.code = code;
  }
}

/**
 * The server answered a call with an ERROR frame. `code` is the server's:
 * an `ErrorCode` such as `PLUG_ERROR`, or the code of a `PlugError` the plug
 * threw on purpose.
 */
export class CallError extends SsocketError {
  /** The event the call was made to. */
  readonly event: string;
  /** With `INVALID_PAYLOAD` (and `INVALID_REPLY`): what the plug's schema found wrong. */
  readonly issues?: PayloadIssue[];

  /**
   * @param code the code from the ERROR frame
   * @param message the message from the ERROR frame
   * @param event the event the call was made to
   * @param issues the schema issues the ERROR frame listed, if any
   */
  constructor(code: string, message: string, event: string, issues?: PayloadIssue[]) {
    super(code, message);
    this.name = "CallError";
    this.event = event;
    if (issues) this.issues = issues;
  }
}

/** One schema issue in an `INVALID_PAYLOAD` error: where, and what is wrong. */
export interface PayloadIssue {
  /** Keys from the payload's root to the offending value; `[]` for the root. */
  path: (string | number)[];
  /** The validator's message. */
  message: string;
}

/**
 * No plug answers the event (the server sent NOT_FOUND). A subclass of
 * {@linkcode CallError} with code `"NOT_FOUND"`, so one `catch` can handle both.
 */
export class NotFoundError extends CallError {
  /**
   * @param message the message from the NOT_FOUND frame
   * @param event the event nobody answers
   */
  constructor(message: string, event: string) {
    super("NOT_FOUND", message, event);
    this.name = "NotFoundError";
  }
}

/** The connection failed a call: lost, closed, not connected, or timed out. */
export class ConnectionError extends SsocketError {
  /**
   * @param code one of {@linkcode ClientErrorCode}
   * @param message a sentence for people
   */
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "ConnectionError";
  }
}

/** No reply (or end) arrived within the call's `timeout`; code `"TIMEOUT"`. */
export class TimeoutError extends SsocketError {
  /**
   * @param event the event the call was made to
   * @param timeout the timeout in milliseconds
   */
  constructor(event: string, timeout: number) {
    super(ClientErrorCode.TIMEOUT, `Call to "${event}" got no reply within ${timeout} ms`);
    this.name = "TimeoutError";
  }
}
