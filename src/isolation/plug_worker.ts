/**
 * The Worker that runs plug code. It imports plug files on request, runs a
 * handler per call and steps its generator at most one yield ahead of the
 * server ({@linkcode Steps}: cancel, backpressure and the step timeout behave
 * as in-process), and gives plugs the plug API through {@linkcode ApiProxy}.
 * Everything it sends in one event-loop turn leaves in one `postMessage`.
 *
 * @example
 * ```ts ignore
 * new Worker(new URL("./plug_worker.ts", import.meta.url), { type: "module" });
 * ```
 * @module
 */

/// <reference lib="deno.worker" />

import { setImmediate } from "node:timers";
import { deserialize, serialize } from "node:v8";
import type { Config } from "../../config.ts";
import { decodeFrame } from "../protocol/frame.ts";
import { decodePayload } from "../protocol/payload.ts";
import { SocketMessage } from "../server/message.ts";
import type { PlugHandler, Yield } from "../plugs/types.ts";
import type { PlugSchema } from "../plugs/schema.ts";
import { ApiProxy, type Link } from "./api_proxy.ts";
import { decodeBody, encodeBody } from "./wire.ts";
import { SyncSlot } from "./sync_call.ts";
import { describeError, type ErrorInfo, exportKind, toError } from "./remote_error.ts";
import { describeSchema, runValidation } from "./schema_proxy.ts";
import { Steps } from "./run_ahead.ts";
import { remoteInput } from "./worker_calls.ts";
import { format, workerLog } from "./worker_log.ts";

/** How long a synchronous call may wait for the server before failing. */
const SYNC_CALL_MS = 30_000;

let slot: SyncSlot;
let api: ApiProxy;
let outbox: Uint8Array[] = [];
const modules = new Map<number, Record<string, unknown>>();
const steps = new Steps((c, call) => step(c, call.iterator.next()));
/** The server's `validateReplies`: a call whose replies it checks never runs ahead. */
let validateReplies = false;
/** Messages every handler of a multi-export plug shares, by the server's key. */
const shared = new Map<number, SocketMessage>();
const replies = new Map<number, PromiseWithResolvers<unknown>>();
let nextReply = 1;

function post(head: unknown, tail?: Uint8Array): void {
  if (outbox.length === 0) setImmediate(flush);
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

/** Throws the server's error as the plug would see it in-process (SchemaError, PlugError…). */
function rethrow(error: ErrorInfo): never {
  const err = toError(error);
  // The server's stack means nothing here; the plug's own frames are more useful.
  err.stack = new Error(error.message).stack?.replace(/^Error/, err.name);
  throw err;
}

/** A request's header, marked when a call runs ahead (see run_ahead.ts). */
function marked(head: Record<string, unknown>): Record<string, unknown> {
  if (steps.request()) head.m = 1;
  return head;
}

const link: Link = {
  sync(op, ...args) {
    const request = encodeBody(marked({ k: "sync", op }), serialize(args));
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
    post(marked({ k: "rpc", op, r }), serialize(args));
    return reply.promise;
  },
  notify(op, ...args) {
    // A log line needs no order with frames: it does not count as using the API.
    post(op === "log" ? { k: "notify", op } : marked({ k: "notify", op }), serialize(args));
  },
};

function step(c: number, work: Promise<IteratorResult<unknown>>) {
  work.then(
    (result) => {
      // Undefined when the call was returned meanwhile: its data was settled then.
      const call = steps.get(c);
      try {
        const data = call && api.changedData(call.id, result.done === true);
        if (result.done) {
          steps.end(c);
          post({ k: "done", c, data: data !== undefined }, data);
        } else {
          // `a`: the Worker goes on to the next step before the server asks.
          const a = steps.yielded(c) ? 1 : undefined;
          const value = result.value as Yield | undefined;
          const payload = value?.payload;
          if (payload instanceof Uint8Array) {
            // Bytes cross as bytes, after the JSON header: JSON would make them an object.
            const head = {
              k: "y",
              c,
              a,
              value: { ...value, payload: undefined },
              bin: payload.length,
            };
            post({ ...head, data: data !== undefined }, data ? join(payload, data) : payload);
          } else post({ k: "y", c, a, value, data: data !== undefined }, data);
          if (a) steps.continue(c);
        }
      } catch (err) {
        // JSON.stringify failed (a BigInt, a cycle) or data cannot be cloned: the call fails.
        if (call && steps.end(c) && !result.done) {
          const live = api.live.get(call.id);
          if (live && --live.calls === 0) api.live.delete(call.id);
          call.iterator.return?.(undefined)?.catch?.(() => {});
        }
        post({ k: "err", c, error: describeError(err) });
      }
    },
    (err) => {
      const call = steps.end(c);
      let data: Uint8Array | undefined;
      try {
        data = call && api.changedData(call.id, true);
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
      schema: name === "schema" ? describeSchema(value) : undefined,
    }));
    post({ k: "loaded", v, exports });
  } catch (err) {
    post({ k: "loadFailed", v, error: describeError(err) });
  }
}

