/**
 * Looking up options by name and checking their values, shared by the flag,
 * environment and config-file layers. Every failure is a `TypeError` (wrong
 * name or type) or `RangeError` (out of range) whose message names the option
 * as the user wrote it.
 *
 * @example
 * ```ts
 * import { lookupOption, parseValue } from "./values.ts";
 * const option = lookupOption("INSECURE.port", (path) => `--${path}`);
 * parseValue(option, "6969", "--INSECURE.port"); // 6969
 * ```
 * @module
 */

import type { PartialConfig } from "../../config.ts";
import { findGroup, OPTIONS, type OptionSpec } from "./options.ts";
import { closest } from "./suggest.ts";

/** Highest TCP port number. */
const MAX_PORT = 65_535;

const BOOLEAN_TEXT: Record<string, boolean> = { true: true, false: false, "1": true, "0": false };

/**
 * The option at `path`, or a `TypeError` naming it (and the closest valid
 * name) when it is unknown or names a group.
 *
 * @param path the dotted path as written
 * @param display how the source spells a path, e.g. `(p) => "--" + p`
 * @param where where the name was found, e.g. `" in ssocket.config.json"`
 * @returns the option
 * @throws {TypeError} for an unknown option or a group
 *
 * @example
 * ```ts
 * import { lookupOption } from "./values.ts";
 * try {
 *   lookupOption("payloadLimt", (p) => `--${p}`);
 * } catch (err) {
 *   console.log((err as Error).message); // Unknown option "--payloadLimt"; did you mean "--payloadLimit"?
 * }
 * ```
 */
export function lookupOption(
  path: string,
  display: (path: string) => string,
  where = "",
): OptionSpec {
  const option = OPTIONS.find((candidate) => candidate.path === path);
  if (option) return option;
  const group = findGroup(path);
  if (group) {
    const members = group.options.map((member) => display(member.path)).join(", ");
    throw new TypeError(`"${display(path)}"${where} is a group of options; set one of ${members}`);
  }
  const names = OPTIONS.map((candidate) => display(candidate.path));
  const suggestion = closest(display(path), names);
  throw new TypeError(
    `Unknown option "${display(path)}"${where}${
      suggestion ? `; did you mean "${suggestion}"?` : ""
    }`,
  );
}

/**
 * Converts text from a flag or environment variable to the option's type.
 *
 * @param option the option being set
 * @param raw the text given
 * @param name the option as the user wrote it, for messages
 * @returns the typed value
 * @throws {TypeError} when the text is not of the option's type
 * @throws {RangeError} when the number is out of range
 *
 * @example
 * ```ts
 * import { parseValue } from "./values.ts";
 * import { findOption } from "./options.ts";
 * parseValue(findOption("secure")!, "true", "--secure"); // true
 * ```
 */
export function parseValue(option: OptionSpec, raw: string, name: string): unknown {
  switch (option.type) {
    case "number": {
      const value = raw.trim() === "" ? NaN : Number(raw);
      if (Number.isNaN(value)) throw expected(option, raw, name);
      return checkValue(option, value, name);
    }
    case "boolean": {
      const value = BOOLEAN_TEXT[raw.toLowerCase()];
      if (value === undefined) throw expected(option, raw, name);
      return value;
    }
    default:
      return checkValue(option, raw, name);
  }
}

/**
 * Checks an already typed value (from a config file) against the option.
 *
 * @param option the option being set
 * @param value the value given
 * @param name the option as the user wrote it, for messages
 * @returns the value, unchanged
 * @throws {TypeError} when the value is not of the option's type
 * @throws {RangeError} when the number is out of range
 *
 * @example
 * ```ts
 * import { checkValue } from "./values.ts";
 * import { findOption } from "./options.ts";
 * checkValue(findOption("logLevel")!, "debug", "logLevel"); // "debug"
 * ```
 */
export function checkValue(option: OptionSpec, value: unknown, name: string): unknown {
  const jsType = option.type === "enum" ? "string" : option.type;
  const actual: string = typeof value;
  if (actual !== jsType) throw expected(option, value, name);
  if (option.type === "enum" && !option.values!.includes(value as string)) {
    throw expected(option, value, name);
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`${name} must be a finite number of 0 or more, got ${value}`);
    }
    const isPort = option.path.split(".").at(-1) === "port";
    if (isPort && (!Number.isInteger(value) || value > MAX_PORT)) {
      throw new RangeError(
        `${name} must be a whole port number from 0 to ${MAX_PORT}, got ${value}`,
      );
    }
  }
  return value;
}

/** The type of `option` in words, as used in help and errors. */
export function typeName(option: OptionSpec): string {
  return option.type === "enum" ? option.values!.map((v) => `"${v}"`).join(" | ") : option.type;
}

function expected(option: OptionSpec, value: unknown, name: string): TypeError {
  const got = typeof value === "string" ? `"${value}"` : JSON.stringify(value) ?? String(value);
  const what = option.type === "enum" ? `one of ${typeName(option)}` : `a ${option.type}`;
  return new TypeError(`${name} expects ${what}, got ${got}`);
}

/**
 * Sets `option` to `value` in a partial config, creating its group.
 *
 * @example
 * ```ts
 * import { setValue } from "./values.ts";
 * import { findOption } from "./options.ts";
 * const overrides = {};
 * setValue(overrides, findOption("INSECURE.port")!, 6969); // { INSECURE: { port: 6969 } }
 * ```
 */
export function setValue(target: PartialConfig, option: OptionSpec, value: unknown): void {
  const record = target as Record<string, Record<string, unknown>>;
  if (option.group) {
    const key = option.path.slice(option.group.length + 1);
    record[option.group] = { ...record[option.group], [key]: value };
  } else {
    (target as Record<string, unknown>)[option.path] = value;
  }
}

/**
 * Merges partial configs, later ones winning, groups merged key by key.
 *
 * @example
 * ```ts
 * import { mergeLayers } from "./values.ts";
 * mergeLayers({ INSECURE: { port: 1 } }, { INSECURE: { hostname: "::1" } });
 * // { INSECURE: { port: 1, hostname: "::1" } }
 * ```
 */
export function mergeLayers(...layers: PartialConfig[]): PartialConfig {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const isGroup = typeof value === "object" && value !== null;
      merged[key] = isGroup ? { ...(merged[key] as object | undefined), ...value } : value;
    }
  }
  return merged as PartialConfig;
}
