/**
 * `deno task attack`: the attacks of issue 10 against a fresh ssocket
 * process each, for both transports, on 127.0.0.1 only, every one bounded in
 * count and time (about a minute in all). Prints a Markdown table of the
 * server's RSS, what happened to the attacker, and the bystander's echo p99
 * as a ratio to its unloaded p99; writes it to bench/results/attack.md.
 *
 * Flags: `--transport ws|deno` (both by default), `--only name,…`,
 * `--out PATH`.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import { startServer } from "../lib/servers.ts";
import { stopAll } from "../lib/proc.ts";
import {
  type AttackResult,
  bigMessage,
  connectionFlood,
  flood,
  slowHeaders,
  stalledBroadcast,
  type Target,
} from "./attacks.ts";

/** The server keeps the limits' defaults except where an attack needs a shorter wait. */
const DEFAULT_LIMITS = [
  "--limits.messagesPerSecond",
  "1000",
  "--limits.maxConnectionsPerIp",
  "1000",
];

interface Attack {
  name: string;
  flags?: string[];
  run: (target: Target) => Promise<AttackResult>;
}

const ATTACKS: Attack[] = [
  { name: "flood tiny frames, never read, reconnect (10 s)", run: (t) => flood(t, 10_000) },
  {
    name: "the same with no rate limit: buffer cap only (10 s)",
    flags: ["--limits.messagesPerSecond", "0"],
    run: (t) => flood(t, 10_000),
  },
  {
    name: "1 GiB message as 1 MiB fragments",
    run: (t) => bigMessage(t, 1024, 1024, 15_000),
  },
  { name: "one 60 MiB frame", run: (t) => bigMessage(t, 60, 0, 15_000) },
  {
    name: "stalled reader, 2000 x 50 KB broadcasts",
    run: (t) => stalledBroadcast(t, 2000, 50_000),
  },
  { name: "5000 connections from one address", run: (t) => connectionFlood(t, 5000) },
  {
    name: "2000 connections that never finish their headers (headerTimeout 5 s)",
    flags: ["--limits.headerTimeout", "5000"],
    run: (t) => slowHeaders(t, 2000, 8000),
  },
];

function parseArgs(args: string[]) {
  const options = {
    transports: ["ws", "deno"],
    only: undefined as string[] | undefined,
    out: fileURLToPath(new URL("../results/attack.md", import.meta.url)),
  };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--transport") options.transports = [args[++i]];
    else if (args[i] === "--only") options.only = args[++i].split(",");
    else if (args[i] === "--out") options.out = args[++i];
    else throw new TypeError(`Unknown flag "${args[i]}"; see bench/attack/run.ts`);
  }
  return options;
}

const mib = (n: number) => n.toFixed(0);

if (import.meta.main) {
  const options = parseArgs(Deno.args);
  Deno.addSignalListener("SIGINT", () => stopAll().then(() => Deno.exit(130)));
  const started = performance.now();
  const load = Deno.loadavg()[0];
  const rows: string[] = [];
  for (const transport of options.transports) {
    for (const attack of ATTACKS) {
      if (options.only && !options.only.some((name) => attack.name.includes(name))) continue;
      const kind = transport === "ws" ? "ssocket" : "ssocket-deno";
      const server = await startServer(kind, { flags: [...DEFAULT_LIMITS, ...attack.flags ?? []] });
      console.error(`${transport}: ${attack.name}…`);
      try {
        const r = await attack.run({ url: server.url, pid: server.pid });
        const bystander = r.bystanderRatio === undefined
          ? "–"
          : `${r.bystanderRatio.toFixed(2)}x (${r.unloadedP99!.toFixed(2)} → ${
            r.bystanderP99!.toFixed(2)
          } ms)`;
        rows.push(
          `| ${transport} | ${attack.name} | ${mib(r.rssBefore)} → ${
            mib(r.rssPeak)
          } | ${bystander} | ${r.outcome} |`,
        );
        console.error(`  ${rows.at(-1)}`);
      } finally {
        await server.stop();
      }
    }
  }
  const report = [
    `# Attacks (deno task attack)`,
    "",
    `${new Date().toISOString()}; ${cpus().length} cores, load average ${
      load.toFixed(1)
    } at the start; whole run ${((performance.now() - started) / 1000).toFixed(0)} s.`,
    "",
    "| transport | attack | server RSS MiB (before → peak) | bystander echo p99 vs unloaded | outcome |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  console.log(report);
  await Deno.writeTextFile(options.out, report);
}
