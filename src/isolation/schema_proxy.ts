/**
 * A plug's `schema` export across the Worker boundary. Validators are
 * functions and stay in the Worker; the server gets a stand-in of the same
 * shape whose `~standard.validate` asks the Worker, so the loader checks the
 * export with the same `plugSchemaOf` (same errors) and dispatch validates
 * payloads, input and replies with the same code (same `SchemaError`s) in
 * both modes.
 *
 * @example
 * ```ts
 * import { describeSchema, schemaStandIn } from "./schema_proxy.ts";
 * const shape = describeSchema({ payload: { parse() {} } });
 * console.log(shape); // { payload: "other" }
 * const standIn = schemaStandIn(shape, () => Promise.resolve({ value: 1 }));
 * console.log(Object.keys(standIn as object)); // ["payload"]
 * ```
 * @module
 */

import {
  isStandardSchema,
  type PlugSchema,
  type StandardResult,
  toPayloadIssue,
} from "../plugs/schema.ts";

/** What each part of a `schema` export is; null when the export is not an object. */
export type SchemaShape = Record<string, "standard" | "other" | "undefined"> | null;

/** Worker side: the shape of a module's `schema` export. */
export function describeSchema(value: unknown): SchemaShape {
  if (value === null || typeof value !== "object") return null;
  const shape: Record<string, "standard" | "other" | "undefined"> = {};
  for (const [key, part] of Object.entries(value)) {
    shape[key] = part === undefined ? "undefined" : isStandardSchema(part) ? "standard" : "other";
  }
  return shape;
}

/** Server side: asks the Worker to validate `value` against part `part` of the schema. */
export type RemoteValidate = (part: string, value: unknown) => Promise<StandardResult<unknown>>;

/** Server side: a stand-in for the export, failing `plugSchemaOf` exactly where the original does. */
export function schemaStandIn(shape: SchemaShape, validate: RemoteValidate): unknown {
  if (shape === null) return null;
  const standIn: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(shape)) {
    if (kind === "undefined") standIn[key] = undefined;
    else if (kind === "other") standIn[key] = {};
    else {
      standIn[key] = {
        "~standard": { version: 1, vendor: "worker", validate: (v: unknown) => validate(key, v) },
      };
    }
  }
  return standIn;
}

/**
 * Worker side: runs part `part` of a module's schema. Issues are reduced to
 * `{ path, message }` (all a `SchemaError` keeps): a validator's issues may
 * hold functions, which cannot cross.
 */
export async function runValidation(
  schema: PlugSchema | undefined,
  part: string,
  value: unknown,
): Promise<StandardResult<unknown>> {
  const validator = schema?.[part as keyof PlugSchema];
  if (!validator) throw new TypeError(`The plug has no schema.${part}`);
  const result = await validator["~standard"].validate(value);
  if (!result.issues) return { value: result.value };
  return { issues: result.issues.map(toPayloadIssue) };
}
