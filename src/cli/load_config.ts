/**
 * Builds the configuration from its layers, lowest to highest: the defaults
 * in `config.ts`, then `ssocket.config.ts`/`.json` in the working folder,
 * then `SSOCKET_*` environment variables, then command-line flags.
 *
 * @example
 * ```ts ignore
 * import { loadConfig } from "./load_config.ts";
 * const { config } = await loadConfig({
 *   cwd: Deno.cwd(),
 *   env: Deno.env.toObject(),
 *   flags: { INSECURE: { port: 6969 } },
 * });
 * ```
 * @module
 */

import { type Config, type PartialConfig, withDefaults } from "../../config.ts";
import { readConfigFile } from "./config_file.ts";
import { overridesFromEnv } from "./env.ts";
import { mergeLayers } from "./values.ts";

/** Where configuration comes from, besides the defaults. */
export interface ConfigSources {
  /** The working folder, searched for a config file. */
  cwd: string;
  /** The environment variables. */
  env: Readonly<Record<string, string>>;
  /** Overrides parsed from command-line flags. */
  flags: PartialConfig;
}

/** The resolved configuration and where it came from. */
export interface LoadedConfig {
  /** The full configuration. */
  config: Config;
  /** The config file read, if any. */
  file?: string;
}

/**
 * Resolves the configuration from every layer.
 *
 * @param sources the working folder, environment and flag overrides
 * @returns the full configuration
 * @throws {TypeError} for an unknown option or a wrong type in any layer
 * @throws {RangeError} for an out-of-range number in any layer
 * @throws {SyntaxError} for an unparsable `ssocket.config.json`
 */
export async function loadConfig(sources: ConfigSources): Promise<LoadedConfig> {
  const file = await readConfigFile(sources.cwd);
  const env = overridesFromEnv(sources.env);
  const merged = mergeLayers(file?.overrides ?? {}, env, sources.flags);
  return { config: withDefaults(merged), file: file?.path };
}
