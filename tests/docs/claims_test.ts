/**
 * What README.md and docs/*.md claim about the code, checked against the
 * code. The docs are read by people who never open src/, so a renamed
 * option, a new error code or a re-run benchmark must fail a test until the
 * docs say the same; each test collects every mismatch, so one run lists
 * them all.
 *
 * The Markdown is parsed with plain string and regex code: fenced code
 * blocks are set apart first, so that a `#` comment or a `[x](y)` inside
 * one is never taken for a heading or a link.
 *
 * @module
 */

import assert from "node:assert/strict";
import { defaultConfig } from "../../config.ts";
import { COMMANDS } from "../../src/cli/flags.ts";
import { OPTIONS } from "../../src/cli/options.ts";
import { closest } from "../../src/cli/suggest.ts";
import { CloseCode, ErrorCode } from "../../src/protocol/errors.ts";
import {
  EventType,
  FLAG_BINARY,
  FLAG_END,
  FLAG_REQUEST,
  MAX_EVENT_TYPE,
  TYPE_MASK,
} from "../../src/protocol/event_type.ts";
import { SERVER_CALL_BIT } from "../../src/protocol/payload.ts";

const ROOT = new URL("../../", import.meta.url);

function read(path: string): Promise<string> {
  return Deno.readTextFile(new URL(path, ROOT));
}

/** A fenced code block: its info string (`sh`, `ts`, …) and its lines. */
interface CodeBlock {
  lang: string;
  lines: string[];
}

/** A Markdown file split into prose and fenced code blocks. */
interface Doc {
  path: string;
  /** Every line, with the lines of code blocks (fences included) blanked. */
  prose: string[];
  blocks: CodeBlock[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;

function parseDoc(path: string, markdown: string): Doc {
  const prose: string[] = [];
  const blocks: CodeBlock[] = [];
  let open: { fence: string; block: CodeBlock } | undefined;
  for (const line of markdown.split("\n")) {
    const fence = FENCE.exec(line);
    if (open) {
      const closes = fence && fence[1][0] === open.fence[0] &&
        fence[1].length >= open.fence.length && line.trim() === fence[1];
      if (closes) open = undefined;
      else open.block.lines.push(line);
      prose.push("");
    } else if (fence) {
      open = { fence: fence[1], block: { lang: fence[2], lines: [] } };
      blocks.push(open.block);
      prose.push("");
    } else {
      prose.push(line);
    }
  }
  return { path, prose, blocks };
}

async function loadDoc(path: string): Promise<Doc> {
  return parseDoc(path, await read(path));
}

/** The text of each inline code span in `text`. */
function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1].trim());
}

/**
 * Paragraphs, list items and table rows of the prose, each on one line, so
 * a claim that wraps across lines is still found by one regex.
 */
function chunks(doc: Doc): string[] {
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) out.push(paragraph.join(" "));
    paragraph = [];
  };
  for (const line of doc.prose) {
    if (line.trim() === "" || line.startsWith("#")) {
      flush();
    } else if (line.startsWith("|")) {
      flush();
      out.push(line);
    } else {
      // A list item starts a chunk of its own, like a paragraph.
      if (/^\s*(?:[-*]|\d+\.)\s/.test(line)) flush();
      paragraph.push(line.trim());
    }
  }
  flush();
  return out;
}

interface Heading {
  level: number;
  text: string;
  line: number;
}

function headings(doc: Doc): Heading[] {
  return doc.prose.flatMap((line, index) => {
    const match = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    return match ? [{ level: match[1].length, text: match[2], line: index }] : [];
  });
}

/** The prose lines under the heading `title`, up to the next heading of its level or above. */
function section(doc: Doc, title: string): string[] {
  const all = headings(doc);
  const at = all.findIndex((heading) => heading.text === title);
  assert.ok(at >= 0, `${doc.path} has no heading "${title}"`);
  const end = all.slice(at + 1).find((heading) => heading.level <= all[at].level);
  return doc.prose.slice(all[at].line + 1, end?.line ?? doc.prose.length);
}

