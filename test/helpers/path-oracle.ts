/**
 * An independent model of the paths a backend may serve for a request path (issue 10): WHATWG URL
 * parsing, up to two percent-decodes (only the ASCII escapes where the path is not UTF-8), `;`
 * parameters dropped, the path cut at a decoded `?`, `#`, whitespace or control character, `\\` read
 * as a separator or as an ordinary character, in any order.
 * Written apart from src/rules/normalise.ts so that property tests compare two implementations; the
 * e2e differential suite may reuse it.
 */
import fc from 'fast-check'
/** RFC 3986 remove_dot_segments, written independently of src/rules/normalise.ts. */
function removeDots(path: string): string {
  const out: string[] = []
  const segs = path.split('/').slice(1)
  segs.forEach((s, i) => {
    const last = i === segs.length - 1
    if (s === '.' || s === '..') {
      if (s === '..') out.pop()
      if (last) out.push('')
    } else out.push(s)
  })
  return '/' + out.join('/')
}

const settle = (p: string) => removeDots(p.replace(/\\/g, '/').replace(/\/{2,}/g, '/'))
/** `\\` as an ordinary character, as nginx and Unix file paths read it. */
const settleLiteral = (p: string) => removeDots(p.replace(/\/{2,}/g, '/'))

/**
 * The paths a backend might serve: WHATWG parsing, up to two percent-decodes, `;` parameters
 * dropped, the path cut at a decoded `?`, `#`, whitespace or control character, in any order.
 */
export function oracleReadings(raw: string): Set<string> {
  const seen = new Set<string>()
  const queue: [string, number][] = [[raw, 0]]
  while (queue.length > 0) {
    const [p, decodes] = queue.shift()!
    const key = `${decodes}:${p}`
    if (seen.has(key)) continue
    seen.add(key)
    const next: [string, number][] = []
    try {
      next.push([new URL(p, 'http://h').pathname, decodes])
    } catch {
      /* not parseable as a path: no such reading */
    }
    if (decodes < 2) {
      try {
        next.push([decodeURIComponent(p), decodes + 1])
      } catch {
        // undecodable as UTF-8: a lenient backend still decodes the ASCII escapes
        next.push([p.replace(/%([0-7][0-9a-fA-F])/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), decodes + 1])
      }
    }
    next.push([p.replace(/;[^/]*/g, ''), decodes])
    const cut = p.search(/[?#\s\u0000-\u001f]/)
    if (cut > 0) next.push([p.slice(0, cut), decodes])
    for (const [n, d] of next) queue.push([settle(n), d], [settleLiteral(n), d], [n, d])
    if (seen.size > 400) break
  }
  return new Set(
    [...seen].flatMap((k) => {
      const p = k.slice(k.indexOf(':') + 1)
      return [settle(p), settleLiteral(p)]
    }),
  )
}

export const covers = (prefix: string, path: string) => path === prefix || path.startsWith(prefix + '/')


/** Request paths from an alphabet of separators, dot segments, `;`, `,`, (double) encodings, unicode and case. */
const SEGMENTS = [
  'internal', 'admin', 'public', 'x', 'INTERNAL', 'é', '%C3%A9',
  '.', '..', '%2e', '%2E%2e', '.%2e', '%252e', '%252e%252e', '..;', ';', ';jsessionid=1', ';a=b',
  '%2f', '%2F', '%5c', '%5C', '%252f', '%255c', '\\', ',', '%2c', '%3f', '%3F', '%253f', '%23', '%2523',
  '%20', '%09', '%00', '%0a', '%0D', '%25', '%2500', '%', '%zz', '%2', '%ff',
]

export const rawPath = fc
  .array(fc.tuple(fc.constantFrom('/', '//', '', '\\', '/./'), fc.constantFrom(...SEGMENTS)), { minLength: 1, maxLength: 7 })
  .map((parts) => '/' + parts.map(([sep, seg]) => sep + seg).join(''))
