/**
 * Event names are plug file paths, so a name from the network must be
 * checked before it is ever turned into a path. Pure predicates, no I/O.
 *
 * @example
 * ```ts
 * import { isSafeEventName } from "./event_name.ts";
 * isSafeEventName("chat/send"); // true
 * isSafeEventName("../etc/passwd"); // false
 * ```
 * @module
 */

/** Files and folders starting with this are helpers, not plugs. */
export const PRIVATE_PREFIX = "_";

/** Event names starting with this are the runtime's own (e.g. `$presence`), never plugs. */
export const RESERVED_PREFIX = "$";

/** Extensions a plug file may have, tried in this order. */
export const PLUG_EXTENSIONS = [".ts", ".js"] as const;

// Control characters (C0, DEL, C1), backslash and NUL have no place in a name.
// deno-lint-ignore no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\\]/;

/**
 * True when `name` can only mean a file inside the plugs folder: relative
 * segments separated by "/", none empty, "." or "..", no backslash, NUL or
 * control character, no leading "/", and no leading "$" (reserved for the
 * runtime's own events, so no file can answer or shadow them).
 */
export function isSafeEventName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || FORBIDDEN.test(name)) return false;
  if (name.startsWith(RESERVED_PREFIX)) return false;
  for (const segment of name.split("/")) {
    if (segment === "" || segment === "." || segment === "..") return false;
  }
  return true;
}

/**
 * The event name for a file, given its path relative to the plugs folder
 * (either separator), or `undefined` when the file is not a plug. Files and
 * folders whose name starts with `_` are private helpers that plugs import,
 * never events themselves.
 *
 * @example
 * ```ts
 * import { eventNameOf } from "./event_name.ts";
 * eventNameOf("chat/send.ts"); // "chat/send"
 * eventNameOf("notes.md"); // undefined
 * ```
 */
export function eventNameOf(relativePath: string): string | undefined {
  const path = relativePath.replaceAll("\\", "/");
  const ext = PLUG_EXTENSIONS.find((e) => path.endsWith(e) && !path.endsWith(".d.ts"));
  if (!ext) return undefined;
  const name = path.slice(0, -ext.length);
  if (name.split("/").some((segment) => segment.startsWith(PRIVATE_PREFIX))) return undefined;
  return isSafeEventName(name) ? name : undefined;
}
