/**
 * One plug host process as the server sees it: spawning it with its
 * permission flags, the message stream both ways, and killing it. Knows
 * nothing of plugs or calls; {@linkcode WorkerIsolation} does.
 *
 * @example
 * ```ts ignore
 * const host = PlugHost.spawn(["--allow-net"], (w, head, tail) => {}, (status) => {});
 * host.send(0, { k: "spawn", w: 1, permissions: {}, config });
 * host.kill();
 * ```
 * @module
 */

import { fileURLToPath } from "node:url";
import { BatchWriter, decodeBody, encodeMessage, MessageReader } from "./wire.ts";

const HOST_MAIN = new URL("./host_main.ts", import.meta.url);
const IMPORT_MAP = new URL("../../import_map.json", import.meta.url);
const CONFIG = new URL("../../deno.json", import.meta.url);

/** Called with each message from the host: the Worker it came from (0: the host) and its body. */
// deno-lint-ignore no-explicit-any
export type HostListener = (w: number, head: any, tail: Uint8Array) => void;

/** A running plug host process. */
export class PlugHost {
  /** The child's process id. */
  readonly pid: number;
  /** Resolves with the exit status once the process is gone. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Kills a replaced host that has not finished its calls in time. */
  drainTimer?: ReturnType<typeof setTimeout>;
  readonly #child: Deno.ChildProcess;
  readonly #input: BatchWriter;
  #killed = false;

  private constructor(
    child: Deno.ChildProcess,
    onMessage: HostListener,
    onLog: (line: string) => void,
  ) {
    this.#child = child;
    this.pid = child.pid;
    this.#input = new BatchWriter(child.stdin);
    const output = pump(child.stdout, onMessage);
    const errors = lines(child.stderr, onLog);
    // Both pipes drained before "exited" settles: nothing leaks past a test's end.
    this.exited = Promise.all([child.status, output, errors]).then(([status]) => status);
  }

  /**
   * Starts a host with `flags` (permission flags) for its Deno.
   *
   * @param onMessage every message the host sends
   * @param onLog each line the host writes to stderr (Deno's own errors)
   */
  static spawn(flags: string[], onMessage: HostListener, onLog: (line: string) => void): PlugHost {
    const args = ["run", "--unstable-worker-options", "--no-prompt", ...flags];
    // The repo's deno.json names the import map (and the lockfile): given
    // `--import-map` beside it, Deno warns on every start that it ignores it.
    if (CONFIG.protocol === "file:" && exists(CONFIG)) {
      args.push(`--config=${fileURLToPath(CONFIG)}`);
    } else if (IMPORT_MAP.protocol !== "file:" || exists(IMPORT_MAP)) {
      args.push(`--import-map=${IMPORT_MAP.href}`);
    }
    args.push(HOST_MAIN.href);
    const child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new PlugHost(child, onMessage, onLog);
  }

  /** True once `kill()` was called. */
  get killed(): boolean {
    return this.#killed;
  }

  /** Sends one message to Worker `w` (0: the host). */
  send(w: number, head: unknown, tail?: Uint8Array): void {
    this.#input.write(encodeMessage(w, head, tail));
  }

  /** Sends an already encoded message. */
  sendRaw(message: Uint8Array): void {
    this.#input.write(message);
  }

  /** Stops the process at once (SIGKILL: a Worker in a busy loop ignores everything gentler). */
  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }

  /** Asks the host to stop by closing its input; it terminates its Workers and exits. */
  async close(): Promise<void> {
    this.#killed = true;
    await this.#input.close();
  }
}

function exists(url: URL): boolean {
  try {
    return Deno.statSync(fileURLToPath(url)).isFile;
  } catch {
    return false;
  }
}

async function pump(stream: ReadableStream<Uint8Array>, onMessage: HostListener): Promise<void> {
  const reader = new MessageReader();
  try {
    for await (const chunk of stream) {
      reader.push(chunk, (w, body) => {
        const { head, tail } = decodeBody(body);
        onMessage(w, head, tail);
      });
    }
  } catch {
    // The process died mid-message; its exit is reported through "exited".
  }
}

async function lines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  try {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      for (const line of text.split("\n")) if (line.trim() !== "") onLine(line);
    }
  } catch {
    // As above.
  }
}
