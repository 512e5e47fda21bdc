import type { HeaderList } from '../../src/headers/mapping.js'

/** A flat header list (`[name, value, name, value, …]`) as pairs, for readable expectations. */
export function pairsOf(list: HeaderList): [string, string][]
export function pairsOf(list: HeaderList | undefined): [string, string][] | undefined
export function pairsOf(list: HeaderList | undefined): [string, string][] | undefined {
  if (list === undefined) return undefined
  if (list.length % 2 !== 0) throw new Error(`a header list has an even length, not ${list.length}`)
  const out: [string, string][] = []
  for (let i = 0; i < list.length; i += 2) out.push([list[i]!, list[i + 1]!])
  return out
}
