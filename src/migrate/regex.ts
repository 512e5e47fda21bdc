/**
 * oauth2-proxy's skip-auth regexes (Go RE2, unanchored, matched against the decoded path) as Gatehouse
 * path regexes, which must be anchored `^…$`. Wrapping keeps the meaning: `R` matches somewhere in the
 * path exactly when `^[\s\S]*(?:R)[\s\S]*$` matches the whole path.
 */

/** RE2 syntax that JavaScript reads differently or not at all. */
const RE2_ONLY: [RegExp, string][] = [
  [/\(\?[imsU-]+\)/, 'inline flags such as (?i)'],
  [/\(\?[imsU-]+:/, 'flag groups such as (?i:…)'],
  [/\\[AzQEpP]/, '\\A, \\z, \\Q…\\E or \\p classes'],
  [/\[\[:[a-z]+:\]\]|\[:[a-z]+:\]/, 'POSIX classes such as [[:alpha:]]'],
  [/\(\?P</, 'named groups written (?P<name>…)'],
]

/**
 * oauth2-proxy never skips auth for a path holding `;`, `\\` or `//` (requestutil.GetRequestPath): a
 * backend may read `/admin;x.css` as `/admin`. The converted regexes refuse them the same way.
 */
const GUARD = '(?![\\s\\S]*(?:;|\\\\|//))'

export type Converted = { regex: string } | { problem: string }

/** A whole-pattern anchor check: `^…$` with the `$` not escaped and no top-level `|`. */
function simplyAnchored(r: string): boolean {
  if (!r.startsWith('^') || !r.endsWith('$') || r.endsWith('\\$')) return false
  let depth = 0
  let inClass = false
  for (let i = 0; i < r.length; i++) {
    const c = r[i]
    if (c === '\\') {
      i++
      continue
    }
    if (inClass) {
      if (c === ']') inClass = false
      continue
    }
    if (c === '[') inClass = true
    else if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === '|' && depth === 0) return false
  }
  return true
}

export function convertRegex(re2: string, negate = false): Converted {
  for (const [pattern, what] of RE2_ONLY) {
    if (pattern.test(re2)) return { problem: `uses ${what}, which JavaScript regexes read differently: rewrite it without` }
  }
  try {
    new RegExp(re2)
  } catch (err) {
    return { problem: `is not a regex JavaScript accepts (${(err as Error).message})` }
  }
  if (negate) return { regex: `^${GUARD}(?![\\s\\S]*(?:${re2}))[\\s\\S]*$` }
  if (simplyAnchored(re2)) return { regex: `^${GUARD}${re2.slice(1)}` }
  const head = re2.startsWith('^') && !/\|/.test(re2) ? `^${GUARD}${re2.slice(1)}` : `^${GUARD}[\\s\\S]*(?:${re2})`
  return { regex: `${head}[\\s\\S]*$` }
}
