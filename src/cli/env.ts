/**
 * The environment layer: `SSOCKET_*` variables as option overrides. Each
 * option's variable is its path in upper snake case (see `envName`):
 * `INSECURE.port` → `SSOCKET_INSECURE_PORT`, `payloadLimit` →
 * `SSOCKET_PAYLOAD_LIMIT`, `memoryMetrics.isOn` → `SSOCKET_MEMORY_METRICS_IS_ON`.
 *
 * @example
 * ```ts
 * import { overridesFromEnv } from "./env.ts";
 * overridesFromEnv({ SSOCKET_INSECURE_PORT: "9000", HOME: "/root" });
 * // { INSECURE: { port: 9000 } }
 * ```
 * @module
 */

import type { PartialConfig } from "../../config.ts";
import { ENV_PREFIX, OPTIONS } from "./options.ts";
import { closest } from "./suggest.ts";
import { parseValue, setValue } from "./values.ts";

/**
 * Reads every `SSOCKET_*` variable of `env` into a partial config. Other
 * variables are ignored; an unknown `SSOCKET_*` name is an error, since it is
 * almost always a typo.
 *
 * @param env the environment, e.g. `Deno.env.toObject()`
 * @returns the overrides the variables set
 * @throws {TypeError} for an unknown `SSOCKET_*` variable or a value of the wrong type
 * @throws {RangeError} for an out-of-range number
 *
 * @example
 * ```ts
 * import { overridesFromEnv } from "./env.ts";
 * overridesFromEnv({ SSOCKET_SECURE: "true" }); // { secure: true }
 * ```
 */
export function overridesFromEnv(env: Readonly<Record<string, string>>): PartialConfig {
  const overrides: PartialConfig = {};
  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(ENV_PREFIX)) continue;
    const option = OPTIONS.find((candidate) => candidate.env === name);
    if (!option) {
      const suggestion = closest(name, OPTIONS.map((candidate) => candidate.env));
      throw new TypeError(
        `Unknown environment variable "${name}"${
          suggestion ? `; did you mean "${suggestion}"?` : ""
        }`,
      );
    }
    setValue(overrides, option, parseValue(option, raw, `${name} (${option.path})`));
  }
  return overrides;
}
