/**
 * What plug Workers may do, from the `isolation.allow*` options: the
 * `deno.permissions` of each Worker, and the flags of the host process
 * (which must hold at least as much: a Worker cannot get more than its
 * parent). Reading is always allowed for the plugs folder and for ssocket's
 * own modules (a plug's `import "ssocket"` reads them).
 *
 * @example
 * ```ts
 * import { hostFlags, workerPermissions } from "./permissions.ts";
 * const options = { allowNet: "*", allowRead: "", allowEnv: "HOME", allowWrite: "", allowRun: "" };
 * const permissions = workerPermissions(options, ["/srv/plugs"]);
 * console.log(permissions.env, hostFlags(permissions).includes("--allow-env=HOME")); // ["HOME"] true
 * ```
 * @module
 */

import { fileURLToPath } from "node:url";
import type { IsolationOptions } from "../../config.ts";

type Grant = boolean | string[];

/** A Worker's permissions (the `deno.permissions` Worker option). */
export interface WorkerPermissions {
  net: Grant;
  read: Grant;
  env: Grant;
  write: Grant;
  run: Grant;
  ffi: false;
  sys: false;
}

/** Parses a comma list: "*" is everything, "" nothing. */
export function parseGrant(list: string): Grant {
  const items = list.split(",").map((item) => item.trim()).filter((item) => item !== "");
  if (items.includes("*")) return true;
  return items.length === 0 ? false : items;
}

/** ssocket's own module files, which every Worker must read to import "ssocket". */
function ownModules(): string[] {
  const src = new URL("../", import.meta.url);
  if (src.protocol !== "file:") return [];
  return [fileURLToPath(src), fileURLToPath(new URL("../../config.ts", import.meta.url))];
}

/**
 * The permissions of every plug Worker.
 *
 * @param options the `isolation` options
 * @param readable folders always readable (the plugs folder)
 */
export function workerPermissions(
  options: Pick<
    IsolationOptions,
    "allowNet" | "allowRead" | "allowEnv" | "allowWrite" | "allowRun"
  >,
  readable: string[],
): WorkerPermissions {
  const read = parseGrant(options.allowRead);
  return {
    net: parseGrant(options.allowNet),
    read: read === true ? true : [...readable, ...ownModules(), ...(read || [])],
    env: parseGrant(options.allowEnv),
    write: parseGrant(options.allowWrite),
    run: parseGrant(options.allowRun),
    ffi: false,
    sys: false,
  };
}

/** The `--allow-*` flags that give the host process exactly what its Workers get. */
export function hostFlags(permissions: WorkerPermissions): string[] {
  const flags: string[] = [];
  for (const name of ["net", "read", "env", "write", "run"] as const) {
    const grant = permissions[name];
    if (grant === true) flags.push(`--allow-${name}`);
    else if (grant) flags.push(`--allow-${name}=${grant.join(",")}`);
  }
  return flags;
}
