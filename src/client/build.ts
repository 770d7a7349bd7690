/**
 * Builds the browser bundle the server serves at `/ssocket.js`: `deno bundle`
 * of `mod.ts`, minified, with a linked source map that embeds the sources.
 * The output is committed in `dist/`, so the server needs neither a build
 * step nor `--allow-run`; a test rebuilds it and fails if it drifted.
 *
 * This script is Deno-only and not part of the client module.
 *
 * @example
 * ```sh
 * deno run -A src/client/build.ts          # writes src/client/dist/ssocket.js(.map)
 * deno run -A src/client/build.ts --check  # exits 1 if dist/ is out of date
 * ```
 * @module
 */

import { join, relative, resolve, sep } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

/** The folder holding the committed bundle. */
export const DIST_URL: URL = new URL("./dist/", import.meta.url);
/** The bundle's file name; its map is the same name plus `.map`. */
export const BUNDLE_NAME = "ssocket.js";

// The bundle is generated: formatting and lint rules do not apply to it.
const HEADER = [
  "// Generated from src/client/mod.ts by `deno task build:client`; do not edit.",
  "// deno-fmt-ignore-file",
  "// deno-lint-ignore-file",
  "",
].join("\n");
const HEADER_LINES = 3;

/** The bundle and its source map, as text. */
export interface ClientBundle {
  js: string;
  map: string;
}

/**
 * Bundles the client into memory. Source paths in the map are made relative
 * to `dist/`, so the output is the same whichever temporary folder it was
 * built in.
 *
 * @throws {Error} if `deno bundle` fails
 */
export async function buildClient(): Promise<ClientBundle> {
  const dir = await Deno.makeTempDir({ prefix: "ssocket_bundle_" });
  try {
    const out = join(dir, BUNDLE_NAME);
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--platform=browser",
        "--minify",
        "--keep-names",
        "--sourcemap=linked",
        "--no-lock",
        "-o",
        out,
        fromFileUrl(new URL("./mod.ts", import.meta.url)),
      ],
      cwd: fromFileUrl(new URL("../../", import.meta.url)),
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!success) throw new Error(`deno bundle failed: ${new TextDecoder().decode(stderr)}`);
    const js = await Deno.readTextFile(out);
    const map = JSON.parse(await Deno.readTextFile(`${out}.map`));
    const dist = fromFileUrl(DIST_URL);
    map.sources = (map.sources as string[]).map((source) =>
      relative(dist, resolve(dir, source)).split(sep).join("/")
    );
    // One ";" per header line shifts every mapping down past the header.
    map.mappings = ";".repeat(HEADER_LINES) + map.mappings;
    return { js: HEADER + js, map: JSON.stringify(map) + "\n" };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Reads the committed bundle. */
export async function readCommittedBundle(): Promise<ClientBundle> {
  return {
    js: await Deno.readTextFile(new URL(BUNDLE_NAME, DIST_URL)),
    map: await Deno.readTextFile(new URL(`${BUNDLE_NAME}.map`, DIST_URL)),
  };
}

if (import.meta.main) {
  const built = await buildClient();
  if (Deno.args.includes("--check")) {
    const committed = await readCommittedBundle().catch(() => undefined);
    if (committed?.js !== built.js || committed?.map !== built.map) {
      console.error("src/client/dist/ is out of date; run `deno task build:client`");
      Deno.exit(1);
    }
  } else {
    await Deno.mkdir(DIST_URL, { recursive: true });
    await Deno.writeTextFile(new URL(BUNDLE_NAME, DIST_URL), built.js);
    await Deno.writeTextFile(new URL(`${BUNDLE_NAME}.map`, DIST_URL), built.map);
    console.log(`Wrote ${fromFileUrl(new URL(BUNDLE_NAME, DIST_URL))} (${built.js.length} bytes)`);
  }
}
