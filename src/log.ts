/**
 * A small leveled logger. Each server owns one, built from its config; there
 * is no global logger.
 *
 * @example
 * ```ts
 * import { Logger } from "./log.ts";
 * const log = new Logger({ logLevel: "debug", printLogToConsole: true, logSizeLimit: 1000 });
 * log.info("listening on", 8080);
 * ```
 * @module
 */

import type { LogLevel } from "../config.ts";

const SEVERITY: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Where log lines go; tests and embedders can collect them. */
export type LogSink = (level: LogLevel, line: string) => void;

/** The subset of the config the logger reads. */
export interface LoggerOptions {
  /** Least severe level written. */
  logLevel: LogLevel;
  /** Write to the console. */
  printLogToConsole: boolean;
  /** Longest line in characters. */
  logSizeLimit: number;
}

const consoleSink: LogSink = (level, line) => {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

/** Writes timestamped lines at or above the configured level. */
export class Logger {
  readonly #threshold: number;
  readonly #limit: number;
  readonly #sinks: LogSink[] = [];

  /**
   * @param options level, console output and line length limit
   * @param sink an extra destination for lines (besides the console)
   */
  constructor(options: LoggerOptions, sink?: LogSink) {
    this.#threshold = SEVERITY[options.logLevel] ?? SEVERITY.info;
    this.#limit = options.logSizeLimit;
    if (options.printLogToConsole) this.#sinks.push(consoleSink);
    if (sink) this.#sinks.push(sink);
  }

  /** True when lines of `level` are written; use it to skip costly messages. */
  enabled(level: LogLevel): boolean {
    return SEVERITY[level] <= this.#threshold && this.#sinks.length > 0;
  }

  /** Something failed and needs attention. */
  error(...parts: unknown[]): void {
    this.#write("error", parts);
  }
  /** Something odd that the server worked around. */
  warn(...parts: unknown[]): void {
    this.#write("warn", parts);
  }
  /** Normal operation: start, stop, plug loads. */
  info(...parts: unknown[]): void {
    this.#write("info", parts);
  }
  /** Detail for diagnosing problems. */
  debug(...parts: unknown[]): void {
    this.#write("debug", parts);
  }

  #write(level: LogLevel, parts: unknown[]): void {
    if (!this.enabled(level)) return;
    let text = parts.map(format).join(" ");
    if (text.length > this.#limit) text = text.slice(0, this.#limit) + "…";
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}`;
    for (const sink of this.#sinks) sink(level, line);
  }
}

function format(part: unknown): string {
  if (typeof part === "string") return part;
  if (part instanceof Error) return part.stack ?? `${part.name}: ${part.message}`;
  try {
    return typeof part === "object" ? JSON.stringify(part) : String(part);
  } catch {
    return String(part);
  }
}
