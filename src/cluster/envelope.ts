/**
 * The bytes a cluster message travels as between processes: pure functions,
 * no I/O. The origin node id lets a process ignore its own publications,
 * which pub/sub brokers echo back to every subscriber.
 *
 * ```
 * u8 kind (0 broadcast, 1 direct, 2 sync, 3 room broadcast) | u8 node id length | node id |
 * u8 connection id length | connection id (exclude for broadcast, else the target) |
 * (room broadcast only: u16 room name length, big-endian | room name) | frame
 * ```
 *
 * @example
 * ```ts
 * import { decodeEnvelope, encodeEnvelope } from "./envelope.ts";
 * const bytes = encodeEnvelope("node-1", { kind: "direct", to: "abc", frame: new Uint8Array([1]) });
 * decodeEnvelope(bytes).message.to; // "abc"
 * ```
 * @module
 */

import type { ClusterMessage } from "./adapter.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";

const KIND_BROADCAST = 0;
const KIND_DIRECT = 1;
const KIND_SYNC = 2;
const KIND_ROOM = 3;
const MAX_ID_BYTES = 255;
const MAX_ROOM_BYTES = 0xffff;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Encodes a cluster message with the id of the node that sends it. */
export function encodeEnvelope(nodeId: string, message: ClusterMessage): Uint8Array {
  const node = utf8.encode(nodeId);
  const connection = utf8.encode(
    (message.kind === "broadcast" ? message.exclude : message.to) ?? "",
  );
  if (node.length > MAX_ID_BYTES || connection.length > MAX_ID_BYTES) {
    throw new RangeError(`Cluster ids are limited to ${MAX_ID_BYTES} bytes`);
  }
  const room = message.kind === "broadcast" && message.room !== undefined
    ? utf8.encode(message.room)
    : undefined;
  if (room && room.length > MAX_ROOM_BYTES) {
    throw new RangeError(`Cluster room names are limited to ${MAX_ROOM_BYTES} bytes`);
  }
  const roomBytes = room ? 2 + room.length : 0;
  const out = new Uint8Array(
    3 + node.length + connection.length + roomBytes + message.frame.length,
  );
  out[0] = room
    ? KIND_ROOM
    : message.kind === "direct"
    ? KIND_DIRECT
    : message.kind === "sync"
    ? KIND_SYNC
    : KIND_BROADCAST;
  out[1] = node.length;
  out.set(node, 2);
  let at = 2 + node.length;
  out[at++] = connection.length;
  out.set(connection, at);
  at += connection.length;
  if (room) {
    out[at++] = room.length >> 8;
    out[at++] = room.length & 0xff;
    out.set(room, at);
    at += room.length;
  }
  out.set(message.frame, at);
  return out;
}

/**
 * Decodes an envelope. The frame is a view into `bytes`.
 *
 * @throws {ProtocolError} `FRAME_TOO_SHORT` or `INVALID_EVENT_TYPE` for bytes that are not an envelope
 */
export function decodeEnvelope(bytes: Uint8Array): { nodeId: string; message: ClusterMessage } {
  if (bytes.length < 3) throw new ProtocolError(ErrorCode.FRAME_TOO_SHORT, "Envelope too short");
  const kind = bytes[0];
  if (kind > KIND_ROOM) {
    throw new ProtocolError(ErrorCode.INVALID_EVENT_TYPE, `Envelope kind ${kind} is unknown`);
  }
  const nodeEnd = 2 + bytes[1];
  if (nodeEnd + 1 > bytes.length) {
    throw new ProtocolError(ErrorCode.FRAME_TOO_SHORT, "Envelope node id runs past the end");
  }
  const connectionEnd = nodeEnd + 1 + bytes[nodeEnd];
  if (connectionEnd > bytes.length) {
    throw new ProtocolError(ErrorCode.FRAME_TOO_SHORT, "Envelope connection id runs past the end");
  }
  const nodeId = fromUtf8.decode(bytes.subarray(2, nodeEnd));
  const connection = fromUtf8.decode(bytes.subarray(nodeEnd + 1, connectionEnd));
  if (kind === KIND_ROOM) {
    if (connectionEnd + 2 > bytes.length) {
      throw new ProtocolError(ErrorCode.FRAME_TOO_SHORT, "Envelope room length runs past the end");
    }
    const roomEnd = connectionEnd + 2 + ((bytes[connectionEnd] << 8) | bytes[connectionEnd + 1]);
    if (roomEnd > bytes.length) {
      throw new ProtocolError(ErrorCode.FRAME_TOO_SHORT, "Envelope room runs past the end");
    }
    const room = fromUtf8.decode(bytes.subarray(connectionEnd + 2, roomEnd));
    const frame = bytes.subarray(roomEnd);
    return {
      nodeId,
      message: { kind: "broadcast", frame, exclude: connection || undefined, room },
    };
  }
  const frame = bytes.subarray(connectionEnd);
  const message: ClusterMessage = kind === KIND_BROADCAST
    ? { kind: "broadcast", frame, exclude: connection || undefined }
    : { kind: kind === KIND_SYNC ? "sync" : "direct", frame, to: connection };
  return { nodeId, message };
}
