/**
 * The config-file layer: an optional `ssocket.config.ts` (default export) or
 * `ssocket.config.json` in the working folder, checked option by option.
 *
 * @example
 * ```ts ignore
 * // ssocket.config.ts
 * import type { PartialConfig } from "ssocket";
 * export default { payloadLimit: 1_000_000, INSECURE: { port: 9000 } } satisfies PartialConfig;
 * ```
 * @module
 */

import { join } from "node:path";
import type { PartialConfig } from "../../config.ts";
import { toFileUrl } from "../plugs/file_url.ts";
import { findGroup } from "./options.ts";
import { checkValue, lookupOption, setValue } from "./values.ts";

/** File names looked for in the working folder, in this order. */
export const CONFIG_FILE_NAMES = ["ssocket.config.ts", "ssocket.config.json"] as const;

/** A config file that was found and read. */
export interface ConfigFile {
  /** Absolute path of the file. */
  path: string;
  /** The options it sets. */
  overrides: PartialConfig;
}

/**
 * Reads the config file in `dir`, if there is one.
 *
 * @param dir the working folder
 * @returns the file and its options, or `undefined` when there is none
 * @throws {TypeError} when both files exist, the file does not export an
 * object, or an option is unknown or of the wrong type
 * @throws {SyntaxError} when the JSON file cannot be parsed
 *
 * @example
 * ```ts ignore
 * const file = await readConfigFile(Deno.cwd());
 * console.log(file?.path);
 * ```
 */
export async function readConfigFile(dir: string): Promise<ConfigFile | undefined> {
  const present: string[] = [];
  for (const name of CONFIG_FILE_NAMES) {
    if (await isFile(join(dir, name))) present.push(name);
  }
  if (present.length === 0) return undefined;
  if (present.length > 1) {
    throw new TypeError(`Found both ${present.join(" and ")} in ${dir}; keep only one`);
  }
  const [name] = present;
  const path = join(dir, name);
  let value: unknown;
  if (name.endsWith(".json")) {
    const text = await Deno.readTextFile(path);
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new SyntaxError(`Cannot parse ${name}: ${(err as Error).message}`);
    }
  } else {
    value = (await import(toFileUrl(path))).default;
  }
  return { path, overrides: overridesFromObject(value, name) };
}

/**
 * Checks a config object (as written in a config file) against the options.
 *
 * @param value the object
 * @param source the file name, for messages
 * @returns the same options as a partial config
 * @throws {TypeError} for a non-object, an unknown option or a wrong type
 * @throws {RangeError} for an out-of-range number
 *
 * @example
 * ```ts
 * import { overridesFromObject } from "./config_file.ts";
 * overridesFromObject({ INSECURE: { port: 9000 } }, "ssocket.config.json");
 * ```
 */
export function overridesFromObject(value: unknown, source: string): PartialConfig {
  if (!isRecord(value)) {
    throw new TypeError(`${source} must export (or contain) an object of options`);
  }
  const overrides: PartialConfig = {};
  for (const [key, entry] of Object.entries(value)) {
    const entries = findGroup(key) && isRecord(entry)
      ? Object.entries(entry).map(([inner, v]) => [`${key}.${inner}`, v] as const)
      : [[key, entry] as const];
    for (const [path, v] of entries) {
      const option = lookupOption(path, (p) => p, ` in ${source}`);
      setValue(overrides, option, checkValue(option, v, `"${path}" in ${source}`));
    }
  }
  return overrides;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
