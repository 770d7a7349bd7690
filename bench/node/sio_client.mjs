/**
 * The Socket.IO load client: npm:socket.io-client 4 under node, websocket
 * transport only, C connections x W acknowledged emits in flight
 * (`socket.emit("echo", payload, ack)`; an ack sends the next emit). Same
 * warm-up, window and output (`RESULT {json}`) as bench/load/client.ts, and
 * it reads the server's CPU time from /proc at the edges of its window.
 *
 * Usage: `node bench/node/sio_client.mjs '<LoadConfig as JSON>'`
 */
import { readFileSync } from "node:fs";
import { io } from "socket.io-client";

const CLOCK_TICKS = 100;
const DRAIN_MS = 3000;

const config = JSON.parse(process.argv[2]);
const payload = config.payload;

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / (config.clockTicks ?? CLOCK_TICKS);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function connect() {
  return new Promise((resolve, reject) => {
    const socket = io(config.url, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

const sockets = await Promise.all(Array.from({ length: config.connections }, connect));
const latencies = [];
let sending = true;
let measuring = false;
let sent = 0;
let done = 0;
let measured = 0;
let errors = 0;

for (const socket of sockets) {
  const send = () => {
    const sentAt = performance.now();
    sent++;
    socket.emit("echo", payload, (reply) => {
      const now = performance.now();
      done++;
      if (reply?.id !== payload.id) errors++;
      if (measuring) {
        measured++;
        latencies.push(now - sentAt);
      }
      if (sending) send();
    });
  };
  for (let i = 0; i < config.window; i++) send();
}

await sleep(config.warmupMs);
const cpu0 = cpuSeconds(config.serverPid);
const self0 = cpuSeconds(process.pid);
const t0 = performance.now();
measuring = true;
await sleep(config.durationMs);
measuring = false;
const seconds = (performance.now() - t0) / 1000;
const serverCpu = cpuSeconds(config.serverPid) - cpu0;
const clientCpu = cpuSeconds(process.pid) - self0;
sending = false;
const drainUntil = performance.now() + DRAIN_MS;
while (done < sent && performance.now() < drainUntil) await sleep(20);
for (const socket of sockets) socket.disconnect();
latencies.sort((a, b) => a - b);
const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
const result = {
  count: measured,
  seconds,
  p50: at(0.5),
  p99: at(0.99),
  serverCpu,
  clientCpu,
  errors,
  lost: sent - done,
};
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(0);
