/**
 * Event "form/signup": a form checked by its schema before the plug runs.
 * An invalid form never reaches `signup`: the caller gets ERROR
 * INVALID_PAYLOAD with one issue per field (`err.issues` in the client),
 * ready to show next to the inputs.
 */
import type { SocketMessage } from "ssocket";
import * as v from "valibot";

export const schema = {
  payload: v.object({
    name: v.pipe(v.string(), v.trim(), v.minLength(2, "At least 2 characters")),
    email: v.pipe(v.string(), v.trim(), v.email("Not an email address")),
    age: v.pipe(v.number(), v.integer(), v.minValue(13, "You must be 13 or older")),
  }),
  reply: v.object({ welcome: v.string() }),
};

export async function* signup(message: SocketMessage<v.InferOutput<typeof schema.payload>>) {
  // The payload is the schema's output: trimmed and known to be valid.
  yield { payload: { welcome: `Welcome, ${message.payload.name}` } };
}
