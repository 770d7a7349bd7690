/**
 * A TCP proxy on 127.0.0.1:0 in front of a server, so a test can cut a
 * client off the way a mobile network does: the TCP connections vanish and
 * no WebSocket close frame is sent either way. Real sockets, nothing mocked.
 *
 * @module
 */

/** Options of {@linkcode TcpProxy.cut}. */
export interface CutOptions {
  /**
   * Keep the server's side open but silent (what it writes is read and
   * dropped), as when a phone leaves coverage: the server does not notice.
   * Without it, the server sees its TCP connection end without a close frame.
   */
  silent?: boolean;
}

interface Pair {
  client: Deno.TcpConn;
  server: Deno.TcpConn;
  /** Set when the pair was cut silently: the server's bytes go nowhere. */
  blackhole: boolean;
  done: Promise<unknown>;
}

/** A proxy that forwards `ws://127.0.0.1:<port>/` to a target port. */
export class TcpProxy implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  #target: number;
  readonly #pairs = new Set<Pair>();
  readonly #accepting: Promise<void>;

  private constructor(listener: Deno.TcpListener, target: number) {
    this.#listener = listener;
    this.#target = target;
    this.#accepting = this.#accept();
  }

  /** Starts a proxy to `url`'s port on 127.0.0.1. */
  static start(url: string): TcpProxy {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return new TcpProxy(listener, Number(new URL(url).port));
  }

  /** The URL clients connect to. */
  get url(): string {
    return `ws://127.0.0.1:${this.#listener.addr.port}/`;
  }

  /** Sends the next connections to another server (a client "reconnecting to another node"). */
  retarget(url: string): void {
    this.#target = Number(new URL(url).port);
  }

  /** Connections open through the proxy (cut ones that are still silent included). */
  get open(): number {
    return this.#pairs.size;
  }

  /** Cuts every connection through the proxy now. */
  cut(options: CutOptions = {}): void {
    for (const pair of this.#pairs) {
      if (pair.blackhole) continue;
      pair.client.close();
      if (options.silent) pair.blackhole = true;
      else pair.server.close();
    }
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const pair of this.#pairs) {
      for (const conn of [pair.client, pair.server]) {
        try {
          conn.close();
        } catch {
          // Already closed by a cut.
        }
      }
    }
    await Promise.allSettled([...this.#pairs].map((pair) => pair.done));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        const server = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
        const pair: Pair = { client, server, blackhole: false, done: Promise.resolve() };
        pair.done = Promise.allSettled([
          this.#pipe(client, server, pair),
          this.#pipe(server, client, pair),
        ]).then(() => this.#pairs.delete(pair));
        this.#pairs.add(pair);
      }
    } catch {
      // The listener closed.
    }
  }

  /** Copies `from` to `to` until either closes; a silent pair's server bytes are dropped. */
  async #pipe(from: Deno.TcpConn, to: Deno.TcpConn, pair: Pair): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        if (pair.blackhole) continue;
        let at = 0;
        while (at < n) at += await to.write(buffer.subarray(at, n));
      }
    } catch {
      // One side went away (a cut closes sockets under a pending read).
    }
    if (!pair.blackhole) {
      try {
        to.close();
      } catch {
        // Already closed.
      }
    }
  }
}
