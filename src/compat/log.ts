/**
 * `Log`, the static logger serverless-sockets plugs and INIT files called.
 * ssocket has no global logger (each server owns one, built from its
 * config), so these lines go to the console in the server's line format but
 * do not follow `logLevel` or `printLogToConsole`: move to `server.log`
 * (`client.server.log` in a plug) to get that.
 *
 * @example
 * ```ts ignore
 * import { Log } from "ssocket";
 * Log.info("plug loaded"); // 2025-01-01T12:00:00.000Z INFO  plug loaded
 * ```
 * @module
 */

import { Logger } from "../log.ts";

const CONSOLE = new Logger({ logLevel: "debug", printLogToConsole: true, logSizeLimit: 10_000 });
const DONE: Promise<void> = Promise.resolve();

/**
 * The old static logger. Each method writes one line to the console and,
 * as in serverless-sockets, returns a promise.
 *
 * @deprecated Use `server.log` (`client.server.log` in a plug): `info`, `warn`, `error`, `debug`.
 */
export class Log {
  /** @deprecated Use `server.log.info(message)`. */
  static info(message: unknown): Promise<void> {
    CONSOLE.info(message);
    return DONE;
  }

  /** @deprecated Use `server.log.warn(message)`. */
  static warning(message: unknown): Promise<void> {
    CONSOLE.warn(message);
    return DONE;
  }

  /** @deprecated Use `server.log.error(message)`. */
  static error(message: unknown): Promise<void> {
    CONSOLE.error(message);
    return DONE;
  }

  /**
   * Runs `fn`; if it throws (or rejects), logs the error and resolves to null.
   *
   * @deprecated Use `try { ... } catch (err) { server.log.error(err) }`.
   */
  static async silent<T>(fn: () => T): Promise<Awaited<T> | null> {
    try {
      return await fn();
    } catch (err) {
      CONSOLE.error(err);
      return null;
    }
  }
}
