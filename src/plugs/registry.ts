/**
 * The event name → current plug map. Swaps are atomic: a message looks up
 * the plug once and keeps that version for its whole run, so a reload never
 * changes a generator that is already running.
 *
 * @example
 * ```ts
 * import { PlugRegistry } from "./registry.ts";
 * const registry = new PlugRegistry();
 * registry.set({ event: "echo", file: "/p/echo.ts", hash: "1", handlers: [] });
 * registry.get("echo")?.file; // "/p/echo.ts"
 * ```
 * @module
 */

import type { Plug } from "./types.ts";

/** Holds the plug currently serving each event. */
export class PlugRegistry {
  readonly #plugs = new Map<string, Plug>();

  /** The plug serving `event`, if any. */
  get(event: string): Plug | undefined {
    return this.#plugs.get(event);
  }

  /** Installs `plug` for its event, replacing the previous version. */
  set(plug: Plug): void {
    this.#plugs.set(plug.event, plug);
  }

  /** Stops serving `event`; returns whether it was served. */
  delete(event: string): boolean {
    return this.#plugs.delete(event);
  }

  /** Every served event name, sorted. */
  events(): string[] {
    return [...this.#plugs.keys()].sort();
  }

  /** Every loaded plug. */
  values(): IterableIterator<Plug> {
    return this.#plugs.values();
  }

  /** How many events are served. */
  get size(): number {
    return this.#plugs.size;
  }
}
