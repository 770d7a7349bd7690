/**
 * Run-time checks of payloads against a plug's `schema` export. A schema is
 * any Standard Schema v1 validator (valibot, zod 3.24+/4, arktype, …): the
 * runtime only calls its `~standard.validate` and depends on no library.
 *
 * @example
 * ```ts ignore
 * // plugs/form/signup.ts
 * import * as v from "valibot";
 * export const schema = { payload: v.object({ email: v.pipe(v.string(), v.email()) }) };
 * export async function* signup(message: SocketMessage<{ email: string }>) { … }
 * ```
 * @module
 */

import { type ErrorCode, ProtocolError } from "../protocol/errors.ts";

/**
 * The part of the Standard Schema v1 interface the runtime uses
 * (https://standardschema.dev), written out so no package is needed.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** What `~standard.validate` returns: the (possibly transformed) value, or issues. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

/** One problem a validator found. */
export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** The input type a Standard Schema accepts (what a client sends). */
export type InferInput<S> = S extends StandardSchemaV1<infer I, unknown> ? I : unknown;

/** What a plug file may export as `schema`. */
export interface PlugSchema {
  /** Checks the payload of every call before the handler runs. */
  payload?: StandardSchemaV1;
  /** Checks each payload the caller writes into the call (`message.input`). */
  input?: StandardSchemaV1;
  /** Checks the plug's replies when `validateReplies` is on. */
  reply?: StandardSchemaV1;
}

/** One issue as it is sent to the client: where, and what is wrong. */
export interface PayloadIssue {
  /** Keys from the payload's root to the offending value; `[]` for the root. */
  path: (string | number)[];
  /** The validator's message. */
  message: string;
}

/** A payload failed a schema; dispatch sends `{ code, message, issues }`. */
export class SchemaError extends ProtocolError {
  /** What the validator found. */
  readonly issues: PayloadIssue[];

  /**
   * @param code `INVALID_PAYLOAD` or `INVALID_REPLY`
   * @param what what was checked, for the message ("Payload", "Input", "Reply")
   * @param issues the validator's issues
   */
  constructor(code: ErrorCode, what: string, issues: readonly StandardIssue[]) {
    const list = issues.map(toPayloadIssue);
    const first = list[0];
    const where = first && first.path.length > 0 ? ` at ${first.path.join(".")}` : "";
    super(code, `${what} failed its schema${where}: ${first?.message ?? "invalid"}`);
    this.name = "SchemaError";
    this.issues = list;
  }
}

const PARTS = ["payload", "input", "reply"] as const;

/** True if `value` implements Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { "~standard"?: { version?: unknown; validate?: unknown } })
    ?.["~standard"];
  return standard?.version === 1 && typeof standard.validate === "function";
}

/**
 * Checks a plug file's `schema` export.
 *
 * @throws {TypeError} when it is not `{ payload?, input?, reply? }` of Standard Schemas
 */
export function plugSchemaOf(value: unknown, file: string): PlugSchema {
  if (value === null || typeof value !== "object") {
    throw new TypeError(`"${file}": export "schema" must be { payload?, input?, reply? }`);
  }
  const schema: PlugSchema = {};
  for (const [key, part] of Object.entries(value)) {
    if (!(PARTS as readonly string[]).includes(key)) {
      throw new TypeError(`"${file}": schema.${key} is not one of ${PARTS.join(", ")}`);
    }
    if (part === undefined) continue;
    if (!isStandardSchema(part)) {
      throw new TypeError(
        `"${file}": schema.${key} is not a Standard Schema v1 validator (valibot, zod, arktype…)`,
      );
    }
    schema[key as keyof PlugSchema] = part;
  }
  return schema;
}

/**
 * Validates `value`, returning the validator's output (with its defaults and
 * transforms applied) synchronously when the validator is synchronous, so a
 * plug with a sync schema costs no extra promise.
 *
 * @throws {SchemaError} with `code` when the value has issues
 */
export function validate(
  schema: StandardSchemaV1,
  value: unknown,
  code: ErrorCode,
  what: string,
): unknown | Promise<unknown> {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) return result.then((r) => unwrap(r, code, what));
  return unwrap(result, code, what);
}

function unwrap(result: StandardResult<unknown>, code: ErrorCode, what: string): unknown {
  if (result.issues) throw new SchemaError(code, what, result.issues);
  return result.value;
}

/** An issue as sent to the client: its path reduced to keys. */
export function toPayloadIssue(issue: StandardIssue): PayloadIssue {
  const path = (issue.path ?? []).map((segment) => {
    const key = typeof segment === "object" && segment !== null ? segment.key : segment;
    return typeof key === "number" ? key : String(key);
  });
  return { path, message: issue.message };
}
