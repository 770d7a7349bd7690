/**
 * The text of `ssocket -h`, built from the doc comments of `config.ts` (via
 * the option table) and the command list, so it cannot drift from the code.
 *
 * @example
 * ```ts
 * import { renderHelp } from "./help.ts";
 * console.log(renderHelp(["payloadLimit"]));
 * ```
 * @module
 */

import { VERSION } from "../version.ts";
import { COMMANDS } from "./flags.ts";
import { findGroup, findOption, GROUPS, OPTIONS, type OptionSpec } from "./options.ts";
import { typeName } from "./values.ts";

/** Column at which help text is wrapped. */
const WIDTH = 80;
const INDENT = "      ";

/**
 * The help text: everything when `topics` is empty, otherwise only the named
 * options, groups and commands.
 *
 * @param topics option paths (`"INSECURE.port"`), group names (`"TLS"`) or
 * command names (`"generate"`), already validated
 * @returns the text to print
 *
 * @example
 * ```ts
 * import { renderHelp } from "./help.ts";
 * renderHelp([]).includes("--payloadLimit"); // true
 * ```
 */
export function renderHelp(topics: readonly string[] = []): string {
  if (topics.length > 0) return topics.map(renderTopic).join("\n\n") + "\n";
  const sections = [
    `ssocket ${VERSION}: serverless-style WebSocket functions for Deno`,
    [
      "Usage:",
      "  ssocket [--OPTION VALUE ...]      start the server in the current folder",
      "  ssocket --generate NAME           write a new plug from a template",
      "  ssocket --types [FILE]            write the plugs' event map for typed clients",
      "  ssocket --version                 print the version",
      "  ssocket -h [--OPTION ...]         print this help, or one option's documentation",
    ].join("\n"),
    "Commands:\n" + Object.keys(COMMANDS).map(renderCommand).join("\n"),
    [
      "Options are read from, lowest to highest: the defaults below, ssocket.config.ts (or",
      ".json) in the current folder, SSOCKET_* environment variables, then flags. Flags are",
      "--OPTION VALUE or --OPTION=VALUE; a boolean flag alone (--secure) means true. The",
      "variable of an option is its name in upper snake case: SSOCKET_PAYLOAD_LIMIT for",
      "payloadLimit, SSOCKET_INSECURE_PORT for INSECURE.port.",
    ].join("\n"),
    "Options:\n" + OPTIONS.filter((o) => !o.group).map(renderOption).join("\n"),
    ...GROUPS.map((group) => renderGroup(group.name)),
  ];
  return sections.join("\n\n") + "\n";
}

function renderTopic(topic: string): string {
  if (topic in COMMANDS) return renderCommand(topic);
  if (findGroup(topic)) return renderGroup(topic);
  const option = findOption(topic);
  if (!option) throw new TypeError(`Unknown help topic "${topic}"`);
  return renderOption(option);
}

function renderCommand(name: string): string {
  const { usage, doc } = COMMANDS[name];
  return `  ${usage}\n${wrap(doc)}`;
}

function renderGroup(name: string): string {
  const group = findGroup(name)!;
  const header = `${name} options: ${group.doc}`;
  return `${header}\n${group.options.map(renderOption).join("\n")}`;
}

function renderOption(option: OptionSpec): string {
  const head = `  --${option.path} <${typeName(option)}>`;
  const meta = `default ${JSON.stringify(option.defaultValue)}, env ${option.env}`;
  return `${head}  (${meta})\n${wrap(option.doc)}`;
}

/** Wraps `text` at {@linkcode WIDTH} columns, each line indented. */
function wrap(text: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && INDENT.length + line.length + 1 + word.length > WIDTH) {
      lines.push(INDENT + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(INDENT + line);
  return lines.join("\n");
}
