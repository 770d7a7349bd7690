/**
 * Builds `config_docs.json`, the type and doc comment of every option in
 * `config.ts`, from `deno doc --json config.ts`. The doc comments stay the one
 * source of truth; this file only makes them readable offline by the
 * installed command. Run `deno task docs:config` after editing `config.ts`; a
 * test regenerates the docs and fails when the checked-in file is stale.
 *
 * @example
 * ```sh
 * deno run --allow-read --allow-run --allow-write=src/cli/config_docs.json src/cli/gen_config_docs.ts
 * ```
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import type { ConfigDocs, OptionDoc } from "./options.ts";

/** The generated file, next to this one. */
export const CONFIG_DOCS_PATH: string = fromFileUrl(new URL("./config_docs.json", import.meta.url));

/** The config file whose doc comments are read. */
export const CONFIG_PATH: string = fromFileUrl(new URL("../../config.ts", import.meta.url));

// The parts of `deno doc --json` output read here.
interface DocType {
  kind: string;
  repr: string;
  value?: unknown;
}
interface DocProperty {
  name: string;
  jsDoc?: { doc?: string };
  tsType?: DocType;
}
interface DocDeclaration {
  kind: string;
  jsDoc?: { doc?: string };
  def?: { properties?: DocProperty[]; tsType?: DocType };
}
interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}

/**
 * Turns `deno doc --json config.ts` output into a map from option path
 * (`"INSECURE.port"`) to its type and doc text. Groups (`"INSECURE"`) get
 * type `"group"`; string-literal unions become `"enum"` with their values.
 *
 * @param denoDoc parsed output of `deno doc --json config.ts`
 * @param rootName the interface holding every option
 * @returns the documentation of every option, in declaration order
 * @throws {TypeError} when the root interface or a referenced type is missing
 *
 * @example
 * ```ts ignore
 * const docs = configDocsFrom(JSON.parse(denoDocOutput));
 * console.log(docs["payloadLimit"].type); // "number"
 * ```
 */
export function configDocsFrom(denoDoc: unknown, rootName = "Config"): ConfigDocs {
  const nodes = (denoDoc as { nodes?: Record<string, { symbols?: DocSymbol[] }> }).nodes ?? {};
  const symbols = new Map<string, DocDeclaration>();
  for (const node of Object.values(nodes)) {
    for (const symbol of node.symbols ?? []) symbols.set(symbol.name, symbol.declarations[0]);
  }
  const docs: ConfigDocs = {};
  const walk = (interfaceName: string, prefix: string) => {
    const declaration = symbols.get(interfaceName);
    if (declaration?.kind !== "interface") {
      throw new TypeError(`Cannot find interface "${interfaceName}" in the config docs`);
    }
    for (const property of declaration.def?.properties ?? []) {
      const path = prefix + property.name;
      const doc = (property.jsDoc?.doc ?? "").trim();
      const type = property.tsType;
      const referenced = type?.kind === "typeRef" ? symbols.get(type.repr) : undefined;
      if (referenced?.kind === "interface") {
        docs[path] = { type: "group", doc };
        walk(type!.repr, path + ".");
      } else if (referenced?.kind === "typeAlias") {
        docs[path] = { type: "enum", doc, values: literalsOf(referenced.def?.tsType, path) };
      } else {
        docs[path] = { type: keywordOf(type, path), doc };
      }
    }
  };
  walk(rootName, "");
  return docs;
}

function keywordOf(type: DocType | undefined, path: string): OptionDoc["type"] {
  if (type?.kind === "keyword" && ["number", "boolean", "string"].includes(type.repr)) {
    return type.repr as OptionDoc["type"];
  }
  throw new TypeError(`Option "${path}" has type "${type?.repr}"; use number, boolean or string`);
}

function literalsOf(type: DocType | undefined, path: string): string[] {
  const members = type?.kind === "union" ? type.value as DocType[] : [];
  const values = members.map((member) =>
    member.kind === "literal" ? (member.value as { string?: string }).string : undefined
  );
  if (values.length === 0 || values.some((value) => value === undefined)) {
    throw new TypeError(`Option "${path}" must be a union of string literals`);
  }
  return values as string[];
}

/**
 * Runs `deno doc --json` on `config.ts` and returns its option docs.
 *
 * @param configPath the config file to document
 * @returns the documentation of every option
 * @throws {Error} when `deno doc` fails
 *
 * @example
 * ```ts ignore
 * const docs = await generateConfigDocs();
 * ```
 */
export async function generateConfigDocs(configPath: string = CONFIG_PATH): Promise<ConfigDocs> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", configPath],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`"deno doc --json ${configPath}" failed: ${new TextDecoder().decode(stderr)}`);
  }
  return configDocsFrom(JSON.parse(new TextDecoder().decode(stdout)));
}

/** The text of `config_docs.json` for `docs`, formatted as `deno fmt` leaves it. */
export function renderConfigDocs(docs: ConfigDocs): string {
  return JSON.stringify(docs, null, 2) + "\n";
}

if (import.meta.main) {
  const docs = await generateConfigDocs();
  await Deno.writeTextFile(CONFIG_DOCS_PATH, renderConfigDocs(docs));
  console.log(`Wrote ${Object.keys(docs).length} option docs to ${CONFIG_DOCS_PATH}`);
}
