/**
 * The recovery scenario, shared by the one-node and two-node tests:
 * plugs that join a room, keep data and start a SYNC stream, and helpers to
 * wait for client events.
 *
 * @module
 */

import type { ConnectionEvents, SsocketClient } from "../../src/client/mod.ts";
import { WAIT_MS, withTimeout } from "../_harness.ts";

/** Plugs every recovery test serves. */
export const RECOVERY_PLUGS: Record<string, string> = {
  "room/join.ts": `export async function* join(m, c) {
    await c.join(m.payload.room, { name: m.payload.name ?? null });
    yield { payload: [...c.rooms] };
  }`,
  "room/say.ts": `export async function* say(m) {
    yield { type: 1, room: m.payload.room, event: "tick", payload: m.payload.n };
  }`,
  "whoami.ts": `export async function* whoami(_m, c) {
    yield { payload: { id: c.id, rooms: [...c.rooms], data: c.data } };
  }`,
  "remember.ts": "export async function* remember(m, c) { c.data.note = m.payload; yield {}; }",
  "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }",
};

/** A SYNC state that is large but changes a little at each step, so deltas are small. */
export function doc(step: number): { step: number; text: string; items: number[] } {
  return { step, text: "lorem ipsum ".repeat(400), items: Array.from({ length: 50 }, (_, i) => i) };
}

/** Resolves with the next `kind` connection event of `client`. */
export function nextEvent<K extends keyof ConnectionEvents>(
  client: SsocketClient,
  kind: K,
  timeoutMs = WAIT_MS,
): Promise<ConnectionEvents[K]> {
  let off = () => {};
  const event = new Promise<ConnectionEvents[K]>((resolve) => {
    off = client.onConnection(kind, (value) => {
      off();
      resolve(value);
    });
  });
  return withTimeout(event, timeoutMs, () => `No "${kind}" event within ${timeoutMs} ms`)
    .finally(off);
}

/** Resolves once `check()` is true, checking after each event `subscribe` reports. */
export function until(
  subscribe: (notify: () => void) => () => void,
  check: () => boolean,
  what: string,
): Promise<void> {
  if (check()) return Promise.resolve();
  let off = () => {};
  const done = new Promise<void>((resolve) => {
    off = subscribe(() => check() && resolve());
  });
  return withTimeout(done, WAIT_MS, () => `Timed out waiting for ${what}`).finally(() => off());
}

/** The client's backoff: the 3 s away. */
export const AWAY = { initialDelay: 3000, maxDelay: 3000, jitter: 0 };

/** What a client recorded after {@linkcode settleIn}. */
export interface Settled {
  /** Its connection id before the drop. */
  id: string;
  /** The payloads of every "tick" broadcast, in arrival order. */
  ticks: number[];
  /** Every state of the "doc" SYNC stream, in arrival order. */
  docs: { step: number }[];
}

/**
 * Joins room "r", stores `client.data.note = "kept"`, and records "tick"
 * broadcasts and "doc" states: what a resume must give back.
 */
export async function settleIn(client: SsocketClient): Promise<Settled> {
  await client.ready();
  const { id } = await client.call("whoami").first() as { id: string };
  await client.call("room/join", { room: "r" }).first();
  await client.call("remember", "kept").first();
  const ticks: number[] = [];
  client.on("tick", (n) => ticks.push(n as number));
  const docs: { step: number }[] = [];
  client.on("doc", (state) => docs.push(state as { step: number }));
  return { id, ticks, docs };
}
