/**
 * A small leveled logger. Each server owns one, built from its config; there
 * is no global logger.
 *
 * @example
 * ```ts
 * import { Logger } from "./log.ts";
 * const log = new Logger({ logLevel: "debug", printLogToConsole: true, logSizeLimit: 1000 });
 * log.info("listening on", 8080);
 * log.warn("Plug failed", fields({ event: "chat/send", code: "PLUG_ERROR" }));
 * ```
 * @module
 */

import type { LogFormat, LogLevel } from "../config.ts";

const SEVERITY: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Where log lines go; tests and embedders can collect them. */
export type LogSink = (level: LogLevel, line: string) => void;

/** The subset of the config the logger reads. */
export interface LoggerOptions {
  /** Least severe level written. */
  logLevel: LogLevel;
  /** Write to the console. */
  printLogToConsole: boolean;
  /** Longest line in characters (in JSON, of its `msg`). */
  logSizeLimit: number;
  /** "text" (the default) or "json": one object per line for log shippers. */
  logFormat?: LogFormat;
}

/**
 * Named values attached to a log line: `event`, `connection`, `code`…
 * Shippers index them as JSON keys; text lines end with `key=value` pairs.
 */
export class LogFields {
  /** The fields, as given. */
  readonly values: Readonly<Record<string, unknown>>;
  constructor(values: Record<string, unknown>) {
    this.values = values;
  }
}

/**
 * Fields for a log line; pass the result as any part of a log call.
 *
 * @example
 * ```ts
 * import { fields, Logger } from "./log.ts";
 * const log = new Logger({ logLevel: "info", printLogToConsole: true, logSizeLimit: 1000, logFormat: "json" });
 * log.info("Connection opened", fields({ connection: "abc" }));
 * ```
 */
export function fields(values: Record<string, unknown>): LogFields {
  return new LogFields(values);
}

/** Keys a field may not take in JSON lines, since the line itself uses them. */
const RESERVED = new Set(["time", "level", "msg"]);

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
  readonly #json: boolean;

  /**
   * @param options level, console output and line length limit
   * @param sink an extra destination for lines (besides the console)
   */
  constructor(options: LoggerOptions, sink?: LogSink) {
    this.#threshold = SEVERITY[options.logLevel] ?? SEVERITY.info;
    this.#limit = options.logSizeLimit;
    this.#json = options.logFormat === "json";
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
    const time = new Date().toISOString();
    const line = this.#json
      ? this.#jsonLine(time, level, parts)
      : this.#textLine(time, level, parts);
    for (const sink of this.#sinks) sink(level, line);
  }

  #textLine(time: string, level: LogLevel, parts: unknown[]): string {
    const text = parts.map((part) =>
      part instanceof LogFields
        ? Object.entries(part.values).map(([key, value]) => `${key}=${format(value)}`).join(" ")
        : format(part)
    ).join(" ");
    return `${time} ${level.toUpperCase().padEnd(5)} ${this.#cut(text)}`;
  }

  /** One JSON object: errors go to `error` (their stack), fields to their own keys. */
  #jsonLine(time: string, level: LogLevel, parts: unknown[]): string {
    const record: Record<string, unknown> = { time, level, msg: "" };
    const words: string[] = [];
    for (const part of parts) {
      if (part instanceof LogFields) {
        for (const [key, value] of Object.entries(part.values)) {
          record[RESERVED.has(key) ? `field_${key}` : key] = value;
        }
      } else if (part instanceof Error) {
        record.error = format(part);
      } else {
        words.push(format(part));
      }
    }
    // A message that ends with ":" introduced the error now moved to `error`.
    record.msg = this.#cut(words.join(" ").replace(/:$/, ""));
    try {
      return JSON.stringify(record);
    } catch {
      return JSON.stringify({ time, level, msg: record.msg });
    }
  }

  #cut(text: string): string {
    return text.length > this.#limit ? text.slice(0, this.#limit) + "…" : text;
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
