/**
 * A WebSocket client over raw TCP for the attack scenarios: it can leave a
 * handshake unfinished, fragment a message, announce a huge frame, and read
 * only when told to. Frames it sends are masked with a zero key (allowed,
 * and it keeps bytes as they are).
 *
 * @module
 */

const FIN = 0x80;
const MASKED = 0x80;
/** Opcodes used here. */
export const Op = { CONTINUATION: 0x0, BINARY: 0x2, CLOSE: 0x8 } as const;

const ascii = new TextEncoder();
const HANDSHAKE =
  "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "Sec-WebSocket-Version: 13\r\n\r\n";

/** The header of a client frame carrying `length` payload bytes (zero mask). */
export function frameHeader(length: number, opcode: number = Op.BINARY, fin = true): Uint8Array {
  const head = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const out = new Uint8Array(head + 4);
  out[0] = (fin ? FIN : 0) | opcode;
  if (length < 126) out[1] = MASKED | length;
  else if (length < 0x10000) {
    out[1] = MASKED | 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
  } else {
    out[1] = MASKED | 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(length));
  }
  return out;
}

/** A whole client frame around `payload`. */
export function frame(payload: Uint8Array, opcode: number = Op.BINARY, fin = true): Uint8Array {
  const head = frameHeader(payload.length, opcode, fin);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/** One raw connection. */
export class Wire {
  /** HTTP status of the handshake (101 when upgraded), 0 if the server dropped it. */
  status = 0;
  /** Close code the server sent, once read. */
  closeCode?: number;
  /** Bytes read after the handshake. */
  bytesRead = 0;
  readonly conn: Deno.TcpConn;
  #rest: Uint8Array = new Uint8Array(0);
  #reading?: Promise<void>;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects; with `handshake` false nothing is sent (a slow or silent client). */
  static async open(url: string, handshake = true): Promise<Wire> {
    const { hostname, port } = new URL(url);
    const wire = new Wire(await Deno.connect({ hostname, port: Number(port) }));
    if (handshake) await wire.handshake();
    return wire;
  }

  /** Sends the upgrade request and reads the status line and headers. */
  async handshake(): Promise<number> {
    await this.write(ascii.encode(`GET / HTTP/1.1\r\nHost: x\r\n${HANDSHAKE}`));
    const buffer = new Uint8Array(16 * 1024);
    let seen: Uint8Array = new Uint8Array(0);
    while (true) {
      const n = await this.conn.read(buffer).catch(() => null);
      if (n === null) return this.status = 0;
      seen = concat(seen, buffer.subarray(0, n));
      const text = new TextDecoder().decode(seen);
      const end = text.indexOf("\r\n\r\n");
      if (end === -1) continue;
      this.status = Number(text.split(" ")[1]);
      this.#rest = seen.subarray(ascii.encode(text.slice(0, end + 4)).length);
      return this.status;
    }
  }

  /** Writes bytes; false once the server has closed or reset the connection. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      let at = 0;
      while (at < bytes.length) at += await this.conn.write(bytes.subarray(at));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Reads (and discards) everything until the connection ends, noting the
   * close code; resolves with it (undefined if the connection was reset or
   * ended without one).
   */
  readToEnd(): Promise<number | undefined> {
    this.#reading ??= (async () => {
      const buffer = new Uint8Array(256 * 1024);
      let pending: Uint8Array = this.#rest;
      while (true) {
        pending = this.#parse(pending);
        if (this.closeCode !== undefined) return;
        const n = await this.conn.read(buffer).catch(() => null);
        if (n === null) return;
        this.bytesRead += n;
        // Only the unparsed tail is kept: a large frame is skipped, not buffered.
        pending = concat(pending, buffer.subarray(0, n));
      }
    })();
    return this.#reading.then(() => this.closeCode);
  }

  /** Skips whole frames in `bytes`; returns what is left (an incomplete frame). */
  #parse(bytes: Uint8Array): Uint8Array {
    let at = 0;
    while (bytes.length - at >= 2) {
      const opcode = bytes[at] & 0x0f;
      let length = bytes[at + 1] & 0x7f;
      let head = 2;
      if (length === 126) {
        if (bytes.length - at < 4) break;
        length = (bytes[at + 2] << 8) | bytes[at + 3];
        head = 4;
      } else if (length === 127) {
        if (bytes.length - at < 10) break;
        length = Number(new DataView(bytes.buffer, bytes.byteOffset + at + 2, 8).getBigUint64(0));
        head = 10;
      }
      if (opcode === Op.CLOSE && bytes.length - at >= head + 2) {
        this.closeCode = (bytes[at + head] << 8) | bytes[at + head + 1];
        return new Uint8Array(0);
      }
      if (bytes.length - at < head + length) {
        // Keep only the header of a frame still arriving, and count its body down.
        return bytes.subarray(at);
      }
      at += head + length;
    }
    return bytes.subarray(at);
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
