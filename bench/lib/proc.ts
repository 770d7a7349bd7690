/**
 * Child processes for the bench: every server under test and every load
 * client runs as its own process, so its CPU time and memory can be read
 * from `/proc/PID/stat` and `/proc/PID/status` (Linux only).
 *
 * @module
 */

/** Clock ticks per second of `utime`/`stime` in /proc/PID/stat (USER_HZ). */
export const CLOCK_TICKS = clockTicks();
/** File-descriptor limit asked for every child (5000 idle sockets + slack). */
export const FD_LIMIT = 65536;
const STOP_GRACE_MS = 3000;
const PORT_WAIT_MS = 20_000;

function clockTicks(): number {
  try {
    const out = new Deno.Command("getconf", { args: ["CLK_TCK"] }).outputSync();
    const ticks = Number(new TextDecoder().decode(out.stdout).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * Pins process `pid` and all its threads to CPU `cpu` (`taskset`), so a
 * scenario can keep a server and its load client off each other's core: on
 * two shared cores, their scheduling against each other was most of the
 * noise between rounds. False (and nothing pinned) without `taskset` or a
 * second CPU.
 */
export function pin(pid: number, cpu: number): boolean {
  if (navigator.hardwareConcurrency < 2) return false;
  try {
    const args = ["-apc", String(cpu), String(pid)];
    return new Deno.Command("taskset", { args, stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** Resident set size of a process in KiB (VmRSS). */
export function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = status.match(/^VmRSS:\s+(\d+) kB$/m);
  if (!match) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]);
}

/** A process and its descendants (an ssocket server in worker mode and its plug host). */
export function processTree(pid: number): number[] {
  let children = "";
  try {
    children = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`);
  } catch {
    // Gone, or no children file: the process alone.
  }
  return [
    pid,
    ...children.trim().split(/\s+/).filter(Boolean).flatMap((c) => processTree(Number(c))),
  ];
}

/** RSS in KiB of a process and its descendants. */
export function treeRssKiB(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    try {
      return sum + rssKiB(p);
    } catch {
      return sum; // exited meanwhile (a replaced plug host): it holds nothing any more
    }
  }, 0);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Children still running, so an interrupted run can stop them all. */
const running = new Set<Child>();

/** Stops every child still running (on SIGINT/SIGTERM of the runner). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/** A running child process with its output collected line by line. */
export class Child {
  readonly pid: number;
  readonly lines: string[] = [];
  readonly #process: Deno.ChildProcess;
  readonly #waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  readonly #listeners: ((line: string) => void)[] = [];
  readonly #done: Promise<Deno.CommandStatus>;
  readonly #drained: Promise<unknown>;
  #exited = false;

  /**
   * Starts `command` with its fd limit raised (through `sh -c 'ulimit; exec'`,
   * so the child keeps the PID that /proc is read for).
   */
  constructor(readonly name: string, command: string[], options: { cwd?: string } = {}) {
    const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n $(ulimit -Hn); exec "$@"`;
    this.#process = new Deno.Command("sh", {
      args: ["-c", script, "sh", ...command],
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#process.pid;
    this.#drained = Promise.all([
      this.#collect(this.#process.stdout),
      this.#collect(this.#process.stderr),
    ]);
    running.add(this);
    this.#done = this.#process.status.then((status) => {
      this.#exited = true;
      running.delete(this);
      return status;
    });
  }

  /** Resolves with the first output line matching `pattern` (rejects after `timeoutMs`). */
  waitForLine(pattern: RegExp, timeoutMs = PORT_WAIT_MS): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    const { promise, resolve, reject } = Promise.withResolvers<string>();
    const waiter = { pattern, resolve };
    this.#waiters.push(waiter);
    const timer = setTimeout(() => {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      reject(
        new Error(`${this.name}: no line matching ${pattern} in ${timeoutMs} ms:\n${this.tail()}`),
      );
    }, timeoutMs);
    return promise.finally(() => clearTimeout(timer));
  }

  /** Calls `listener` with every output line from now on. */
  onLine(listener: (line: string) => void): void {
    this.#listeners.push(listener);
  }

  /** How many output lines so far match `pattern`. */
  count(pattern: RegExp): number {
    return this.lines.filter((line) => pattern.test(line)).length;
  }

  /** The last lines of output, for error messages. */
  tail(n = 20): string {
    return this.lines.slice(-n).join("\n");
  }

  /** Resolves with the exit status. */
  get status(): Promise<Deno.CommandStatus> {
    return this.#done;
  }

  /** Resolves once the process exited and its output was read to the end. */
  async finished(): Promise<Deno.CommandStatus> {
    const status = await this.#done;
    await this.#drained;
    return status;
  }

  /** SIGTERM, then SIGKILL if still running after a grace period. */
  async stop(): Promise<void> {
    if (!this.#exited) {
      try {
        this.#process.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          this.#process.kill("SIGKILL");
        } catch { /* already gone */ }
      }, STOP_GRACE_MS);
      await this.#done;
      clearTimeout(timer);
    }
    await this.#drained;
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) this.#line(line);
    }
    if (rest) this.#line(rest);
  }

  #line(line: string): void {
    this.lines.push(line);
    for (const listener of this.#listeners) listener(line);
    for (const waiter of this.#waiters.filter((w) => w.pattern.test(line))) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, child: Child, timeoutMs = PORT_WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.status.then(() => exited = true);
  while (Date.now() < deadline && !exited) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${child.name} is not listening on port ${port}:\n${child.tail()}`);
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
