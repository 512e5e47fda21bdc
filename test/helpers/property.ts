/**
 * fast-check settings for property tests: a fixed seed that always runs, plus a fresh random seed
 * printed on failure so it can be replayed (`FC_SEED=<seed> npx jest …`).
 */
import fc from 'fast-check'

const FIXED_SEED = 20261201
export const randomSeed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31))

/** Runs a synchronous property under the fixed seed, then under the random one. */
export function checkProperty<T>(property: fc.IProperty<T>, numRuns = 500): void {
  for (const seed of [FIXED_SEED, randomSeed]) {
    try {
      fc.assert(property, { seed, numRuns })
    } catch (err) {
      throw new Error(`property failed with seed ${seed} (replay: FC_SEED=${seed})\n${(err as Error).message}`)
    }
  }
}
