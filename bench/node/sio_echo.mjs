/**
 * The Socket.IO reference: npm:socket.io 4 under node, acknowledged echo
 * (`socket.on("echo", (payload, ack) => ack(payload))`). Clients connect
 * with the websocket transport only, so no long-polling upgrade is timed.
 *
 * Usage: `node bench/node/sio_echo.mjs --port 9000`
 */
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
const http = createServer();
const io = new Server(http, { transports: ["websocket"], serveClient: false });
io.on("connection", (socket) => {
  socket.on("echo", (payload, ack) => ack(payload));
});
http.listen(port, "127.0.0.1", () => console.log(`Listening on ws://127.0.0.1:${port}/`));
process.on("SIGTERM", () => process.exit(0));
