/**
 * What the chat plugs share: a connection's seat (its name and the one chat
 * room it is in, kept in `client.data.chat` by "chat/join") and the checks
 * on names and rooms. Files starting with `_` are helpers that plugs import,
 * never events themselves.
 *
 * Chat room "lobby" is the runtime room `"chat:lobby"`: rooms are shared by
 * every plug, and the prefix keeps a chat user out of rooms that other plugs
 * broadcast to. `$presence` frames name the runtime room.
 */
import { type Client, PlugError } from "ssocket";

/** The prefix of the runtime rooms behind chat rooms. */
export const ROOM_PREFIX = "chat:";
/** Longest name, in characters; longer names are cut. */
export const MAX_NAME = 40;
/** Longest chat room name, in characters; longer names are refused. */
export const MAX_ROOM = 40;

/** Where a connection sits in the chat. */
export interface Seat {
  name: string;
  /** The chat room, without {@linkcode ROOM_PREFIX}. */
  room: string;
}

/** The runtime room of chat room `room`. */
export function runtimeRoom(room: string): string {
  return ROOM_PREFIX + room;
}

/** The seat "chat/join" gave this connection, if it has one. */
export function seatOf(client: Client): Seat | undefined {
  return client.data.chat as Seat | undefined;
}

/**
 * The seat of a connection that has joined.
 *
 * @throws {PlugError} `NOT_JOINED` before "chat/join"
 */
export function requireSeat(client: Client): Seat {
  const seat = seatOf(client);
  if (!seat) throw new PlugError("NOT_JOINED", 'Call "chat/join" with { name, room } first');
  return seat;
}

/**
 * `value` trimmed, as a chat room name.
 *
 * @throws {PlugError} `ROOM_REQUIRED` unless it is a string of 1 to {@linkcode MAX_ROOM} characters
 */
export function roomName(value: unknown): string {
  const room = typeof value === "string" ? value.trim() : "";
  if (room === "" || room.length > MAX_ROOM) {
    throw new PlugError(
      "ROOM_REQUIRED",
      `Send { room } with a string of 1 to ${MAX_ROOM} characters`,
    );
  }
  return room;
}

/**
 * Runs `work` once this connection's earlier seat changes are done. A
 * client's calls run concurrently: without this, two quick "chat/join"s
 * could both leave the old room and then join two new ones.
 */
export function inTurn<T>(client: Client, work: () => Promise<T>): Promise<T> {
  const before = (client.data.chatTurn as Promise<void> | undefined) ?? Promise.resolve();
  const turn = before.then(work);
  client.data.chatTurn = turn.then(() => {}, () => {});
  return turn;
}
