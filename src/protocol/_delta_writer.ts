/**
 * How the encoder writes ops. {@linkcode ByteWriter} grows one buffer
 * instead of collecting chunks, since a delta is built byte by byte.
 * {@linkcode OpWriter} picks the cheapest encoding of each base copy:
 * it holds the last one back so a contiguous copy merges into it, and
 * writes it as COPY_CURSOR (no offset field) when it starts at the cursor,
 * which is what keeps an unchanged run after an edit down to a byte or two.
 *
 * @example
 * ```ts
 * import { ByteWriter, OpWriter } from "./_delta_writer.ts";
 * const ops = new OpWriter(new ByteWriter(16));
 * ops.copyBase(0, 5);
 * ops.copyBase(5, 10); // merges into the copy before
 * ops.finish();
 * console.log(ops.out.finish()); // Uint8Array(1) [ 207 ]: one COPY_CURSOR of 15
 * ```
 * @module
 */

import {
  LONG_LENGTH as FORMAT_LONG_LENGTH,
  OP_COPY_BASE as FORMAT_OP_COPY_BASE,
  OP_COPY_CURSOR as FORMAT_OP_COPY_CURSOR,
  OP_COPY_OUTPUT as FORMAT_OP_COPY_OUTPUT,
  OP_LITERAL as FORMAT_OP_LITERAL,
  OP_SHIFT as FORMAT_OP_SHIFT,
  VARINT_CONTINUE as FORMAT_VARINT_CONTINUE,
  VARINT_MAX_BYTES as FORMAT_VARINT_MAX_BYTES,
  VARINT_RADIX as FORMAT_VARINT_RADIX,
} from "./delta_format.ts";
import { SMALL_COPY as TUNED_SMALL_COPY } from "./_delta_tuning.ts";
import { varintSize, zigzag } from "./_delta_varint.ts";

// Module-local copies of the imports above: see delta_format.ts.
const LONG_LENGTH = FORMAT_LONG_LENGTH;
const OP_COPY_BASE = FORMAT_OP_COPY_BASE;
const OP_COPY_CURSOR = FORMAT_OP_COPY_CURSOR;
const OP_COPY_OUTPUT = FORMAT_OP_COPY_OUTPUT;
const OP_LITERAL = FORMAT_OP_LITERAL;
const OP_SHIFT = FORMAT_OP_SHIFT;
const VARINT_CONTINUE = FORMAT_VARINT_CONTINUE;
const VARINT_MAX_BYTES = FORMAT_VARINT_MAX_BYTES;
const VARINT_RADIX = FORMAT_VARINT_RADIX;
const SMALL_COPY = TUNED_SMALL_COPY;

/** A growable byte buffer for the encoder. */
export class ByteWriter {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(capacity, LONG_LENGTH));
  }

  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  varint(value: number): void {
    this.reserve(VARINT_MAX_BYTES);
    if (value < VARINT_CONTINUE) {
      this.bytes[this.length++] = value;
      return;
    }
    while (value >= VARINT_CONTINUE) {
      this.bytes[this.length++] = (value % VARINT_RADIX) | VARINT_CONTINUE;
      value = Math.floor(value / VARINT_RADIX);
    }
    this.bytes[this.length++] = value;
  }

  copy(source: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    if (end - start < SMALL_COPY) {
      const bytes = this.bytes;
      let at = this.length;
      for (let i = start; i < end; i++) bytes[at++] = source[i];
      this.length = at;
    } else {
      this.bytes.set(source.subarray(start, end), this.length);
      this.length += end - start;
    }
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Bytes an op's tag and length take. */
export function lengthSize(length: number): number {
  return length < LONG_LENGTH ? 1 : 1 + varintSize(length - LONG_LENGTH);
}

/** Writes an op's tag byte and, for a long op, its length varint. */
export function writeOp(out: ByteWriter, op: number, length: number): void {
  if (length < LONG_LENGTH) {
    out.byte((op << OP_SHIFT) | length);
  } else {
    out.byte(op << OP_SHIFT);
    out.varint(length - LONG_LENGTH);
  }
}

/** Writes ops, holding back the last base copy so that a contiguous one merges into it. */
export class OpWriter {
  readonly out: ByteWriter;
  /** Where a base copy with no offset field starts. */
  cursor = 0;
  private pendingOffset = -1;
  private pendingLength = 0;

  constructor(out: ByteWriter) {
    this.out = out;
  }

  private tag(op: number, length: number): void {
    writeOp(this.out, op, length);
  }

  /** Writes pending ops and returns the buffer, for an encoder that writes ops itself. */
  raw(): ByteWriter {
    this.flush();
    return this.out;
  }

  private flush(): void {
    if (this.pendingLength === 0) return;
    const offset = this.pendingOffset;
    const length = this.pendingLength;
    this.pendingLength = 0;
    if (offset === this.cursor) {
      this.tag(OP_COPY_CURSOR, length);
    } else {
      this.tag(OP_COPY_BASE, length);
      this.out.varint(zigzag(offset - this.cursor));
    }
    this.cursor = offset + length;
  }

  /** The cursor once pending ops are written. */
  nextCursor(): number {
    return this.pendingLength > 0 ? this.pendingOffset + this.pendingLength : this.cursor;
  }

  literal(source: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    this.flush();
    this.tag(OP_LITERAL, end - start);
    this.out.copy(source, start, end);
    this.cursor += end - start;
  }

  copyBase(offset: number, length: number): void {
    if (length <= 0) return;
    if (this.pendingLength > 0 && this.pendingOffset + this.pendingLength === offset) {
      this.pendingLength += length;
      return;
    }
    this.flush();
    this.pendingOffset = offset;
    this.pendingLength = length;
  }

  copyOutput(distance: number, length: number): void {
    this.flush();
    this.tag(OP_COPY_OUTPUT, length);
    this.out.varint(distance - 1);
    this.cursor += length;
  }

  finish(): void {
    this.flush();
  }
}
