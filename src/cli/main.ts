/**
 * The `ssocket` command: parse the arguments, resolve the configuration from
 * its layers, then print help or the version, generate a plug, or serve until
 * SIGINT/SIGTERM.
 *
 * Exit status: 0 on success and after a clean shutdown, 1 when start-up
 * (e.g. `INIT`) or `--generate` fails, 2 for a usage or configuration error,
 * reported before anything starts.
 *
 * @example
 * ```sh
 * deno run -A src/mod.ts --INSECURE.port 6969
 * ```
 * @module
 */

import type { Config } from "../../config.ts";
import { Logger } from "../log.ts";
import { CloseCode } from "../protocol/errors.ts";
import type { Runtime } from "../server/runtime.ts";
import { start } from "../server/start.ts";
import { VERSION } from "../version.ts";
import { parseArgs } from "./flags.ts";
import { generatePlug } from "./generate.ts";
import { generateTypes } from "./types_gen.ts";
import { renderHelp } from "./help.ts";
import { loadConfig } from "./load_config.ts";

/** Exit status of a clean run. */
export const EXIT_OK = 0;
/** Exit status when start-up or a command fails. */
export const EXIT_FAILURE = 1;
/** Exit status for a usage or configuration error. */
export const EXIT_USAGE = 2;

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * Runs the command and resolves with its exit status (after the server has
 * stopped, when serving).
 *
 * @param args the arguments after the command name
 * @returns the exit status
 *
 * @example
 * ```ts ignore
 * Deno.exit(await main(["--version"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let command;
  let config: Config;
  try {
    command = parseArgs(args);
    if (command.kind === "help") {
      console.log(renderHelp(command.topics).trimEnd());
      return EXIT_OK;
    }
    if (command.kind === "version") {
      console.log(`ssocket ${VERSION}`);
      return EXIT_OK;
    }
    ({ config } = await loadConfig({
      cwd: Deno.cwd(),
      env: Deno.env.toObject(),
      flags: command.overrides,
    }));
  } catch (err) {
    console.error(`ssocket: ${err instanceof Error ? err.message : err}`);
    console.error(`Run "ssocket -h" to list every option`);
    return EXIT_USAGE;
  }
  if (command.kind === "generate") {
    try {
      const file = await generatePlug(command.name, config.plugsFolder);
      console.log(`Created ${file}; it answers event "${command.name}"`);
      return EXIT_OK;
    } catch (err) {
      console.error(`ssocket: ${err instanceof Error ? err.message : err}`);
      return EXIT_FAILURE;
    }
  }
  if (command.kind === "types") {
    try {
      const { file, events } = await generateTypes(config.plugsFolder, command.file);
      console.log(`Wrote the types of ${events.length} plug(s) to ${file}`);
      return EXIT_OK;
    } catch (err) {
      console.error(`ssocket: ${err instanceof Error ? err.message : err}`);
      return EXIT_FAILURE;
    }
  }
  return await run(config);
}

/**
 * Serves until SIGINT or SIGTERM, then drains: new connections get 503 and
 * new messages SHUTTING_DOWN while running plugs have `shutdownGrace` ms to
 * finish; then connections close with 1001. A second signal closes at once.
 */
async function run(config: Config): Promise<number> {
  const log = new Logger(config);
  const { promise: stopRequested, resolve: requestStop } = Promise.withResolvers<string>();
  let onSignal = (signal: string) => requestStop(signal);
  const handlers = SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  try {
    let runtime: Runtime;
    try {
      runtime = await start({ config, log });
    } catch (err) {
      // Shown even when console logging is off: the process is about to exit.
      new Logger({ ...config, printLogToConsole: true }).error("Start-up failed:", err);
      return EXIT_FAILURE;
    }
    const signal = await stopRequested;
    log.info(
      `Received ${signal}; draining: ${runtime.callsRunning} running plug(s) get up to ` +
        `${config.shutdownGrace} ms, then connections close with ${CloseCode.GOING_AWAY}`,
    );
    onSignal = (again) => {
      log.warn(`Received ${again} while draining; closing now`);
      void runtime.close();
    };
    const unfinished = await runtime.drain(config.shutdownGrace);
    if (unfinished > 0) log.warn(`Stopped ${unfinished} plug(s) still running after the grace`);
    log.info("Stopped");
    return EXIT_OK;
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  }
}
