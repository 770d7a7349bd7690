/**
 * The table of settable options: each option's path, type, default,
 * environment variable and doc text. Types and docs come from the doc
 * comments in `config.ts` (through the generated `config_docs.json`),
 * defaults from `defaultConfig`; nothing is written twice.
 *
 * @example
 * ```ts
 * import { findOption } from "./options.ts";
 * const option = findOption("INSECURE.port")!;
 * console.log(option.type, option.defaultValue, option.env); // number 8080 SSOCKET_INSECURE_PORT
 * ```
 * @module
 */

import { defaultConfig } from "../../config.ts";
import generated from "./config_docs.json" with { type: "json" };

/** The documentation of one entry of `config.ts`, as generated. */
export interface OptionDoc {
  /** The value type; `"group"` holds nested options. */
  type: "number" | "boolean" | "string" | "enum" | "group";
  /** The doc comment text. */
  doc: string;
  /** The allowed values of an `"enum"`. */
  values?: string[];
}

/** Option path (`"INSECURE.port"`) → documentation. */
export type ConfigDocs = Record<string, OptionDoc>;

/** One settable option. */
export interface OptionSpec {
  /** Dotted path in the config, also the flag name: `--INSECURE.port`. */
  readonly path: string;
  /** The value type. */
  readonly type: "number" | "boolean" | "string" | "enum";
  /** The allowed values of an `"enum"`. */
  readonly values?: readonly string[];
  /** The doc comment from `config.ts`. */
  readonly doc: string;
  /** The value in `defaultConfig`. */
  readonly defaultValue: unknown;
  /** The group this option belongs to (`"INSECURE"`), if any. */
  readonly group?: string;
  /** The environment variable that sets it. */
  readonly env: string;
}

/** A group of options, such as `INSECURE`. */
export interface GroupSpec {
  /** The group's key in the config. */
  readonly name: string;
  /** The group's doc comment. */
  readonly doc: string;
  /** The options inside it. */
  readonly options: readonly OptionSpec[];
}

/** Prefix of every environment variable read. */
export const ENV_PREFIX = "SSOCKET_";

/**
 * The environment variable for an option path: the path's words in upper
 * snake case after {@linkcode ENV_PREFIX}, both `.` and a camel-case hump
 * becoming `_`.
 *
 * @param path a dotted option path
 * @returns the variable name
 *
 * @example
 * ```ts
 * import { envName } from "./options.ts";
 * envName("payloadLimit"); // "SSOCKET_PAYLOAD_LIMIT"
 * envName("memoryMetrics.isOn"); // "SSOCKET_MEMORY_METRICS_IS_ON"
 * ```
 */
export function envName(path: string): string {
  return ENV_PREFIX + path.replaceAll(".", "_").replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase();
}

/**
 * Builds the option table from generated docs and the defaults.
 *
 * @param docs the generated documentation (the checked-in file by default)
 * @param defaults the default configuration
 * @returns every leaf option, in `config.ts` order
 * @throws {TypeError} when an option has no doc, or the docs and the defaults disagree
 *
 * @example
 * ```ts
 * import { buildOptions } from "./options.ts";
 * console.log(buildOptions().length > 10); // true
 * ```
 */
export function buildOptions(
  docs: ConfigDocs = generated as ConfigDocs,
  defaults: object = defaultConfig,
): OptionSpec[] {
  const options: OptionSpec[] = [];
  for (const [path, doc] of Object.entries(docs)) {
    if (doc.type === "group") continue;
    if (doc.doc.trim() === "") {
      throw new TypeError(`Option "${path}" has no doc comment in config.ts`);
    }
    const parts = path.split(".");
    const defaultValue = valueAt(defaults, parts);
    const expected = doc.type === "enum" ? "string" : doc.type;
    const actual: string = typeof defaultValue;
    if (actual !== expected) {
      throw new TypeError(
        `Default of "${path}" is ${actual}, its documented type is ${doc.type}; run "deno task docs:config"`,
      );
    }
    options.push({
      path,
      type: doc.type,
      values: doc.values,
      doc: doc.doc,
      defaultValue,
      group: parts.length > 1 ? parts[0] : undefined,
      env: envName(path),
    });
  }
  return options;
}

function valueAt(root: object, parts: string[]): unknown {
  let value: unknown = root;
  for (const part of parts) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

/** Every settable option, in `config.ts` order. */
export const OPTIONS: readonly OptionSpec[] = Object.freeze(buildOptions());

/** The option groups, with their doc comments. */
export const GROUPS: readonly GroupSpec[] = Object.freeze(
  Object.entries(generated as ConfigDocs)
    .filter(([, doc]) => doc.type === "group")
    .map(([name, doc]) => ({
      name,
      doc: doc.doc,
      options: OPTIONS.filter((option) => option.group === name),
    })),
);

/**
 * The option at `path`, or `undefined`.
 *
 * @example
 * ```ts
 * import { findOption } from "./options.ts";
 * findOption("secure")?.type; // "boolean"
 * ```
 */
export function findOption(path: string): OptionSpec | undefined {
  return OPTIONS.find((option) => option.path === path);
}

/**
 * The group named `name`, or `undefined`.
 *
 * @example
 * ```ts
 * import { findGroup } from "./options.ts";
 * findGroup("TLS")?.options.length; // 4
 * ```
 */
export function findGroup(name: string): GroupSpec | undefined {
  return GROUPS.find((group) => group.name === name);
}