/** The body rows of the first table in `lines`, as trimmed cells. */
function tableRows(lines: string[]): string[][] {
  const start = lines.findIndex((line) => line.startsWith("|"));
  assert.ok(start >= 0, "no table found");
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    // `\|` inside a cell is an escaped pipe, not a column border.
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}

/** Every table in `doc` whose header row has all of `columns`, as rows of cells by column name. */
function tablesWith(doc: Doc, columns: string[]): Record<string, string>[][] {
  const tables: Record<string, string>[][] = [];
  doc.prose.forEach((line, index) => {
    if (!line.startsWith("|") || doc.prose[index - 1]?.startsWith("|")) return;
    const header = line.split("|").slice(1, -1).map((cell) => cell.trim());
    if (!columns.every((column) => header.includes(column))) return;
    tables.push(
      tableRows(doc.prose.slice(index)).map((cells) =>
        Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]))
      ),
    );
  });
  return tables;
}

function sorted<T>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort();
}

/** Every option of `defaultConfig` by dotted path (`cluster.redisUrl`), with its default. */
function flatConfig(): Map<string, unknown> {
  const flat = new Map<string, unknown>();
  for (const [key, value] of Object.entries(defaultConfig)) {
    if (typeof value === "object" && value !== null) {
      for (const [member, inner] of Object.entries(value)) flat.set(`${key}.${member}`, inner);
    } else {
      flat.set(key, value);
    }
  }
  return flat;
}

const CONFIG = flatConfig();
const GROUPS = new Set(
  Object.entries(defaultConfig).flatMap(([key, value]) => typeof value === "object" ? [key] : []),
);
const TOP_LEVEL = new Set(Object.keys(defaultConfig));

const readme = await loadDoc("README.md");
const protocol = await loadDoc("docs/PROTOCOL.md");
const docsFolder = [...Deno.readDirSync(new URL("docs/", ROOT))]
  .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
  .map((entry) => `docs/${entry.name}`)
  .sort();
const allDocs = [readme, ...await Promise.all(docsFolder.map(loadDoc))];
const LATEST_BENCH = await read("bench/results/latest.md");

/** Prose and code of `doc` together, for names that count wherever they are written. */
function fullText(doc: Doc): string {
  return [...doc.prose, ...doc.blocks.flatMap((block) => block.lines)].join("\n");
}

Deno.test("PROTOCOL.md lists every ErrorCode and no other", () => {
  const rows = tableRows(section(protocol, "Errors"));
  const listed = rows.flatMap(([code]) => codeSpans(code));
  // Codes a plug makes up (`PlugError("ROOM_REQUIRED", …)`) are the plug's
  // API, not the protocol's: the table must not list them, so every code in
  // it has to be an ErrorCode.
  assert.deepEqual(sorted(listed), sorted(Object.values(ErrorCode)));
  assert.equal(listed.length, new Set(listed).size, "a code is listed twice");
});

/** Source files under `folder` (relative to the repo root), recursively. */
function sourceFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(new URL(folder, ROOT))) {
    const path = `${folder}${entry.name}`;
    if (entry.isDirectory) files.push(...sourceFiles(`${path}/`));
    else if (/\.ts$/.test(entry.name)) files.push(path);
  }
  return files;
}

