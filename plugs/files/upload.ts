/**
 * Event "files/upload": a binary upload with progress. Call it with
 * `{ name, size }`, then `call.write(chunk)` the file's bytes as
 * `Uint8Array`s and `call.end()`. Each chunk is answered with
 * `{ received, size }`; the end with `{ name, bytes, sha256 }`.
 */
import { PlugError, type SocketMessage } from "ssocket";
import * as v from "valibot";

/** Largest upload this example keeps in memory. */
const MAX_UPLOAD = 50 * 1024 * 1024;

export const schema = {
  payload: v.object({
    name: v.pipe(v.string(), v.minLength(1), v.maxLength(255)),
    size: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_UPLOAD)),
  }),
  input: v.instance(Uint8Array),
};

type Progress = { received: number; size: number };
type Done = { name: string; bytes: number; sha256: string };

export async function* upload(
  message: SocketMessage<v.InferOutput<typeof schema.payload>, Uint8Array>,
): AsyncGenerator<{ payload: Progress | Done }> {
  const { name, size } = message.payload;
  const file = new Uint8Array(size);
  let received = 0;
  for await (const chunk of message.input) {
    if (received + chunk.length > size) {
      throw new PlugError("TOO_LARGE", `"${name}" is larger than the ${size} bytes announced`);
    }
    file.set(chunk, received); // the one copy: out of the frame, into the file
    received += chunk.length;
    yield { payload: { received, size } };
  }
  if (received !== size) {
    throw new PlugError("INCOMPLETE", `Got ${received} of the ${size} bytes of "${name}"`);
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", file));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  yield { payload: { name, bytes: received, sha256 } };
}
