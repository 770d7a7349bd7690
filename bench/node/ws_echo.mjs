/**
 * The Node reference: npm:ws 8 (pure JS, without the optional bufferutil /
 * utf-8-validate addons), run under node. Echoes every binary message back.
 *
 * Usage: `node bench/node/ws_echo.mjs --port 9000`
 */
import { WebSocketServer } from "ws";

const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
const server = new WebSocketServer({ port, host: "127.0.0.1", perMessageDeflate: false });
server.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
});
server.on("listening", () => console.log(`Listening on ws://127.0.0.1:${port}/`));
process.on("SIGTERM", () => process.exit(0));
