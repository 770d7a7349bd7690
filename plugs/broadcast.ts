/** Event "broadcast": sends the payload to every other connection. */
import { EventType, type SocketMessage } from "ssocket";

export async function* broadcast(message: SocketMessage) {
  yield { type: EventType.BROADCAST, payload: message.payload };
  yield { payload: { sent: true } };
}
