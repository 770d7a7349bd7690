/**
 * Command-line parsing: which command to run and the option overrides given
 * as flags. Pure: no I/O, every mistake a `TypeError` or `RangeError` naming
 * the flag, so the command can exit with status 2 before anything starts.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./flags.ts";
 * parseArgs(["--INSECURE.port", "6969", "--secure"]);
 * // { kind: "serve", overrides: { INSECURE: { port: 6969 }, secure: true } }
 * ```
 * @module
 */

import type { PartialConfig } from "../../config.ts";
import { isSafeEventName } from "../plugs/event_name.ts";
import { findGroup } from "./options.ts";
import { lookupOption, parseValue, setValue } from "./values.ts";
import { DEFAULT_TYPES_FILE } from "./types_gen.ts";

/** What the command line asks for. */
export type Command =
  | { kind: "serve"; overrides: PartialConfig }
  | { kind: "help"; topics: string[] }
  | { kind: "version" }
  | { kind: "generate"; name: string; overrides: PartialConfig }
  | { kind: "types"; file: string; overrides: PartialConfig };

/** Commands (as opposed to options), with their help text. */
export const COMMANDS: Readonly<Record<string, { usage: string; doc: string }>> = {
  help: {
    usage: "-h, --help [--OPTION ...]",
    doc: "Print this help, or only the documentation of the options named after it.",
  },
  version: { usage: "--version", doc: "Print the ssocket version." },
  generate: {
    usage: "--generate NAME",
    doc:
      'Write a new plug answering event NAME to <plugsFolder>/NAME.ts from a template ("chat/send" creates folders). Refuses to overwrite a file or to write outside the plugs folder.',
  },
  types: {
    usage: "--types [FILE]",
    doc:
      "Write the event map of every plug (payload, input and reply types inferred from the plugs and their schemas) to FILE, default ssocket.d.ts, for connect<Events>() in a client.",
  },
};

const PLUG_EXTENSION = /\.(ts|js)$/;
const flagName = (path: string) => `--${path}`;

/**
 * Parses the arguments of the `ssocket` command.
 *
 * Options are `--path value` or `--path=value`; a boolean given alone
 * (`--secure`) means true. `-h`/`--help` turns every following `--path`
 * into a help topic.
 *
 * @param args the arguments after the command name
 * @returns the command to run
 * @throws {TypeError} for an unknown flag, a missing value or a wrong type
 * @throws {RangeError} for an out-of-range number or a plug name outside the plugs folder
 *
 * @example
 * ```ts
 * import { parseArgs } from "./flags.ts";
 * parseArgs(["-h", "--payloadLimit"]); // { kind: "help", topics: ["payloadLimit"] }
 * ```
 */
export function parseArgs(args: readonly string[]): Command {
  if (args.some((arg) => arg === "-h" || arg === "--help")) return parseHelp(args);
  const overrides: PartialConfig = {};
  let generate: string | undefined;
  let types: string | undefined;
  let version = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--") || arg === "--") {
      throw new TypeError(`Unexpected argument "${arg}"; options start with "--"`);
    }
    const eq = arg.indexOf("=");
    const key = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const next = args[i + 1];
    const hasNext = next !== undefined && !next.startsWith("--");
    if (key === "version") {
      version = true;
      continue;
    }
    if (key === "generate") {
      generate = inline ?? (hasNext ? args[++i] : undefined);
      if (!generate) {
        throw new TypeError(`"--generate" needs a plug name, e.g. --generate chat/send`);
      }
      continue;
    }
    if (key === "types") {
      types = inline ?? (hasNext ? args[++i] : DEFAULT_TYPES_FILE);
      continue;
    }
    const option = lookupOption(key, flagName);
    let raw = inline;
    if (raw === undefined && option.type === "boolean") {
      raw = hasNext && ["true", "false"].includes(next.toLowerCase()) ? args[++i] : "true";
    } else if (raw === undefined) {
      if (!hasNext) throw new TypeError(`"${arg}" needs a value (${option.type})`);
      raw = args[++i];
    }
    setValue(overrides, option, parseValue(option, raw, `--${key}`));
  }
  if (version) return { kind: "version" };
  if (generate !== undefined) return { kind: "generate", name: plugName(generate), overrides };
  if (types !== undefined) return { kind: "types", file: types, overrides };
  return { kind: "serve", overrides };
}

function parseHelp(args: readonly string[]): Command {
  const topics: string[] = [];
  for (const arg of args) {
    if (arg === "-h" || arg === "--help") continue;
    if (!arg.startsWith("--")) throw new TypeError(`Unexpected argument "${arg}" after "-h"`);
    const key = arg.slice(2).split("=")[0];
    if (!(key in COMMANDS) && !findGroup(key)) lookupOption(key, flagName);
    topics.push(key);
  }
  return { kind: "help", topics };
}

/**
 * The event name for `--generate NAME`: NAME without a `.ts`/`.js`
 * extension, which must name a file inside the plugs folder.
 *
 * @throws {RangeError} when NAME is absolute, climbs out with "..", or is empty
 */
export function plugName(name: string): string {
  const event = name.replace(PLUG_EXTENSION, "");
  if (!isSafeEventName(event)) {
    throw new RangeError(
      `Plug name "${name}" must be a path inside the plugs folder, like "chat/send" (no leading "/", no "..", no empty or "." parts)`,
    );
  }
  return event;
}