Deno.test("PROTOCOL.md lists every close code the server sends and no other", async () => {
  // The browser/Deno client closes its own sockets; it is not the server.
  const serverFiles = sourceFiles("src/").filter((path) => !path.startsWith("src/client/"));
  const sent = new Set<number>();
  for (const path of serverFiles) {
    const source = await read(path);
    for (const [, name] of source.matchAll(/\bCloseCode\.(\w+)/g)) {
      const code = (CloseCode as Record<string, number>)[name];
      assert.ok(code, `${path} uses CloseCode.${name}, which does not exist`);
      sent.add(code);
    }
    // A literal code passed to close() counts as well.
    for (const [, code] of source.matchAll(/\.close\(\s*(\d{4})\b/g)) sent.add(Number(code));
  }
  const listed = tableRows(section(protocol, "Close codes")).map(([code]) => Number(code));
  assert.deepEqual(sorted(listed), sorted(sent));
});

Deno.test("PROTOCOL.md's event type table matches EventType", () => {
  const listed: Record<string, number> = {};
  for (const [number, name] of tableRows(section(protocol, "Event types (bits 0-4)"))) {
    // A range row: "6-10 | CUSTOM_1…5" stands for CUSTOM_1 = 6 … CUSTOM_5 = 10.
    const numbers = /^(\d+)-(\d+)$/.exec(number);
    const names = /^(\w+?)(\d+)(?:…|\.\.)(\d+)$/.exec(name);
    if (numbers && names) {
      const [first, last] = [Number(numbers[1]), Number(numbers[2])];
      assert.equal(last - first, Number(names[3]) - Number(names[2]), `row "${number} | ${name}"`);
      for (let i = 0; i <= last - first; i++) {
        listed[`${names[1]}${Number(names[2]) + i}`] = first + i;
      }
    } else {
      assert.match(number, /^\d+$/, `row "${number} | ${name}" is not one type or a range`);
      listed[name] = Number(number);
    }
  }
  assert.deepEqual(listed, { ...EventType });
  // Docs also name types in code as `EventType.X`; each must exist.
  for (const doc of allDocs) {
    for (const [, name] of fullText(doc).matchAll(/\bEventType\.(\w+)/g)) {
      assert.ok(name in EventType, `${doc.path} names EventType.${name}, which does not exist`);
    }
  }
});

Deno.test("PROTOCOL.md gives the flag bits and rejected type numbers the codec uses", () => {
  const text = protocol.prose.join("\n");
  const layout = protocol.blocks.map((block) => block.lines.join("\n")).join("\n");
  const bit = (pattern: RegExp, where: string) => {
    const match = pattern.exec(where);
    assert.ok(match, `PROTOCOL.md does not match ${pattern}`);
    return Number(match[1]);
  };
  assert.equal(bit(/\*\*REQUEST \((0x[0-9a-f]+)\)\*\*/i, text), FLAG_REQUEST);
  assert.equal(bit(/\*\*END \((0x[0-9a-f]+)\)\*\*/i, text), FLAG_END);
  assert.equal(bit(/\*\*BINARY \((0x[0-9a-f]+)\)\*\*/i, text), FLAG_BINARY);
  assert.equal(1 << bit(/bit (\d) BINARY flag/, layout), FLAG_BINARY);
  assert.equal(bit(/from `(0x[0-9a-f]+)` up \(`SERVER_CALL_BIT`\)/i, text), SERVER_CALL_BIT);
  assert.equal(1 << bit(/bit (\d) END flag/, layout), FLAG_END);
  assert.equal(1 << bit(/bit (\d) REQUEST flag/, layout), FLAG_REQUEST);
  assert.equal((1 << (bit(/bits 0-(\d) event type/, layout) + 1)) - 1, TYPE_MASK);
  const rejected = /Type numbers (\d+)-(\d+) are rejected/.exec(text);
  assert.ok(rejected, "PROTOCOL.md does not say which type numbers are rejected");
  assert.deepEqual([Number(rejected[1]), Number(rejected[2])], [MAX_EVENT_TYPE + 1, TYPE_MASK]);
  assert.equal(bit(/type number above (\d+)/, text), MAX_EVENT_TYPE);
});

Deno.test("README.md and PROTOCOL.md describe the cancel frame the server handles", async () => {
  // The premise: dispatch ends a call when a client's frame has END set.
  const dispatch = await read("src/server/dispatch.ts");
  assert.match(dispatch, /if \(frame\.end\) \{[^}]*client\.calls\.cancel\(/);
  const end = protocol.prose.find((line) => line.startsWith("- **END ("));
  assert.ok(end, "PROTOCOL.md has no END flag entry");
  const entry = chunks(protocol).find((chunk) => chunk.startsWith(end.trim()));
  assert.match(entry ?? "", /client.*cancels/, "PROTOCOL.md's END entry omits the client's cancel");
  // What the docs said before clients could cancel.
  const stale = /no cancel frame|keeps running on the server|set by the server only/i;
  for (const doc of allDocs) {
    for (const chunk of chunks(doc)) assert.doesNotMatch(chunk, stale, `${doc.path}: "${chunk}"`);
  }
});

/**
 * `--name` flags that are not ssocket options: the command's own commands,
 * `deno task bench`'s flags (read from bench/run.ts, so a new one needs no
 * edit here) and Deno's `--config`. Deno's and npm's other flags are
 * kebab-case, which no option is.
 */
async function nonOptionFlags(): Promise<Set<string>> {
  const bench = await read("bench/run.ts");
  const benchFlags = [...bench.matchAll(/arg === "--([\w-]+)"/g)].map((match) => match[1]);
  assert.ok(benchFlags.length > 0, "bench/run.ts's flags were not found");
  return new Set([...Object.keys(COMMANDS), ...benchFlags, "config"]);
}

/** The `--name` flags written in a doc's code spans and shell blocks. */
function flagsIn(doc: Doc): string[] {
  const shell = doc.blocks.filter((block) => ["sh", "bash", "shell"].includes(block.lang));
  // Output samples (```text) are left out: the README shows a mistyped flag there on purpose.
  const commands = shell.flatMap((block) => block.lines).map((line) => line.replace(/\s#.*$/, ""));
  const texts = [...codeSpans(doc.prose.join("\n")), ...commands];
  return texts.flatMap((text) =>
    [...text.matchAll(/(?:^|[\s(])--([A-Za-z][\w.-]*)/g)].map((match) => match[1])
  );
}

/**
 * Code spans that look like an option's name: camelCase (`payloadLimit`),
 * a dotted path (`INSECURE.port`) or a group (`TLS`). Lower-case words
 * (`timeout`, `ws`) and constants (`PLUG_TIMEOUT`) are left out: next to
 * the options they are too often one or two edits away from one.
 */
function optionLikeNamesIn(doc: Doc): string[] {
  return codeSpans(doc.prose.join("\n")).filter((span) =>
    /^[A-Za-z]\w*\.\w+$/.test(span) || /^[a-z]+[A-Z]\w*$/.test(span) || /^[A-Z]+$/.test(span)
  );
}

/** Placeholders in the README's description of the flag syntax (`--name value`). */
const PLACEHOLDERS = new Set(["name"]);

Deno.test("README.md and PROTOCOL.md name only options that config.ts defines", async () => {
  const skip = await nonOptionFlags();
  const paths = [...CONFIG.keys(), ...GROUPS];
  const problems: string[] = [];
  for (const doc of [readme, protocol]) {
    for (const flag of flagsIn(doc)) {
      if (flag.includes("-") || skip.has(flag) || PLACEHOLDERS.has(flag)) continue;
      // A group alone is valid after -h (`ssocket -h --TLS`).
      if (!CONFIG.has(flag) && !GROUPS.has(flag)) problems.push(`${doc.path}: --${flag}`);
    }
    for (const name of optionLikeNamesIn(doc)) {
      // Event type names (`AUTH`, `SYNC`) are upper case like groups, and may be one edit from one.
      if (CONFIG.has(name) || GROUPS.has(name) || name in EventType) continue;
      // An unknown member of a real group (`INSECURE.prot`), or a near miss
      // of an option's name (`payloadLimt`), is a stale or mistyped option.
      const inGroup = TOP_LEVEL.has(name.split(".")[0]);
      const nearMiss = closest(name, paths);
      if (inGroup || nearMiss) {
        problems.push(`${doc.path}: \`${name}\`${nearMiss ? ` (did you mean ${nearMiss}?)` : ""}`);
      }
    }
  }
  const variables = new Set(OPTIONS.map((option) => option.env));
  for (const doc of allDocs) {
    for (const [name] of fullText(doc).matchAll(/\bSSOCKET_[A-Z0-9_]*[A-Z0-9]\b/g)) {
      if (!variables.has(name)) problems.push(`${doc.path}: ${name}`);
    }
  }
  assert.deepEqual(sorted(problems), []);
});

const SIZE_UNITS: Record<string, number> = { bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

Deno.test("README.md states the defaults config.ts has", () => {
  const problems: string[] = [];
  const check = (path: string, stated: unknown, where: string) => {
    if (!CONFIG.has(path)) problems.push(`${where}: ${path} is not an option`);
    else if (stated !== CONFIG.get(path)) {
      problems.push(`${where}: ${path} default ${stated}, config.ts ${CONFIG.get(path)}`);
    }
  };

  // The options table: "`ssocket --path value` | type | `default` | …".
  const [table] = tablesWith(readme, ["Example", "Default"]);
  assert.ok(table?.length, "README.md's options table was not found");
  for (const row of table) {
    const path = /^`ssocket --([\w.]+)/.exec(row.Example)?.[1];
    if (!path) {
      problems.push(`options table row "${row.Example}" names no option`);
      continue;
    }
    check(path, JSON.parse(row.Default.replaceAll("`", "")), "options table");
  }

  for (const doc of [readme, protocol]) {
    for (const chunk of chunks(doc)) {
      // "`--backpressureLimit` bytes (1 MiB)": a size in brackets after an option.
      for (
        const [, path, amount, unit] of chunk.matchAll(
          /`(?:--)?([\w.]+)[^`]*`[^`()|]{0,40}\((\d+(?:\.\d+)?) (bytes|KiB|MiB|GiB)\)/g,
        )
      ) {
        check(path, Number(amount) * SIZE_UNITS[unit], doc.path);
      }
      // "`plugTimeout` ms … (off by default)".
      for (
        const [, path] of chunk.matchAll(/`(?:--)?([\w.]+)[^`]*`[^`()|]{0,40}\(off by default\)/g)
      ) {
        const value = CONFIG.get(path);
        if (!(value === 0 || value === false || value === "")) {
          problems.push(`${doc.path}: ${path} is "off by default" but defaults to ${value}`);
        }
      }
    }
  }

  // "ssocket   # serve ./plugs on 0.0.0.0:8080": what the bare command serves.
  const commands = readme.blocks.flatMap((block) => block.lines);
  const bare = commands.map((line) => /^ssocket\s+#\s*serve (\S+) on ([\d.]+):(\d+)/.exec(line))
    .find((match) => match);
  assert.ok(bare, "README.md's bare `ssocket  # serve … on HOST:PORT` line was not found");
  check("plugsFolder", bare[1].startsWith(".") ? bare[1] : `./${bare[1]}`, "ssocket comment");
  check("INSECURE.hostname", bare[2], "ssocket comment");
  check("INSECURE.port", Number(bare[3]), "ssocket comment");

  assert.deepEqual(problems, []);
});

/**
 * GitHub's anchor for a heading: the rendered text lower-cased, with every
 * character but letters, digits, spaces, `-` and `_` dropped and spaces
 * turned into `-`; a repeated anchor gets `-1`, `-2`, ….
 */
function anchors(doc: Doc): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { text } of headings(doc)) {
    const rendered = text.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/[`*]/g, "");
    const base = rendered.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replaceAll(" ", "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

Deno.test("README.md and docs/*.md link only to files and headings that exist", async () => {
  const problems: string[] = [];
  let checked = 0;
  for (const doc of allDocs) {
    // Code spans can show link syntax without being links.
    const text = doc.prose.join("\n").replace(/`[^`\n]+`/g, "");
    for (const [link, target] of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: not files
      checked++;
      const [file, anchor] = target.split("#", 2);
      const url = new URL(file, new URL(doc.path, ROOT));
      let targetDoc = doc;
      if (file !== "") {
        try {
          await Deno.stat(url);
        } catch {
          problems.push(`${doc.path}: ${link}: no file ${file}`);
          continue;
        }
        if (anchor === undefined) continue;
        const path = decodeURIComponent(url.pathname.slice(ROOT.pathname.length));
        if (!path.endsWith(".md")) {
          problems.push(`${doc.path}: ${link}: an anchor into a file that is not Markdown`);
          continue;
        }
        targetDoc = await loadDoc(path);
      }
      if (anchor !== undefined && !anchors(targetDoc).has(anchor)) {
        problems.push(
          `${doc.path}: ${link}: no heading with anchor #${anchor} in ${targetDoc.path}`,
        );
      }
    }
  }
  assert.ok(checked > 0, "no relative link was found; is the link pattern broken?");
  assert.deepEqual(problems, []);
});

Deno.test("README.md's first code block runs only tasks deno.json defines", async () => {
  const tasks = Object.keys(JSON.parse(await read("deno.json")).tasks);
  const [first] = readme.blocks;
  const commands = first.lines.map((line) => line.replace(/#.*$/, "").trim()).filter(Boolean);
  assert.ok(commands.length > 0, "README.md's first code block is empty");
  for (const command of commands) {
    const task = /^(?:npx -y deno@[\d.]+|deno) task ([\w:-]+)$/.exec(command)?.[1];
    assert.ok(task, `"${command}" is not a deno task command`);
    assert.ok(tasks.includes(task), `"${command}": deno.json has no task "${task}"`);
  }
});

Deno.test("README.md names only deno tasks that deno.json defines", async () => {
  const tasks = Object.keys(JSON.parse(await read("deno.json")).tasks);
  const named = [...fullText(readme).matchAll(/\bdeno(?:@[\d.]+)? task ([\w:-]+)/g)].map((match) =>
    match[1]
  );
  assert.ok(named.length > 0);
  assert.deepEqual(sorted(named.filter((task) => !tasks.includes(task))), []);
});

Deno.test("README.md, docs and bench/run.ts give deno task bench one duration", async () => {
  const header = /^\/\*\*([\s\S]*?)\*\//.exec(await read("bench/run.ts"))![1];
  const texts: [string, string][] = [["bench/run.ts", header.replace(/\s*\n\s*\*/g, " ")]];
  for (const doc of allDocs) {
    for (const chunk of chunks(doc)) texts.push([doc.path, chunk]);
    for (const block of doc.blocks) for (const line of block.lines) texts.push([doc.path, line]);
  }
  const stated: string[] = [];
  for (const [path, text] of texts) {
    if (!/bench/.test(text)) continue;
    for (const [, minutes] of text.matchAll(/(?:about|~)\s*(\d+(?:\.\d+)?)\s*min(?:utes)?\b/g)) {
      stated.push(`${path}: ${minutes}`);
    }
  }
  const figures = sorted(stated.map((entry) => Number(entry.split(": ")[1])));
  assert.equal(figures.length, 1, `different bench durations: ${stated.join(", ")}`);
  assert.ok(stated.some((entry) => entry.startsWith("README.md")), "README.md states none");
  // Run times vary from machine to machine, but a latest run a minute or
  // more away from the stated figure means the figure has drifted.
  const measured = /whole run (\d+(?:\.\d+)?) min/.exec(LATEST_BENCH);
  assert.ok(measured, "bench/results/latest.md has no whole-run time");
  assert.ok(
    Math.abs(Number(measured[1]) - figures[0]) < 1,
    `latest run took ${measured[1]} min, the docs say about ${figures[0]}`,
  );
  // The README quotes that run's own time next to its tables.
  const quoted = [...chunks(readme).join("\n").matchAll(/whole run (\d+(?:\.\d+)?) min/g)];
  assert.deepEqual(sorted(quoted.map((match) => match[1])), [measured[1]]);
});

Deno.test("README.md quotes the edit-memory figures of bench/results/latest.md", () => {
  const latest = parseDoc("bench/results/latest.md", LATEST_BENCH);
  const [row] = tablesWith(latest, ["growth MiB", "KiB per edit"])[0] ?? [];
  assert.ok(row, "bench/results/latest.md has no edit-growth table");
  const growth = Number(row["growth MiB"]);
  const perEdit = Number(row["KiB per edit"]);
  const problems: string[] = [];
  let quoted = 0;
  for (const chunk of chunks(readme)) {
    for (const [, kib] of chunk.matchAll(/(\d+(?:\.\d+)?) KiB per edit/g)) {
      quoted++;
      if (Number(kib) !== perEdit) problems.push(`${kib} KiB per edit, latest ${perEdit}`);
    }
    // Any MiB figure said about plug edits is the RSS growth.
    if (!/\bedits?\b/.test(chunk)) continue;
    for (const [, mib] of chunk.matchAll(/(\d+(?:\.\d+)?) MiB/g)) {
      quoted++;
      if (Number(mib) !== growth) problems.push(`${mib} MiB after edits, latest ${growth}`);
    }
  }
  assert.ok(quoted > 0, "README.md quotes no edit-memory figure");
  assert.deepEqual(problems, []);
});
