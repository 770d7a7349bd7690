/** A seeded PRNG (mulberry32) so property tests are reproducible: failures print the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random integer in [min, max]. */
export function int(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Random bytes. */
export function bytes(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** A random string mixing ASCII, 2-, 3- and 4-byte UTF-8 characters. */
export function text(random: () => number, length: number): string {
  const pool = ["a", "Z", "/", "_", "é", "ß", "€", "中", "😀", "𝄞", " ", '"', "\\"];
  let out = "";
  for (let i = 0; i < length; i++) out += pool[Math.floor(random() * pool.length)];
  return out;
}
