// A serverless-sockets plug, written anew from its README; only the import line changed.
// deno-lint-ignore-file verbatim-module-syntax -- kept as old plugs were written
import { ModuleGenerator, SocketMessage } from "ssocket";

export async function* echo(message: SocketMessage, _from: WebSocket): ModuleGenerator {
  yield { payload: message.payload };
}
