/** Event "echo": answers with the payload it was sent. */
import type { SocketMessage } from "ssocket";

export async function* echo(message: SocketMessage) {
  yield { payload: message.payload };
}
