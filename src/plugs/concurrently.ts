/**
 * Runs several exported generators of one plug file side by side, as
 * serverless-sockets did, as one handler: `multiExport: "concurrent"`. Each
 * generator is started in the plug's order (alphabetical by export name)
 * and its yields are passed on as they come, so the dispatcher's rules
 * (backpressure, `plugTimeout`, cancel, the END frame after the last one)
 * apply to the merged stream unchanged.
 *
 * @example
 * ```ts
 * import { concurrently } from "./concurrently.ts";
 * const both = concurrently([
 *   async function* a() { yield { payload: "a" }; },
 *   async function* b() { yield { payload: "b" }; },
 * ]);
 * for await (const out of both({}, {})) console.log(out.payload); // "a", then "b"
 * ```
 * @module
 */

import type { PlugHandler, Yield } from "./types.ts";

type Step =
  | { index: number; failed: false; result: IteratorResult<Yield> }
  | { index: number; failed: true; error: unknown };

/**
 * One handler running every handler of `handlers` concurrently. A handler
 * is resumed only after its previous yield was taken, as a sequential run
 * would. If one throws, the others are asked to return (their `finally`
 * blocks run at their next yield) and the error is passed on; the same
 * happens to all of them when the merged generator is returned (cancel,
 * disconnect).
 */
export function concurrently(handlers: readonly PlugHandler[]): PlugHandler {
  return async function* (message, client) {
    const iterators: AsyncIterator<Yield>[] = [];
    /** Handlers not finished yet, each with at most one next() in flight. */
    const live = new Set<number>();
    const pending = new Map<number, Promise<Step>>();
    const pull = (index: number) => {
      pending.set(
        index,
        iterators[index].next().then(
          (result): Step => ({ index, failed: false, result }),
          (error): Step => ({ index, failed: true, error }),
        ),
      );
    };
    try {
      for (const handler of handlers) {
        live.add(iterators.length);
        iterators.push(handler(message, client)[Symbol.asyncIterator]());
      }
      iterators.forEach((_, index) => pull(index));
      while (pending.size > 0) {
        const step = await Promise.race(pending.values());
        pending.delete(step.index);
        if (step.failed) {
          live.delete(step.index);
          throw step.error;
        }
        if (step.result.done) {
          live.delete(step.index);
          continue;
        }
        yield step.result.value;
        pull(step.index);
      }
    } finally {
      // Not awaited: a generator stuck in an await would hold the caller up.
      // Results of next() calls still in flight are already caught by pull().
      for (const index of live) iterators[index].return?.(undefined)?.catch?.(() => {});
    }
  };
}
