// A serverless-sockets plug, written anew from its README ("yielding a broadcast");
// deno-lint-ignore-file verbatim-module-syntax -- kept as old plugs were written
// only the import line changed.
import { EventType, ModuleGenerator, SocketMessage } from "ssocket";

export async function* broadcast(message: SocketMessage, _from: WebSocket): ModuleGenerator {
  yield {
    type: EventType.BROADCAST, // instruction to broadcast this message
    event: "broadcast-1",
    payload: message.payload,
  };
}
