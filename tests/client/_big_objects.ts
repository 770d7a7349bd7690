/**
 * Deterministic large objects for SYNC tests: a catalogue of a few thousand
 * items in which each step edits, inserts and removes a few, the way a real
 * shared document changes. Imported by the test plugs and by the tests, so
 * both sides build the very same objects.
 *
 * @module
 */

import { prng as random } from "../_random.ts";

/** One item of the catalogue. */
export interface Item {
  id: number;
  name: string;
  tags: string[];
  score: number;
}

/** The whole object a SYNC plug yields at one step. */
export interface Catalogue {
  step: number;
  title: string;
  items: Item[];
}

const ITEMS = 2_500;
const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];

function item(id: number, next: () => number): Item {
  const word = () => WORDS[Math.floor(next() * WORDS.length)];
  return { id, name: `${word()}-${word()}-${id}`, tags: [word(), word()], score: next() };
}

/** The `count` successive states of a catalogue, from `seed`. */
export function catalogueSteps(seed: number, count: number): Catalogue[] {
  const next = random(seed);
  let items = Array.from({ length: ITEMS }, (_, id) => item(id, next));
  let lastId = ITEMS;
  const steps: Catalogue[] = [];
  for (let step = 0; step < count; step++) {
    items = items.map((it) => next() < 0.01 ? { ...it, score: next() } : it);
    const at = Math.floor(next() * items.length);
    items.splice(at, Math.floor(next() * 3), item(++lastId, next), item(++lastId, next));
    steps.push({ step, title: `Catalogue ${seed} at step ${step}`, items });
  }
  return steps;
}
