/**
 * Watches the plugs folder and reports changed paths in debounced batches,
 * so an editor's burst of writes becomes one reload.
 *
 * @example
 * ```ts ignore
 * import { watchFolder } from "./watcher.ts";
 * const watcher = watchFolder("./plugs", 30, (paths) => console.log(paths));
 * watcher.close();
 * ```
 * @module
 */

/** A running watch; `close()` stops it and releases the OS watch. */
export interface FolderWatcher {
  /** Resolves once the watcher has stopped. */
  readonly done: Promise<void>;
  /** Stops watching. Pending batches are dropped. */
  close(): void;
}

/**
 * Watches `folder` recursively and calls `onChange` with every path touched
 * since the last call, once `debounceMs` pass without a new event. Calls
 * never overlap: a batch waits for the previous `onChange` to settle.
 */
export function watchFolder(
  folder: string,
  debounceMs: number,
  onChange: (paths: string[]) => Promise<void> | void,
): FolderWatcher {
  const fsWatcher = Deno.watchFs(folder, { recursive: true });
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let running: Promise<void> = Promise.resolve();

  const flush = () => {
    timer = undefined;
    const paths = [...pending];
    pending.clear();
    running = running.then(() => closed ? undefined : onChange(paths)).catch(() => {});
  };

  const done = (async () => {
    try {
      for await (const event of fsWatcher) {
        if (event.kind === "access" || event.kind === "other") continue;
        for (const path of event.paths) pending.add(path);
        clearTimeout(timer);
        timer = setTimeout(flush, debounceMs);
      }
    } catch (err) {
      if (!closed) throw err;
    }
    await running;
  })();

  return {
    done,
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      pending.clear();
      fsWatcher.close();
    },
  };
}
