/**
 * Medians, ratios and Markdown tables for the bench report.
 *
 * @module
 */

/** The median of `values`, ignoring NaN; NaN when none are left. */
export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Formats a number with `digits` decimals and thousands separators; "–" for NaN. */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** "0.87x", or "–" when either side is missing. */
export function ratio(value: number, reference: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) return "–";
  return `${(value / reference).toFixed(2)}x`;
}

/** A Markdown table; numbers are right-aligned when `align` says "r". */
export function table(header: string[], rows: string[][], align?: string): string {
  const marks = header.map((_, i) => (align?.[i] ?? "l") === "r" ? "---:" : "---");
  return [header, marks, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** The machine line of the report: CPU model, cores, runtime versions, date. */
export async function machineInfo(): Promise<string> {
  let cpu = "unknown CPU";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = info.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpu;
  } catch { /* not Linux */ }
  let node = "not found";
  try {
    const out = await new Deno.Command("node", { args: ["--version"] }).output();
    node = new TextDecoder().decode(out.stdout).trim();
  } catch { /* no node */ }
  let load = "";
  try {
    load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  } catch { /* not Linux */ }
  return [
    `- Machine: ${cpu}, ${navigator.hardwareConcurrency} cores, ${Deno.build.os} ${Deno.build.arch}`,
    `- Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), Node ${node}`,
    `- Date: ${new Date().toISOString()}; load average at the end ${load} ` +
    "(other work on the machine shows up as noise)",
  ].join("\n");
}
