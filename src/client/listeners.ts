/**
 * A small listener registry keyed by name. A listener that throws does not
 * stop the others: its error is reported like an uncaught exception
 * (`reportError`), as `EventTarget` does.
 *
 * @example
 * ```ts
 * import { Listeners } from "./listeners.ts";
 * const listeners = new Listeners<[number]>();
 * const off = listeners.add("tick", (n) => console.log(n));
 * listeners.emit("tick", 1);
 * off();
 * ```
 * @module
 */

/** A listener function taking the arguments `A`. */
export type ListenerFn<A extends unknown[]> = (...args: A) => void;

/** Listeners by name, each called with the arguments `A`. */
export class Listeners<A extends unknown[]> {
  readonly #byName = new Map<string, Set<ListenerFn<A>>>();

  /** Adds `fn` for `name`; returns a function that removes it. */
  add(name: string, fn: ListenerFn<A>): () => void {
    let set = this.#byName.get(name);
    if (!set) this.#byName.set(name, set = new Set());
    set.add(fn);
    return () => this.remove(name, fn);
  }

  /** Removes `fn` from `name`; does nothing if it was not added. */
  remove(name: string, fn: ListenerFn<A>): void {
    const set = this.#byName.get(name);
    if (!set) return;
    set.delete(fn);
    if (set.size === 0) this.#byName.delete(name);
  }

  /** Calls every listener of `name`; returns how many there were. */
  emit(name: string, ...args: A): number {
    const set = this.#byName.get(name);
    if (!set) return 0;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        globalThis.reportError(err);
      }
    }
    return set.size;
  }
}
