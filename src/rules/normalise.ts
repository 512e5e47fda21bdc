/**
 * The path and host that rules see. The path is the one the upstream will serve: query and
 * fragment gone, dot-segments resolved, decoded once, duplicate slashes folded
 * (security-lessons.md §3, CVE-2025-54576, CVE-2026-41059).
 *
 * Backends do not agree on that path, so `pathReadings` also lists the other plausible ones:
 * `;` path parameters dropped (Tomcat, Spring, Jetty: `/public/..;/internal` is `/internal`), one
 * more percent-decode (apps that decode twice: `%252e%252e` is `..`), and the path cut at a
 * decoded `?`, `#`, space, tab, NUL, CR or LF (apps that re-parse or trim it). The rules judge
 * every reading and keep the strictest answer (match.ts).
 */

export interface NormalisedPath {
  path: string
  /**
   * The raw path held an encoding backends disagree about (`%2f`, `%5c`, `%00`, `%23`) or an
   * undecodable sequence. Such requests never get `allow: public`.
   */
  ambiguous: boolean
}

const AMBIGUOUS = /%(2f|5c|00|23)/i
const NEEDS_WORK = /[%.\\;]|\/\//
const DOT = new Set(['.', '%2e'])
const DOT_DOT = new Set(['..', '.%2e', '%2e.', '%2e%2e'])

/** RFC 3986 remove_dot_segments; `raw` also counts `%2e` as a dot, as WHATWG URL parsing does. */
function resolveDots(path: string, raw: boolean): string {
  const parts = path.split('/')
  const out: string[] = []
  for (let i = 1; i < parts.length; i++) {
    const seg = parts[i]!
    const key = raw ? seg.toLowerCase() : seg
    const last = i === parts.length - 1
    if (DOT.has(key) && (raw || seg === '.')) {
      if (last) out.push('')
    } else if (DOT_DOT.has(key) && (raw || seg === '..')) {
      out.pop()
      if (last) out.push('')
    } else out.push(seg)
  }
  return '/' + out.join('/')
}

const fold = (path: string) => path.replace(/\/{2,}/g, '/')

/** Accepts a raw request target path (query and fragment allowed) or a WHATWG `pathname`. */
export function normalisePath(raw: string): NormalisedPath {
  let p = raw
  const hash = p.indexOf('#')
  if (hash >= 0) p = p.slice(0, hash)
  const query = p.indexOf('?')
  if (query >= 0) p = p.slice(0, query)
  if (!p.startsWith('/')) p = '/' + p
  if (!NEEDS_WORK.test(p)) return { path: p, ambiguous: false }

  let ambiguous = AMBIGUOUS.test(p)
  // Resolve before decoding too: `/pub%23/../admin` is `/admin` to the backend, not `/pub`.
  p = resolveDots(fold(p.replace(/\\/g, '/')), true)
  let decoded: string
  try {
    decoded = decodeURIComponent(p)
  } catch {
    decoded = p
    ambiguous = true
  }
  const cut = decoded.indexOf('#')
  if (cut >= 0) decoded = decoded.slice(0, cut)
  // What a decoding backend sees after `%2f`/`%5c` became separators; matters for deny rules.
  decoded = resolveDots(fold(decoded.replace(/\\/g, '/')), false)
  return { path: decoded, ambiguous }
}

/** A decoded `?`/`#` or whitespace/control character: some backend ends the path there. */
const CUT = /[?#\s\x00-\x1f\x7f]/
const CONTROL = /[\x00-\x1f\x7f]/
/** `;name=value` up to the end of its segment, as servlet containers strip them. */
const PARAMS = /;[^/]*/g

export interface PathReadings {
  /** Every distinct reading; the first is `normalisePath`'s. */
  paths: readonly string[]
  /** As NormalisedPath's, plus a decoded control character (some backend cuts the path there). */
  ambiguous: boolean
}

function decodeAgain(path: string): string | undefined {
  if (!path.includes('%')) return path
  try {
    return resolveDots(fold(decodeURIComponent(path).replace(/\\/g, '/')), false)
  } catch {
    return undefined
  }
}

const dropParams = (path: string) => (path.includes(';') ? resolveDots(fold(path.replace(PARAMS, '')), false) : path)

function cutAt(path: string): string {
  const i = path.search(CUT)
  return i < 0 ? path : resolveDots(fold(path.slice(0, i)), false) || '/'
}

/**
 * The paths a backend may serve for `raw` (see the module comment). One entry for ordinary
 * paths; the rest are computed only when the path holds `%`, `;`, `.`, `\` or `//`.
 */
export function pathReadings(raw: string): PathReadings {
  const base = normalisePath(raw)
  const p = raw.split(/[?#]/, 1)[0]!
  if (!NEEDS_WORK.test(p)) return { paths: [base.path], ambiguous: base.ambiguous }
  const out = new Set<string>([base.path])
  let ambiguous = base.ambiguous
  const firsts = [base.path]
  if (p.includes(';')) {
    // The container drops parameters before it decodes or resolves `..`.
    const raw2 = normalisePath(p.replace(PARAMS, ''))
    ambiguous ||= raw2.ambiguous
    firsts.push(raw2.path)
  }
  for (const first of firsts) {
    const twice = decodeAgain(first)
    if (twice === undefined) ambiguous = true
    for (const reading of twice === undefined || twice === first ? [first] : [first, twice]) {
      for (const r of [reading, dropParams(reading)]) {
        out.add(r)
        out.add(cutAt(r))
        if (CONTROL.test(r)) ambiguous = true
      }
    }
  }
  return { paths: [...out], ambiguous }
}

export interface NormalisedHost {
  host: string
  port: string
}

/** Lower-case (WHATWG already is), trailing dot removed, port made explicit. */
export function normaliseHost(url: URL): NormalisedHost {
  const h = url.hostname
  return {
    host: h.endsWith('.') ? h.slice(0, -1) : h,
    port: url.port || (url.protocol === 'https:' ? '443' : '80'),
  }
}