/** What the server sends with a call: sizes of the parts of its tail. */
interface CallHead {
  c: number;
  v: number;
  name: string;
  id: string;
  /** Bytes of the request frame, first in the tail. */
  raw: number;
  /** Bytes of the caller's client.data, next (absent: empty). */
  data?: number;
  /** The rest of the tail is the payload the plug's schema returned. */
  payload?: boolean;
  /** Key of a message shared by the handlers of a multi-export plug. */
  m?: number;
}

/** The message as dispatch built it: the same payload (binary, SYNC-typed, validated) and input. */
function messageOf(head: CallHead, tail: Uint8Array): SocketMessage {
  const known = head.m === undefined ? undefined : shared.get(head.m);
  if (known) return known;
  const raw = tail.subarray(0, head.raw);
  const frame = decodeFrame(raw);
  const payload = head.payload
    ? deserialize(tail.subarray(head.raw + (head.data ?? 0)))
    : decodePayload(frame);
  const input = remoteInput(link, head.id);
  const message = new SocketMessage(raw, frame.event, frame.type, payload, frame.requestId, input);
  if (head.m !== undefined) shared.set(head.m, message);
  return message;
}

function call(head: CallHead, tail: Uint8Array): void {
  const { c, id } = head;
  const dataBytes = tail.subarray(head.raw, head.raw + (head.data ?? 0));
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
    const message = messageOf(head, tail);
    const handler = modules.get(head.v)?.[head.name] as PlugHandler | undefined;
    if (!handler) throw new Error(`Plug version ${head.v} has no handler "${head.name}" here`);
    const iterable = handler(message, api.client(id));
    const iterator = (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const schema = modules.get(head.v)?.schema as PlugSchema | undefined;
    steps.begin(c, { iterator, id, canAhead: !(validateReplies && schema?.reply) });
  } catch (err) {
    steps.begin(c, { iterator: failing(err), id, canAhead: false });
  }
}

/** Runs part `part` of version `v`'s schema for the server. */
function validate(q: number, v: number, part: string, tail: Uint8Array): void {
  Promise.resolve()
    .then(() => runValidation(modules.get(v)?.schema as PlugSchema | undefined, part, unpack(tail)))
    .then((result) => post({ k: "validated", q }, cloneResult(part, result)))
    .catch((err) => post({ k: "validated", q, error: describeError(err) }));
}

function receive(body: Uint8Array): void {
  const { head, tail } = decodeBody(body);
  switch (head.k) {
    case "call":
      return call(head, tail);
    case "next":
      return steps.acknowledged(head.c);
    case "return": {
      const call = steps.end(head.c);
      const iterator = call?.iterator;
      if (call) {
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
    case "validate":
      return validate(head.q, head.v, head.part, tail);
    case "callReply":
      return api.calls.reply(head, tail);
    case "forget":
      shared.delete(head.m);
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
  validateReplies = config.validateReplies;
  api = new ApiProxy(link, config, workerLog(link));
  self.onmessage = (event: MessageEvent<Uint8Array[]>) => {
    for (const body of event.data) receive(body);
  };
};

/** The validator's result as bytes; its output must be cloneable to reach the server. */
function cloneResult(part: string, result: unknown): Uint8Array {
  try {
    return serialize(result);
  } catch (err) {
    throw new TypeError(
      `The output of schema.${part} cannot leave the Worker: ${(err as Error).message}`,
    );
  }
}

/** The iterator of a handler that threw before its first step. */
function failing(err: unknown): AsyncIterator<unknown> {
  return { next: () => Promise.reject(err) };
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
