/**
 * A minimal WebSocket client over `Deno.connect`, for load generation only:
 * binary messages, no extensions, no fragmentation. It costs the client a
 * few microseconds per message (the built-in WebSocket costs ~14 µs), so
 * on a 2-core machine the server, not the client, runs out of CPU first.
 *
 * Each read is parsed whole and every message the handler sends in reply is
 * written back in one `write`: a busy client's natural batching, the same
 * for every server under test. Opened with `{ pack: true }` it offers
 * `ssocket.pack.v1`, as the ssocket client library does: the frames it
 * {@linkcode RawSocket.queue}s per read go out as one packed message, and
 * packed messages it gets are split into frames for `onmessage`.
 *
 * @module
 */

import { packFrames, splitFrames } from "../../src/protocol/pack.ts";
import { SUBPROTOCOL_PACK_V1 } from "../../src/protocol/subprotocol.ts";

const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
const FIN = 0x80;
const MASKED = 0x80;
const READ_SIZE = 64 * 1024;
const HANDSHAKE_LIMIT = 16 * 1024;

const ascii = new TextEncoder();

/** Encodes a masked binary client frame around `payload`. */
export function clientFrame(payload: Uint8Array, opcode = OP_BINARY): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 0x10000 ? 4 : 10;
  const out = new Uint8Array(head + 4 + n);
  out[0] = FIN | opcode;
  if (n < 126) {
    out[1] = MASKED | n;
  } else if (n < 0x10000) {
    out[1] = MASKED | 126;
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = MASKED | 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(n));
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  out.set(mask, head);
  for (let i = 0; i < n; i++) out[head + 4 + i] = payload[i] ^ mask[i & 3];
  return out;
}

/** One client connection; `onmessage` gets each binary message's payload. */
export class RawSocket {
  /** Called with each message; it may `send` replies (they are batched). */
  onmessage: (payload: Uint8Array) => void = () => {};
  /** Messages of an unexpected kind (text, fragments, close). */
  protocolErrors = 0;
  readonly #conn: Deno.TcpConn;
  /** True when the server answered `ssocket.pack.v1`. */
  readonly packs: boolean;
  #out: Uint8Array[] = [];
  /** Unmasked frames to pack into one message at the next flush. */
  #queued: Uint8Array[] = [];
  #closed = false;
  /** Resolves when the connection is closed. */
  readonly done: Promise<void>;

  private constructor(conn: Deno.TcpConn, rest: Uint8Array, packs: boolean) {
    this.#conn = conn;
    this.packs = packs;
    this.done = this.#readLoop(rest);
  }

  /** Connects and completes the opening handshake. */
  static async open(url: string, options: { pack?: boolean } = {}): Promise<RawSocket> {
    const { hostname, port, pathname } = new URL(url);
    const conn = await Deno.connect({ hostname, port: Number(port) });
    conn.setNoDelay(true);
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    await writeAll(
      conn,
      ascii.encode(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          (options.pack ? `Sec-WebSocket-Protocol: ${SUBPROTOCOL_PACK_V1}\r\n` : "") + "\r\n",
      ),
    );
    let head: Uint8Array = new Uint8Array(0);
    while (true) {
      const chunk = new Uint8Array(4096);
      const n = await conn.read(chunk);
      if (n === null) throw new Error("Connection closed during the handshake");
      head = concat(head, chunk.subarray(0, n));
      const end = indexOfHeaderEnd(head);
      if (end !== -1) {
        const status = new TextDecoder().decode(head.subarray(0, 12));
        if (!status.startsWith("HTTP/1.1 101")) {
          conn.close();
          throw new Error(`Handshake refused: ${status}`);
        }
        const answer = /^sec-websocket-protocol:\s*(\S+)/im.exec(
          new TextDecoder().decode(head.subarray(0, end)),
        );
        return new RawSocket(conn, head.subarray(end), answer?.[1] === SUBPROTOCOL_PACK_V1);
      }
      if (head.length > HANDSHAKE_LIMIT) throw new Error("Handshake response too long");
    }
  }

  /** Queues a frame made by {@linkcode clientFrame}; written after the current read. */
  send(frame: Uint8Array): void {
    if (!this.#closed) this.#out.push(frame);
  }

  /**
   * Queues an unmasked frame; every frame queued before the next flush goes
   * out in one packed message (one frame per message unless `packs`).
   */
  queue(frame: Uint8Array): void {
    if (this.#closed) return;
    if (this.packs) this.#queued.push(frame);
    else this.#out.push(clientFrame(frame));
  }

  /** Writes queued frames now (for sends made outside `onmessage`). */
  async flush(): Promise<void> {
    if (this.#queued.length > 0) {
      this.#out.push(clientFrame(packFrames(this.#queued)));
      this.#queued = [];
    }
    if (this.#out.length === 0 || this.#closed) return;
    const out = this.#out.length === 1 ? this.#out[0] : concat(...this.#out);
    this.#out = [];
    try {
      await writeAll(this.#conn, out);
    } catch {
      this.#closed = true;
    }
  }

  /** Sends a close frame and closes the TCP connection. */
  close(): void {
    if (this.#closed) return;
    this.#out = [];
    const frame = clientFrame(new Uint8Array([0x03, 0xe8]), OP_CLOSE);
    this.#conn.write(frame).catch(() => {}).finally(() => {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch { /* already closed */ }
    });
  }

  async #readLoop(rest: Uint8Array): Promise<void> {
    let buffer: Uint8Array = rest;
    const chunk = new Uint8Array(READ_SIZE);
    try {
      while (!this.#closed) {
        buffer = this.#parse(buffer);
        await this.flush();
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        buffer = buffer.length === 0 ? chunk.slice(0, n) : concat(buffer, chunk.subarray(0, n));
      }
    } catch {
      // Reset or closed by us: the loop ends either way.
    }
    this.#closed = true;
  }

  /** Handles every whole frame in `buffer`; returns the incomplete rest. */
  #parse(buffer: Uint8Array): Uint8Array {
    let at = 0;
    while (buffer.length - at >= 2) {
      const b0 = buffer[at];
      let length = buffer[at + 1] & 0x7f;
      let header = 2;
      if (length === 126) {
        if (buffer.length - at < 4) break;
        length = (buffer[at + 2] << 8) | buffer[at + 3];
        header = 4;
      } else if (length === 127) {
        if (buffer.length - at < 10) break;
        length = Number(new DataView(buffer.buffer, buffer.byteOffset + at + 2, 8).getBigUint64(0));
        header = 10;
      }
      if (buffer.length - at < header + length) break;
      const payload = buffer.subarray(at + header, at + header + length);
      at += header + length;
      const opcode = b0 & 0x0f;
      if (opcode === OP_BINARY && (b0 & FIN) !== 0) {
        if (this.packs) { for (const frame of splitFrames(payload)) this.onmessage(frame); }
        else this.onmessage(payload);
      } else if (opcode === OP_PING) {
        this.send(clientFrame(payload, OP_PONG));
      } else if (opcode === OP_CLOSE) {
        this.#closed = true;
      } else {
        this.protocolErrors++;
      }
    }
    return at === 0 ? buffer : buffer.subarray(at);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function indexOfHeaderEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}
