/**
 * Event "files/delete": asks the caller to confirm before it acts. The
 * server calls the client's "confirm" handler (`client.handle("confirm", …)`
 * in the client library) and waits for its answer.
 */
import { type Client, PlugError, type SocketMessage } from "ssocket";

/** How long the person at the client has to answer. */
const CONFIRM_TIMEOUT_MS = 60_000;

export async function* remove(message: SocketMessage<{ name: string }>, client: Client) {
  const name = String(message.payload?.name ?? "");
  if (!name) throw new PlugError("NAME_REQUIRED", "Send { name }");
  const confirmed = await client
    .call<boolean>("confirm", { question: `Delete "${name}"?` }, { timeout: CONFIRM_TIMEOUT_MS })
    .first();
  if (confirmed !== true) throw new PlugError("DECLINED", `Deleting "${name}" was not confirmed`);
  yield { payload: { deleted: name } };
}
