/**
 * The path and host that rules see. The path is the one the upstream will serve: query and
 * fragment gone, dot-segments resolved, decoded once, duplicate slashes folded
 * (security-lessons.md §3, CVE-2025-54576, CVE-2026-41059).
 *
 * Backends do not agree on that path, so `pathReadings` also lists the other plausible ones:
 * `;` path parameters dropped (Tomcat, Spring, Jetty: `/public/..;/internal` is `/internal`), one
 * more percent-decode (apps that decode twice: `%252e%252e` is `..`), the path cut at a decoded
 * `?`, `#`, space, tab, NUL, CR or LF (apps that re-parse or trim it) or with tabs and newlines
 * deleted (WHATWG URL parsing), `\\` as an ordinary character rather than a separator (nginx:
 * `/public\\x/%2e%2e/internal` is `/internal`), and `//x/rest` as `/rest` (scheme-relative parsing).
 * The rules judge every reading and keep the strictest (match.ts).
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
  // Stryker disable next-line ConditionalExpression: a second leading slash is folded below
  if (!p.startsWith('/')) p = '/' + p
  // Stryker disable next-line ConditionalExpression: a fast path; the work below leaves such a path as it is
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
  // Stryker disable next-line EqualityOperator: decoded starts with `/` here, so a `#` is never at 0
  if (cut >= 0) decoded = decoded.slice(0, cut)
  // What a decoding backend sees after `%2f`/`%5c` became separators; matters for deny rules.
  decoded = resolveDots(fold(decoded.replace(/\\/g, '/')), false)
  return { path: decoded, ambiguous }
}

/** A decoded `?`/`#` or whitespace/control character: some backend ends the path there. */
const CUT = /[?#\s\x00-\x1f\x7f]/
const CONTROL = /[\x00-\x1f\x7f]/
const TAB_NEWLINE = /[\t\n\r]/
const TAB_NEWLINE_ALL = /[\t\n\r]/g
/** `;name=value` up to the end of its segment, as servlet containers strip them. */
const PARAMS = /;[^/]*/g

export interface PathReadings {
  /** Every distinct reading; the first is `normalisePath`'s. */
  paths: readonly string[]
  /** As NormalisedPath's, plus a decoded control character (some backend cuts the path there). */
  ambiguous: boolean
  /** Too many readings to list them all (see MAX_STATES): deny. */
  exhausted?: true
}

const settle = (path: string) => resolveDots(fold(path.replace(/\\/g, '/')), false)
/** `\\` as an ordinary character (nginx, Unix file paths): `/public\\x/../internal` is `/internal` there. */
const settleLiteral = (path: string) => resolveDots(fold(path), false)

function decodeOnce(path: string): string | undefined {
  try {
    return decodeURIComponent(path)
  }
  // On its own line before `catch`: Stryker reads a directive only as a leading comment of the node it disables.
  // Stryker disable next-line BlockStatement: an empty catch returns undefined as well
  catch {
    return undefined
  }
}

const ESCAPE_RUN = /(?:%[0-9a-f]{2})+/gi
const ASCII_ESCAPE = /%[0-7][0-9a-f]/gi
/**
 * A path `decodeURIComponent` refuses (`%zz`, a stray `%`, bytes that are not UTF-8), decoded as
 * lenient backends do (nginx, Go): every valid escape run, and the ASCII escapes of an invalid
 * one; the rest stays. `/internal%3F%x` is `/internal?%x` there.
 */
function decodeLenient(path: string): string {
  return path.replace(ESCAPE_RUN, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run.replace(ASCII_ESCAPE, (e) => String.fromCharCode(parseInt(e.slice(1), 16)))
    }
  })
}

/** `//host/rest` read as a scheme-relative URL (`new URL(req.url, base)` in many Node apps): `/rest`. */
const SCHEME_RELATIVE = /^[/\\]{2,}[^/\\]*/

const BASE = 'http://h'
function whatwgPath(path: string): string | undefined {
  try {
    return new URL(path, BASE).pathname
  }
  // Stryker disable next-line BlockStatement: an empty catch returns undefined as well
  catch {
    return undefined
  }
}

/** Something a backend may read differently: `%`, `;`, `\\`, `//`, a dot-segment, whitespace or a control character. */
const OTHER_READINGS = /[%;\\\s\x00-\x1f\x7f]|\/\/|\/\.\.?(?:\/|$)/
/** What WHATWG parsing changes beyond percent-encoding: `\\`, tabs/newlines, dot-segments (`%2e` too), a leading `//`. */
const WHATWG_CHANGES = /[\\\t\n\r]|^\/\/|\/(?:\.|%2e){1,2}(?:\/|$)/i

/**
 * More distinct intermediate strings, or more characters read, than any real path needs: then
 * stop. The request is denied (match.ts): a path with that many readings is an attack, and
 * reading on would cost milliseconds per request.
 */
const MAX_STATES = 128
const MAX_CHARS = 32 * 1024

