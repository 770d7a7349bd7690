/**
 * The Worker that runs plug code. It imports plug files on request, runs a
 * handler per call and steps its generator only when the server asks for the
 * next yield (so cancel, backpressure and the step timeout behave as
 * in-process), and gives plugs the plug API through {@linkcode ApiProxy}.
 * Everything it sends is batched per microtask into one `postMessage`.
 *
 * @example
 * ```ts ignore
 * new Worker(new URL("./plug_worker.ts", import.meta.url), { type: "module" });
 * ```
 * @module
 */

/// <reference lib="deno.worker" />

import { deserialize, serialize } from "node:v8";
import type { Config } from "../../config.ts";
import type { Logger } from "../log.ts";
import { decodeFrame, decodeJsonPayload } from "../protocol/frame.ts";
import { EventType } from "../protocol/event_type.ts";
import { PlugError } from "../protocol/errors.ts";
import { SocketMessage } from "../server/message.ts";
import type { PlugHandler } from "../plugs/types.ts";
import { ApiProxy, type Link } from "./api_proxy.ts";
import { decodeBody, encodeBody } from "./wire.ts";
import { SyncSlot } from "./sync_call.ts";
import { describeError, exportKind } from "./remote_error.ts";

/** How long a synchronous call may wait for the server before failing. */
const SYNC_CALL_MS = 30_000;

let slot: SyncSlot;
let api: ApiProxy;
let outbox: Uint8Array[] = [];
const modules = new Map<number, Record<string, unknown>>();
const calls = new Map<number, { iterator: AsyncIterator<unknown>; id: string }>();
const replies = new Map<number, PromiseWithResolvers<unknown>>();
let nextReply = 1;
const emptyIterator: AsyncIterator<unknown> = {
  next: () => Promise.resolve({ done: true, value: undefined }),
};

function post(head: unknown, tail?: Uint8Array): void {
  if (outbox.length === 0) queueMicrotask(flush);
  outbox.push(encodeBody(head, tail));
}

function flush(): void {
  if (outbox.length === 0) return;
  const batch = outbox;
  outbox = [];
  self.postMessage(batch);
}

function unpack(tail: Uint8Array): unknown {
  return tail.length === 0 ? undefined : deserialize(tail);
}

function rethrow(error: { name: string; message: string; code?: string; stack?: string }): never {
  const err = error.code ? new PlugError(error.code, error.message) : new Error(error.message);
  if (!error.code) err.name = error.name;
  throw err;
}

const link: Link = {
  sync(op, ...args) {
    const request = encodeBody({ k: "sync", op }, serialize(args));
    slot.arm();
    outbox.push(request);
    flush();
    const { head, tail } = decodeBody(slot.wait(SYNC_CALL_MS));
    if (head.error) rethrow(head.error);
    return unpack(tail);
  },
  call(op, ...args) {
    const r = nextReply++;
    const reply = Promise.withResolvers<unknown>();
    replies.set(r, reply);
    post({ k: "rpc", op, r }, serialize(args));
    return reply.promise;
  },
  notify(op, ...args) {
    post({ k: "notify", op }, serialize(args));
  },
};

function format(part: unknown): string {
  if (typeof part === "string") return part;
  if (part instanceof Error) return part.stack ?? `${part.name}: ${part.message}`;
  try {
    return typeof part === "object" ? JSON.stringify(part) : String(part);
  } catch {
    return String(part);
  }
}

function workerLog(): Logger {
  const write = (level: string) => (...parts: unknown[]) =>
    link.notify("log", level, parts.map(format).join(" "));
  return {
    enabled: () => true,
    error: write("error"),
    warn: write("warn"),
    info: write("info"),
    debug: write("debug"),
  } as unknown as Logger;
}

/** The caller's data, serialized, when it differs from what the server holds. */
function changedData(id: string, ending: boolean): Uint8Array | undefined {
  const live = api.live.get(id);
  if (!live) return undefined;
  if (ending && --live.calls === 0) api.live.delete(id);
  if (live.base.length === 0 && Object.keys(live.data).length === 0) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = serialize(live.data);
  } catch (err) {
    throw new TypeError(
      `client.data must hold structured-cloneable values in worker isolation: ${
        (err as Error).message
      }`,
    );
  }
  if (bytes.length === live.base.length && bytes.every((byte, i) => byte === live.base[i])) {
    return undefined;
  }
  live.base = bytes;
  return bytes;
}

