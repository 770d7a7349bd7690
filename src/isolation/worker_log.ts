/**
 * `server.log` inside a Worker: each line is formatted here and written by
 * the server's logger, in order with everything else the Worker sends.
 *
 * @example
 * ```ts ignore
 * const log = workerLog(link);
 * log.info("joined", { room: "lobby" }); // the server logs: joined {"room":"lobby"}
 * ```
 * @module
 */

import type { Logger } from "../log.ts";
import type { Link } from "./api_proxy.ts";

/** One logged value as text: errors with their stack, objects as JSON. */
export function format(part: unknown): string {
  if (typeof part === "string") return part;
  if (part instanceof Error) return part.stack ?? `${part.name}: ${part.message}`;
  try {
    return typeof part === "object" ? JSON.stringify(part) : String(part);
  } catch {
    return String(part);
  }
}

/** A logger that writes through the server's. */
export function workerLog(link: Link): Logger {
  const write = (level: string) => (...parts: unknown[]) =>
    link.notify("log", level, parts.map(format).join(" "));
  return {
    enabled: () => true,
    error: write("error"),
    warn: write("warn"),
    info: write("info"),
    debug: write("debug"),
  } as unknown as Logger;
}
