/**
 * Errors crossing between a Worker and the server. A thrown value becomes
 * `{ name, message, stack, code }`; Deno's permission refusals become code
 * `PERMISSION_DENIED` with a message naming the permission and the
 * `isolation.allow*` option that grants it.
 *
 * @example
 * ```ts
 * import { describeError, toError } from "./remote_error.ts";
 * const info = describeError(new Error('Requires env access to "HOME", run again with the --allow-env flag'));
 * console.log(info.code); // "PERMISSION_DENIED"
 * console.log(toError(info).message.includes("isolation.allowEnv")); // true
 * ```
 * @module
 */

import { ErrorCode, PlugError, ProtocolError } from "../protocol/errors.ts";
import { type PayloadIssue, SchemaError } from "../plugs/schema.ts";

/** A thrown value, as it crosses the process boundary. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  /** A `PlugError`'s or `ProtocolError`'s code, or `PERMISSION_DENIED`. */
  code?: string;
  /** A `SchemaError`'s issues. */
  issues?: PayloadIssue[];
}

const PERMISSION = /Requires (\w+) access/;
const OPTION: Record<string, string> = {
  net: "allowNet",
  read: "allowRead",
  env: "allowEnv",
  write: "allowWrite",
  run: "allowRun",
};

const ASYNC_GENERATOR_TAG = "[object AsyncGeneratorFunction]";

/** How a module export looks to the loader: a plug, another function, or a value. */
export function exportKind(value: unknown): "generator" | "function" | "value" {
  if (Object.prototype.toString.call(value) === ASYNC_GENERATOR_TAG) return "generator";
  return typeof value === "function" ? "function" : "value";
}

/** Describes a thrown value for the other side. */
export function describeError(err: unknown): ErrorInfo {
  if (!(err instanceof Error)) return { name: "Error", message: String(err) };
  const permission = err.message.match(PERMISSION)?.[1];
  if (err.name === "NotCapable" || permission) {
    const option = OPTION[permission ?? ""];
    return {
      name: err.name,
      message: `Permission "${permission ?? "unknown"}" denied${
        option ? ` (grant it with isolation.${option})` : ""
      }: ${err.message}`,
      stack: err.stack,
      code: ErrorCode.PERMISSION_DENIED,
    };
  }
  const code = (err as { code?: unknown }).code;
  return {
    name: err.name,
    message: err.message,
    stack: err.stack,
    code: typeof code === "string" && code !== "" ? code : undefined,
    issues: err instanceof SchemaError ? err.issues : undefined,
  };
}

/** Rebuilds a described error; its code survives as a `PlugError` (or `ProtocolError`). */
export function toError(info: ErrorInfo): Error {
  let err: Error;
  if (info.issues && info.code) {
    // Rebuilt as a SchemaError so dispatch reports its issues and logs it as the caller's mistake.
    err = new SchemaError(info.code as ErrorCode, "", info.issues);
    err.message = info.message;
  } else if (info.code && Object.hasOwn(ErrorCode, info.code)) {
    err = new ProtocolError(info.code as ErrorCode, info.message);
  } else if (info.code) {
    err = new PlugError(info.code, info.message);
  } else {
    err = new Error(info.message);
    err.name = info.name;
  }
  if (info.stack) err.stack = info.stack.replace(/^[^\n]*/, `${err.name}: ${info.message}`);
  return err;
}