function step(c: number, work: Promise<IteratorResult<unknown>>) {
  work.then(
    (result) => {
      // Undefined when the call was returned meanwhile: its data was settled then.
      const call = calls.get(c);
      try {
        const data = call && changedData(call.id, result.done === true);
        if (result.done) {
          calls.delete(c);
          post({ k: "done", c, data: data !== undefined }, data);
        } else {
          post({ k: "y", c, value: result.value, data: data !== undefined }, data);
        }
      } catch (err) {
        // JSON.stringify failed (a BigInt, a cycle) or data cannot be cloned: the call fails.
        if (call && calls.delete(c) && !result.done) {
          const live = api.live.get(call.id);
          if (live && --live.calls === 0) api.live.delete(call.id);
          call.iterator.return?.(undefined)?.catch?.(() => {});
        }
        post({ k: "err", c, error: describeError(err) });
      }
    },
    (err) => {
      const call = calls.get(c);
      calls.delete(c);
      let data: Uint8Array | undefined;
      try {
        data = call && changedData(call.id, true);
      } catch {
        // The plug's own error is the one to report.
      }
      post({ k: "err", c, error: describeError(err), data: data !== undefined }, data);
    },
  );
}

async function load(v: number, url: string): Promise<void> {
  try {
    const module = await import(url);
    modules.set(v, module);
    const exports = Object.entries(module).map(([name, value]) => ({
      name,
      kind: exportKind(value),
    }));
    post({ k: "loaded", v, exports });
  } catch (err) {
    post({ k: "loadFailed", v, error: describeError(err) });
  }
}

function call(
  head: { c: number; v: number; name: string; id: string; rawSize: number },
  tail: Uint8Array,
): void {
  const { c, id } = head;
  const raw = tail.subarray(0, head.rawSize);
  const dataBytes = tail.subarray(head.rawSize);
  try {
    let live = api.live.get(id);
    if (!live) {
      live = { data: {}, base: dataBytes.slice(), calls: 0 };
      api.live.set(id, live);
    }
    if (live.calls === 0) {
      live.data = dataBytes.length ? deserialize(dataBytes) as Record<string, unknown> : {};
      live.base = dataBytes.slice();
    }
    live.calls++;
    const frame = decodeFrame(raw);
    const payload = frame.type === EventType.SYNC ? frame.payload : decodeJsonPayload(frame);
    const message = new SocketMessage(raw, frame.event, frame.type, payload, frame.requestId);
    const handler = modules.get(head.v)?.[head.name] as PlugHandler | undefined;
    if (!handler) throw new Error(`Plug version ${head.v} has no handler "${head.name}" here`);
    const iterable = handler(message, api.client(id));
    const iterator = (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    calls.set(c, { iterator, id });
    step(c, iterator.next());
  } catch (err) {
    calls.set(c, { iterator: emptyIterator, id });
    step(c, Promise.reject(err));
  }
}

function receive(body: Uint8Array): void {
  const { head, tail } = decodeBody(body);
  switch (head.k) {
    case "call":
      return call(head, tail);
    case "next": {
      const call = calls.get(head.c);
      if (call) step(head.c, call.iterator.next());
      return;
    }
    case "return": {
      const call = calls.get(head.c);
      const iterator = call?.iterator;
      if (call && calls.delete(head.c)) {
        const live = api.live.get(call.id);
        if (live && --live.calls === 0) api.live.delete(call.id);
      }
      // The plug's finally blocks run; only then is the call over for this Worker.
      Promise.resolve(iterator?.return?.(undefined)).catch(() => {}).finally(() =>
        post({ k: "returned", c: head.c })
      );
      return;
    }
    case "load":
      load(head.v, head.url);
      return;
    case "ping":
      post({ k: "pong", n: head.n });
      return;
    case "hook":
      Promise.resolve()
        .then(() =>
          api.runHook(head.hook, head.id, head.closed ? { data: unpack(tail) as never } : undefined)
        )
        .catch((err) => link.notify("log", "error", `Connection hook failed: ${format(err)}`));
      return;
    case "reply": {
      const reply = replies.get(head.r);
      replies.delete(head.r);
      if (head.error) {
        try {
          rethrow(head.error);
        } catch (err) {
          reply?.reject(err);
        }
      } else reply?.resolve(unpack(tail));
    }
  }
}

self.onmessage = (event: MessageEvent) => {
  const { buffer, config } = event.data as { buffer: SharedArrayBuffer; config: Config };
  slot = new SyncSlot(buffer);
  api = new ApiProxy(link, config, workerLog());
  self.onmessage = (event: MessageEvent<Uint8Array[]>) => {
    for (const body of event.data) receive(body);
  };
};
