/**
 * ERROR frames: their payload shape, the one place they are sent (so each is
 * counted by its code), and how a thrown value becomes a code. Shared by the
 * intake of frames (`dispatch.ts`) and plug runs (`plug_run.ts`).
 *
 * @example
 * ```ts ignore
 * sendError(runtime, connection, "echo", errorPayload(err), requestId);
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";
import { type PayloadIssue, SchemaError } from "../plugs/schema.ts";
import type { Connection } from "./connection.ts";
import type { Runtime } from "./runtime.ts";

/** The payload of ERROR and NOT_FOUND frames. */
export interface ErrorPayload {
  /** A stable code from `ErrorCode`, or a plug's own `PlugError` code. */
  code: string;
  /** A sentence for people. */
  message: string;
  /** With `INVALID_PAYLOAD` and `INVALID_REPLY`: what the schema found wrong. */
  issues?: PayloadIssue[];
}

/** Every ERROR frame goes out here, so each is counted by its code. */
export function sendError(
  server: Runtime,
  client: Connection,
  event: string,
  payload: ErrorPayload,
  requestId?: number,
) {
  server.metrics?.error(payload.code);
  server.hub.toConnection(
    client,
    EventType.ERROR,
    event,
    payload,
    requestId,
    requestId !== undefined,
  );
}

export function errorPayload(err: unknown): ErrorPayload {
  if (err instanceof SchemaError) {
    return { code: err.code, message: err.message, issues: err.issues };
  }
  if (err instanceof ProtocolError) return { code: err.code, message: err.message };
  return { code: ErrorCode.PLUG_ERROR, message: String(err) };
}

/** A thrown value with a string `code` (like `PlugError`) keeps its code. */
export function plugErrorPayload(err: unknown): ErrorPayload {
  const code = (err as { code?: unknown })?.code;
  return {
    code: typeof code === "string" && code !== "" ? code : ErrorCode.PLUG_ERROR,
    message: err instanceof Error ? err.message : String(err),
  };
}
