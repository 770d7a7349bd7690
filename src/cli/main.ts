/**
 * The `ssocket` command: parse flags into a config, start the server, stop
 * cleanly on SIGINT/SIGTERM.
 *
 * @example
 * ```sh
 * deno run -A src/mod.ts --INSECURE.port 6969
 * ```
 * @module
 */

import { type Config, withDefaults } from "../../config.ts";
import { CloseCode } from "../protocol/errors.ts";
import { serve } from "../server/serve.ts";

/** Applies `--a.b value` / `--a.b=value` flags onto the defaults (minimal parser). */
export function parseFlags(args: string[]): Config {
  const config = withDefaults() as unknown as Record<string, unknown>;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) throw new Error(`Unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const key = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const raw = eq === -1 ? args[++i] : arg.slice(eq + 1);
    const path = key.split(".");
    let target = config;
    for (const part of path.slice(0, -1)) target = target[part] as Record<string, unknown>;
    const last = path[path.length - 1];
    const current = target[last];
    target[last] = typeof current === "number"
      ? Number(raw)
      : typeof current === "boolean"
      ? raw === "true"
      : raw;
  }
  return config as unknown as Config;
}

/** Runs the command; resolves when the server has stopped. */
export async function main(args: string[]): Promise<number> {
  const config = parseFlags(args);
  const server = await serve({ config });
  const { promise: stopped, resolve } = Promise.withResolvers<void>();
  const stop = () => {
    server.log.info(`Shutting down (closing connections with ${CloseCode.GOING_AWAY})`);
    server.close().then(resolve);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await stopped;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}
