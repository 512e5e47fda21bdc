/**
 * Property runs with fast-check: once with a fixed seed (reproducible in CI), once with a random
 * seed that is printed on failure. Replay a failure with `FC_SEED=<seed>`.
 */
import fc from 'fast-check'

export const FIXED_SEED = 20261201

export function assertProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>, numRuns = 300): void {
  fc.assert(property, { seed: FIXED_SEED, numRuns })
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0
  try {
    fc.assert(property, { seed, numRuns })
  } catch (err) {
    throw new Error(`property failed with random seed ${seed} (replay: FC_SEED=${seed})\n${(err as Error).message}`)
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

/** `assertProperty` for async properties (HTTP round trips). */
export async function assertAsyncProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<Ts>, numRuns = 100): Promise<void> {
  await fc.assert(property, { seed: FIXED_SEED, numRuns })
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0
  try {
    await fc.assert(property, { seed, numRuns })
  } catch (err) {
    throw new Error(`property failed with random seed ${seed} (replay: FC_SEED=${seed})\n${(err as Error).message}`)
  }
}
