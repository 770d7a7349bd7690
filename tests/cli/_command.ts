/**
 * Helpers to run the real `ssocket` command in a child process: one-shot
 * runs (help, errors, generate) and a served process whose stdout is read
 * line by line until "Listening on ws://…".
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO: string = fileURLToPath(new URL("../../", import.meta.url));
/** The command's entry point. */
export const MOD: string = join(REPO, "src", "mod.ts");
/** The repository's deno.json (a temp cwd would not find it). */
export const DENO_JSON: string = join(REPO, "deno.json");
/** The repository's import map, which plugs need to resolve "ssocket". */
export const IMPORT_MAP: string = join(REPO, "import_map.json");

/** `deno` arguments running `ssocket` with `args`. */
export function ssocketArgs(...args: string[]): string[] {
  return ["run", "-A", "--config", DENO_JSON, MOD, ...args];
}

/** A temporary folder removed on dispose. */
export interface TempDir extends AsyncDisposable {
  path: string;
}

/** Creates a temporary folder; `await using` removes it. */
export async function tempDir(prefix = "ssocket_cli_"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/** What a finished process printed and returned. */
export interface RunResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Where and how to run a command. */
export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** The program; `deno` itself by default. */
  cmd?: string;
}

/**
 * The command both `run` and `Spawned` start: no colours, no stdin, output
 * piped. The test run's own `SSOCKET_TEST_ISOLATION` is left out: `ssocket`
 * rejects `SSOCKET_*` variables it does not know (a test passes
 * `--isolation.mode` instead).
 */
function command(args: string[], options: RunOptions): Deno.Command {
  const env = Deno.env.toObject();
  delete env.SSOCKET_TEST_ISOLATION;
  return new Deno.Command(options.cmd ?? Deno.execPath(), {
    args,
    cwd: options.cwd,
    clearEnv: true,
    env: { ...env, NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
}

/** Runs `args` to completion (e.g. `ssocketArgs("-h")`). */
export async function run(args: string[], options: RunOptions): Promise<RunResult> {
  const output = await command(args, options).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    signal: output.signal,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A running command whose output is read as it comes. */
export class Spawned implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[] = [];
  #stderr = "";
  #ended = false;
  readonly #waiters: {
    pattern: RegExp;
    resolve: (l: string) => void;
    reject: (e: Error) => void;
  }[] = [];
  readonly #reading: Promise<void>;

  constructor(args: string[], options: RunOptions) {
    this.child = command(args, options).spawn();
    this.#reading = Promise.all([this.#readStdout(), this.#readStderr()]).then(() => {});
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Sends `signal` without waiting; does nothing if the process already exited. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.child.kill(signal);
    } catch {
      // Already exited: there is nothing left to signal.
    }
  }

  /** Resolves with the first stdout line matching `pattern`; rejects if output ends first. */
  waitForLine(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    if (this.#ended) return Promise.reject(this.#notFound(pattern));
    return new Promise((resolve, reject) => this.#waiters.push({ pattern, resolve, reject }));
  }

  /** The ws:// URL from the "Listening on" line. */
  async url(): Promise<string> {
    const line = await this.waitForLine(/Listening on wss?:\/\//);
    return line.match(/Listening on (wss?:\/\/\S+)/)![1];
  }

  /** Sends `signal` and waits for exit and the end of its output. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<RunResult> {
    this.kill(signal);
    return await this.finished();
  }

  /** Waits for the process to exit on its own. */
  async finished(): Promise<RunResult> {
    const status = await this.child.status;
    await this.#reading;
    return {
      code: status.code,
      signal: status.signal,
      stdout: this.lines.join("\n"),
      stderr: this.#stderr,
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.child.status;
    await this.#reading;
  }

  async #readStdout(): Promise<void> {
    let buffer = "";
    for await (const chunk of this.child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) !== -1) {
        this.#addLine(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    }
    if (buffer) this.#addLine(buffer);
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#notFound(waiter.pattern));
  }

  async #readStderr(): Promise<void> {
    for await (const chunk of this.child.stderr.pipeThrough(new TextDecoderStream())) {
      this.#stderr += chunk;
    }
  }

  #addLine(line: string): void {
    this.lines.push(line);
    for (const waiter of this.#waiters.filter((w) => w.pattern.test(line))) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  }

  #notFound(pattern: RegExp): Error {
    return new Error(
      `Output ended without a line matching ${pattern}\nstdout:\n${
        this.lines.join("\n")
      }\nstderr:\n${this.#stderr}`,
    );
  }
}

/** Starts `ssocket` with `args` in `cwd` and waits for its "Listening on" line. */
export async function serveCommand(
  args: string[],
  options: RunOptions,
): Promise<{ process: Spawned; url: string }> {
  const process = new Spawned(ssocketArgs(...args), options);
  try {
    return { process, url: await process.url() };
  } catch (err) {
    await process[Symbol.asyncDispose]();
    throw err;
  }
}