/**
 * The paths a backend may serve for `raw` (see the module comment): every string reachable from
 * the raw path by up to two percent-decodes (strict, or lenient where strict fails), dropping `;` parameters, cutting at a decoded `?`,
 * `#`, whitespace or control character, deleting tabs/newlines and resolving dot-segments (with `\\`
 * as a separator or as an ordinary character), in any order; each is then read with dot-segments
 * resolved. One entry for ordinary paths (OTHER_READINGS).
 */
export function pathReadings(raw: string): PathReadings {
  const base = normalisePath(raw)
  const cut = raw.search(/[?#]/)
  let p = cut < 0 ? raw : raw.slice(0, cut)
  // As normalisePath reads it: every reading below then begins with `/`, and a cut at the start is never a reading.
  if (!p.startsWith('/')) p = '/' + p
  // The common case (`/static/app.js` included): every backend reads it the same way.
  // Stryker disable next-line ConditionalExpression: a fast path; such a path has no reading but normalisePath's
  if (!OTHER_READINGS.test(p)) return { paths: [base.path], ambiguous: base.ambiguous }
  const out = new Set<string>([base.path])
  let ambiguous = base.ambiguous
  // Stryker disable next-line StringLiteral,ConditionalExpression: without a `;` the block reads normalisePath(p), the first reading already (p is raw less query and fragment, which normalisePath drops too); `false` is the block's `{}` mutant
  if (p.includes(';')) {
    // The servlet container drops parameters before it decodes or resolves `..` (also `%2e`).
    const n = normalisePath(p.replace(PARAMS, ''))
    ambiguous ||= n.ambiguous
    out.add(n.path)
  }
  const seen = new Set<string>()
  const queue: [string, number][] = [[p, 0]]
  let chars = 0
  while (queue.length > 0) {
    const [x, decodes] = queue.pop()!
    const key = decodes + x
    if (seen.has(key)) continue
    chars += x.length
    if (seen.size >= MAX_STATES || chars > MAX_CHARS) return { paths: [...out], ambiguous: true, exhausted: true }
    seen.add(key)
    const settled = settle(x)
    out.add(settled)
    // Stryker disable next-line ConditionalExpression: without a match the replace gives x back (in `seen`, skipped), or '/' for x = '', which only a string without `/` leads to, and that string queued its reading `/` already; `false` is the block's `{}` mutant
    if (SCHEME_RELATIVE.test(x)) {
      queue.push([x.replace(SCHEME_RELATIVE, '') || '/', decodes])
    }
    // Stryker disable next-line ConditionalExpression: x itself is in `seen`, so pushing it again is skipped before anything is counted; `false` is the `===` mutant
    if (settled !== x) queue.push([settled, decodes])
    // Also without dot-segments: `/public\\x` is not under `/public` where `\\` is a character.
    // Stryker disable next-line StringLiteral,ConditionalExpression: without a `\\` settleLiteral(x) is settle(x), already added and queued (next to this push, so the order of reading is the same); `false` is the block's `{}` mutant
    if (x.includes('\\')) {
      const literal = settleLiteral(x)
      out.add(literal)
      // Stryker disable next-line ConditionalExpression: x itself is in `seen`, so pushing it again is skipped before anything is counted; `false` is the `===` mutant
      if (literal !== x) queue.push([literal, decodes])
    }
    // As a WHATWG URL parser reads it (`%2e` dots, `\\`, scheme-relative `//host/…`, tabs deleted);
    // otherwise it only percent-encodes, which changes no reading.
    if (WHATWG_CHANGES.test(x)) {
      const whatwg = whatwgPath(x)
      if (whatwg === undefined) ambiguous = true
      // No `whatwg !== x` check: x itself is in `seen`, so it would be skipped.
      else queue.push([whatwg, decodes])
    }
    // Stryker disable next-line ConditionalExpression,StringLiteral: without a `;` the replace gives x back, which is in `seen` and skipped before anything is counted; `false` is the block's `{}` mutant
    if (x.includes(';')) {
      queue.push([x.replace(PARAMS, ''), decodes])
    }
    // WHATWG URL parsing deletes every tab, CR and LF: `/%0ainternal` is `/internal` to it.
    // Stryker disable next-line ConditionalExpression: without a tab or newline the replace gives x back, which is in `seen` and skipped before anything is counted; `false` is the block's `{}` mutant
    if (TAB_NEWLINE.test(x)) {
      queue.push([x.replace(TAB_NEWLINE_ALL, ''), decodes])
    }
    const i = x.search(CUT)
    // Stryker disable next-line EqualityOperator: every string searched here begins with `/` (p is given one above, and no step removes it), which CUT does not match, so the cut is never at 0
    if (i > 0) queue.push([x.slice(0, i), decodes])
    // Stryker disable next-line StringLiteral: without a `%` decodeURIComponent returns x unchanged, and an unchanged x is not queued
    if (decodes < 2 && x.includes('%')) {
      let d = decodeOnce(x)
      // Undecodable once: backends disagree. Undecodable a second time: no app decodes it twice.
      if (d === undefined) {
        ambiguous ||= decodes === 0
        d = decodeLenient(x)
      }
      if (d !== x) {
        if (CONTROL.test(d)) ambiguous = true
        queue.push([d, decodes + 1])
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
