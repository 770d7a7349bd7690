/**
 * A plug host: the child process whose Workers run plug code. It only routes
 * bytes: messages from the server (stdin) go to the Worker named in their
 * envelope, Worker messages go back to the server (stdout). It exists so the
 * server can stop hung plug code for real by killing this process:
 * `worker.terminate()` does not stop a Worker spinning in `while (true) {}`
 * (denoland/deno#35657).
 *
 * Control messages (target 0): `{ k: "spawn", w, permissions, config }` starts
 * Worker `w`; `{ k: "kill", w }` terminates it. The host reports
 * `{ k: "died", w, error }` when a Worker fails.
 *
 * @example
 * ```sh ignore
 * deno run --unstable-worker-options --allow-read=plugs src/isolation/host_main.ts
 * ```
 * @module
 */

import {
  BatchWriter,
  decodeBody,
  encodeMessage,
  envelope,
  MessageReader,
  SYNC_REPLY,
} from "./wire.ts";
import { SYNC_BUFFER_BYTES, SyncSlot } from "./sync_call.ts";

const WORKER_URL = new URL("./plug_worker.ts", import.meta.url);

interface HostedWorker {
  worker: Worker;
  slot: SyncSlot;
}

const out = new BatchWriter(Deno.stdout.writable);
const workers = new Map<number, HostedWorker>();

function spawn(w: number, head: { permissions: Deno.PermissionOptionsObject; config: unknown }) {
  const worker = new Worker(WORKER_URL, {
    type: "module",
    name: `plug-worker-${w}`,
    deno: { permissions: head.permissions },
  } as WorkerOptions);
  const slot = new SyncSlot(new SharedArrayBuffer(SYNC_BUFFER_BYTES));
  workers.set(w, { worker, slot });
  worker.onmessage = (event: MessageEvent<Uint8Array[]>) => {
    for (const body of event.data) out.write(envelope(w, body));
  };
  const died = (error: string) => {
    if (!workers.delete(w)) return;
    worker.terminate();
    out.write(encodeMessage(0, { k: "died", w, error }));
  };
  worker.onerror = (event) => {
    // Handled here, so an uncaught error in plug code ends its Worker, not the host.
    event.preventDefault();
    died(event.message ?? String(event.error));
  };
  worker.onmessageerror = () => died("a message could not be deserialized");
  worker.postMessage({ w, buffer: slot.buffer, config: head.config });
}

function control(body: Uint8Array): void {
  const { head } = decodeBody(body);
  if (head.k === "spawn") spawn(head.w, head);
  else if (head.k === "kill") {
    workers.get(head.w)?.worker.terminate();
    workers.delete(head.w);
  }
}

const reader = new MessageReader();
let batches = new Map<number, Uint8Array[]>();
for await (const chunk of Deno.stdin.readable) {
  reader.push(chunk, (target, body) => {
    if (target === 0) return control(body);
    if (target & SYNC_REPLY) {
      workers.get(target & ~SYNC_REPLY)?.slot.answer(body);
      return;
    }
    const batch = batches.get(target);
    if (batch) batch.push(body);
    else batches.set(target, [body]);
  });
  // One postMessage per Worker per chunk: posting costs more than the bytes.
  for (const [w, batch] of batches) workers.get(w)?.worker.postMessage(batch);
  batches = new Map();
}
// The server closed our stdin: it is shutting down or replacing us.
for (const { worker } of workers.values()) worker.terminate();
await out.close();
Deno.exit(0);
