// A serverless-sockets plug, written anew from its README ("method-based broadcast");
// deno-lint-ignore-file verbatim-module-syntax -- kept as old plugs were written
// only the import line changed.
import { EventType, ModuleGenerator, Socket, SocketMessage } from "ssocket";

export async function* broadcast(message: SocketMessage, _from: WebSocket): ModuleGenerator {
  Socket.broadcast({
    type: EventType.BROADCAST,
    event: "broadcast-1",
    payload: message.payload,
  }, _from);
  yield { event: "", payload: {} };
}
