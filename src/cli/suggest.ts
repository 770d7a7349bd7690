/**
 * "Did you mean …?" for mistyped option names: the closest candidate by
 * edit distance, ignoring case.
 *
 * @example
 * ```ts
 * import { closest } from "./suggest.ts";
 * closest("payloadLimt", ["payloadLimit", "secure"]); // "payloadLimit"
 * ```
 * @module
 */

/**
 * The Levenshtein distance between two strings: the fewest single-character
 * insertions, deletions and substitutions turning `a` into `b`.
 *
 * @example
 * ```ts
 * import { editDistance } from "./suggest.ts";
 * editDistance("kitten", "sitting"); // 3
 * ```
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidate closest to `name` (case-insensitive), or `undefined` when none
 * is within a third of its length (at least 2 edits).
 *
 * @param name what was typed
 * @param candidates the valid names
 * @returns the best valid name, if one is close enough
 *
 * @example
 * ```ts
 * import { closest } from "./suggest.ts";
 * closest("insecure.port", ["INSECURE.port", "TLS.port"]); // "INSECURE.port"
 * closest("zzz", ["secure"]); // undefined
 * ```
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
