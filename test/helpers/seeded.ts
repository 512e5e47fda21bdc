/**
 * A seeded pseudo-random source for generated test inputs: each class test runs a fixed seed (the
 * same cases every run) and a fresh one that it prints, so a failure can be replayed with
 * GATEHOUSE_TEST_SEED=<seed>.
 */
export interface Random {
  seed: number
  int(max: number): number
  pick<T>(items: readonly T[]): T
}

export function seeded(seed: number): Random {
  let a = seed >>> 0
  const next = () => {
    // mulberry32
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { seed, int: (max) => Math.floor(next() * max), pick: (items) => items[Math.floor(next() * items.length)]! }
}

/** The fixed seed plus one random (or GATEHOUSE_TEST_SEED) seed, printed. */
export function seeds(fixed: number, label: string): number[] {
  const extra = Number(process.env.GATEHOUSE_TEST_SEED) || Math.floor(Math.random() * 2 ** 31)
  process.stdout.write(`${label}: seeds ${fixed} and ${extra} (replay with GATEHOUSE_TEST_SEED=${extra})\n`)
  return [fixed, extra]
}
