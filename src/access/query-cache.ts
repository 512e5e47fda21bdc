import { compileQuery, type Check } from './authorize.js'

/**
 * Proxies send the same few query strings over and over (one per ingress), so compiled checks
 * are memoised; the map is bounded so hostile query strings cannot grow it.
 */
export function createQueryChecks(limit = 256): (querystring: string) => Check {
  const compiled = new Map<string, Check>()
  return (qs) => {
    let check = compiled.get(qs)
    if (!check) {
      check = compileQuery(qs)
      if (compiled.size >= limit) compiled.delete(compiled.keys().next().value!)
      compiled.set(qs, check)
    }
    return check
  }
}
