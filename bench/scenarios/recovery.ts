/**
 * Missed-message recovery: what a session waiting for its client costs
 * (heap per session holding 100 unacknowledged room broadcasts) and how
 * long a resume takes (new socket to the last of its 100 replayed frames).
 * Runs bench/load/recovery_probe.ts, which needs `--expose-gc` for steady
 * heap figures.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** One round's figures. */
export interface RecoveryResult {
  sessions: number;
  frames: number;
  /** Heap bytes per waiting session, after GC. */
  perSession: number;
  /** Bytes of frames one session holds (what `recovery.maxBytes` counts). */
  frameBytes: number;
  /** Resume latencies in ms, one per session. */
  latencies: number[];
}

const PROBE = fileURLToPath(new URL("../load/recovery_probe.ts", import.meta.url));

/** Runs `rounds` rounds, each in a fresh process. */
export async function recovery(
  options: { sessions: number; rounds: number },
  progress: (line: string) => void,
): Promise<RecoveryResult[]> {
  const results: RecoveryResult[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--expose-gc", PROBE, String(options.sessions)],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`recovery_probe.ts exited ${out.code}`);
    const result = JSON.parse(new TextDecoder().decode(out.stdout)) as RecoveryResult;
    results.push(result);
    progress(
      `  round ${round}: ${(result.perSession / 1024).toFixed(1)} KiB per waiting session, ` +
        `resume p50 ${percentile(result.latencies, 0.5).toFixed(2)} ms`,
    );
  }
  return results;
}

/** The `q` quantile of `values` (nearest rank). */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
