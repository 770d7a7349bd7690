/**
 * Converts an absolute path to a `file:` URL (what `import()` needs).
 *
 * @example
 * ```ts
 * import { toFileUrl } from "./file_url.ts";
 * toFileUrl("/srv/plugs/a b.ts"); // "file:///srv/plugs/a%20b.ts"
 * ```
 * @module
 */

import { pathToFileURL } from "node:url";

/** The `file:` URL of an absolute path, with special characters escaped. */
export function toFileUrl(path: string): string {
  return pathToFileURL(path).href;
}
