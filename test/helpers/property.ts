/**
 * Property runs with fast-check: once with a fixed seed (reproducible in CI), once with a random
 * seed that is printed on failure. Replay a failure with `FC_SEED=<seed> npx jest …`.
 */
import fc from 'fast-check'

export const FIXED_SEED = 20261201
export const randomSeed = process.env.FC_SEED ? Number(process.env.FC_SEED) : (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0

const failedWith = (seed: number, err: unknown) =>
  new Error(`property failed with seed ${seed} (replay: FC_SEED=${seed})\n${(err as Error).message}`)

/** Runs a synchronous property under the fixed seed, then under the random one. */
export function assertProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>, numRuns = 300): void {
  for (const seed of [FIXED_SEED, randomSeed]) {
    try {
      fc.assert(property, { seed, numRuns })
    } catch (err) {
      throw failedWith(seed, err)
    }
  }
}

/** `assertProperty` with more runs by default, for cheap properties. */
export const checkProperty = <Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>, numRuns = 500): void =>
  assertProperty(property, numRuns)

/** `assertProperty` for async properties (HTTP round trips). */
export async function assertAsyncProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<Ts>, numRuns = 100): Promise<void> {
  for (const seed of [FIXED_SEED, randomSeed]) {
    try {
      await fc.assert(property, { seed, numRuns })
    } catch (err) {
      throw failedWith(seed, err)
    }
  }
}

/** Header-name spellings a CGI/WSGI/PHP backend folds together: any case, `-` as `_` or `.`. */
export const spellings = (name: string): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }),
      fc.array(fc.constantFrom('-', '_', '.'), { minLength: name.length, maxLength: name.length }),
    )
    .map(([upper, seps]) =>
      [...name].map((c, i) => (c === '-' ? seps[i]! : upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''),
    )
