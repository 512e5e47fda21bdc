/**
 * Rules compiled once per config version. Hosts go through an exact-match map and a wildcard
 * map keyed by suffix; the resulting "host class" (which host entries matched) selects a table
 * holding, in rule order, only the rules that can apply, with path prefixes in a map. A request
 * then costs a few map lookups per path segment, however many rules there are.
 */
import type { Check } from '../access/authorize.js'
import { normaliseHost, pathReadings } from './normalise.js'
import { compileAction } from './requirement.js'
import type { ActionDef, RuleDef, RulesConfig } from './types.js'

export type CompiledAction =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'deny' }
  | { kind: 'require'; check: Check }

export interface CompiledRule {
  /** Position in `rules:`; -1 for the default. */
  index: number
  /** `name`, else `#<index>`, else `default`: how logs and the debug header name the rule. */
  label: string
  def: RuleDef | undefined
  action: CompiledAction
  methods: ReadonlySet<string> | undefined
  prefixes: readonly string[] | undefined
  regexes: readonly RegExp[] | undefined
  hasHost: boolean
  hasPath: boolean
}

export interface Verdict {
  rule: CompiledRule
  /** The rule's action, except that an uncertain request never gets `public` (then `authenticated`). */
  action: CompiledAction
  /** Set when public rules were skipped: the URL was unknown or the path ambiguously encoded. */
  uncertain?: 'unknown-url' | 'ambiguous-path'
  /** Set when the path's readings (normalise.ts) matched different rules and the strictest won. */
  readings?: number
}

export interface RuleSet {
  readonly rules: readonly CompiledRule[]
  readonly fallback: CompiledRule
  /** No rules and an `authenticated` default: callers may skip matching. */
  readonly trivial: boolean
  /** `rawPath`: the path as received (see OriginalRequest); else `url.pathname`. */
  match(request: { url: URL | undefined; method: string; rawPath?: string }): Verdict
}

interface Table {
  rules: readonly CompiledRule[]
  /** Positions (into `rules`) of rules with a path prefix, keyed by prefix. */
  byPrefix: ReadonlyMap<string, readonly number[]>
  /** Positions of rules without a path matcher or with a regex: checked one by one. */
  general: readonly number[]
}

const AUTHENTICATED: CompiledAction = { kind: 'authenticated' }

function compileActionDef(action: ActionDef, github: ReadonlySet<string>): CompiledAction {
  return action.kind === 'require' ? { kind: 'require', check: compileAction(action, github) } : action
}

function matchesPath(rule: CompiledRule, path: string): boolean {
  // Stryker disable next-line ConditionalExpression,BlockStatement: the prefix map lists a rule's prefixes also when it has regexes (buildTable), so firstMatch finds the prefix match there: weakening this test cannot change a verdict (stronger variants are killed, Stryker disables per mutator and line)
  if (rule.prefixes) {
    // Stryker disable next-line BlockStatement: the prefix map lists a rule's prefixes also when it has regexes (buildTable), so firstMatch finds the prefix match there: weakening this test cannot change a verdict (stronger variants are killed, Stryker disables per mutator and line)
    for (const p of rule.prefixes) {
      // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral,MethodExpression,BooleanLiteral: the prefix map lists a rule's prefixes also when it has regexes (buildTable), so firstMatch finds the prefix match there: weakening this test cannot change a verdict (stronger variants are killed, Stryker disables per mutator and line)
      if (p === '/' || path === p || (path.startsWith(p) && path.charCodeAt(p.length) === 47)) return true
    }
  }
  // Stryker disable next-line ConditionalExpression: only scan's check of `general` calls this, for rules with a path, and those have regexes there (buildTable): `rule.regexes` is always set (the `false` variant is killed)
  if (rule.regexes) {
    for (const r of rule.regexes) if (r.test(path)) return true
  }
  return false
}

function buildTable(rules: readonly CompiledRule[]): Table {
  const byPrefix = new Map<string, number[]>()
  const general: number[] = []
  rules.forEach((rule, pos) => {
    // Stryker disable next-line ConditionalExpression: a prefix-only rule in `general` too is checked by matchesPath against the same prefixes the map lists, so the lowest matching position is the same (the `false` variants are killed)
    if (!rule.hasPath || rule.regexes) general.push(pos)
    // Stryker disable next-line ArrayDeclaration: a rule without prefixes would add a key that does not start with `/`, which no path looks up
    for (const p of rule.prefixes ?? []) {
      const list = byPrefix.get(p) ?? []
      // Stryker disable next-line ArithmeticOperator,ConditionalExpression: a repeated position in a sorted list cannot change the first match (the `false` variant is killed)
      if (list[list.length - 1] !== pos) list.push(pos)
      byPrefix.set(p, list)
    }
  })
  return { rules, byPrefix, general }
}

/** Lowest position in `list` (sorted) below `best` whose rule matches; `best` if none. */
function scan(table: Table, list: readonly number[], best: number, path: string, method: string, ambiguous: boolean, checkPath: boolean): number {
  for (const pos of list) {
    if (
      best >= 0 &&
      // Stryker disable next-line EqualityOperator: at pos === best the rule found already is checked again and gives pos, which is best; later positions return best at this test (the `<` variant is killed)
      pos >= best
    )
      return best
    const rule = table.rules[pos]!
    if (rule.methods && !rule.methods.has(method)) continue
    if (ambiguous && rule.action.kind === 'public') continue
    if (checkPath && rule.hasPath && !matchesPath(rule, path)) continue
    return pos
  }
  return best
}

// Plain functions, no per-request closures: cheaper, also under tsx (which wraps closures to keep names).
function firstMatch(table: Table, path: string, method: string, ambiguous: boolean): number {
  let best = scan(table, table.general, -1, path, method, ambiguous, true)
  const byPrefix = table.byPrefix
  // Stryker disable next-line ConditionalExpression: a fast path: with an empty map every look-up below misses and best is returned anyway (the `true` variant is killed)
  if (byPrefix.size === 0) return best
  let list = byPrefix.get('/')
  // Stryker disable next-line BooleanLiteral: every rule listed under `/` covers the path, so checking it again changes nothing
  if (list) best = scan(table, list, best, path, method, ambiguous, false)
  for (
    // Stryker disable next-line StringLiteral: indexOf('', 1) is 1, which adds one look-up of path.slice(0, 1), `/`, scanned just above; the next `/` is searched from 2 either way
    let i = path.indexOf('/', 1);
    // Stryker disable next-line EqualityOperator: indexOf from 1 is -1 or at least 1, never 0 (the `<=` variant is killed)
    i > 0;
    i = path.indexOf('/', i + 1)
  ) {
    list = byPrefix.get(path.slice(0, i))
    // Stryker disable next-line BooleanLiteral: a rule listed under an ancestor segment of the path covers it, so checking it again changes nothing
    if (list) best = scan(table, list, best, path, method, ambiguous, false)
  }
  // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: every path starts with `/`, so the only one of length 1 is `/`, which ends with `/`; and prefixes never end with `/` except `/` (definitions.ts trims them), so looking up such a path finds nothing new (the `false` variants are killed)
  if (path.length > 1 && !path.endsWith('/')) {
    list = byPrefix.get(path)
    // Stryker disable next-line BooleanLiteral: a rule listed under the path itself covers it, so checking it again changes nothing
    if (list) best = scan(table, list, best, path, method, ambiguous, false)
  }
  return best
}

const NO_METHODS: readonly string[] = []

/** The verdict for a path with more readings than pathReadings lists (normalise.ts MAX_STATES). */
const DENY: CompiledAction = { kind: 'deny' }
const TOO_MANY_READINGS: Verdict = Object.freeze({
  rule: Object.freeze({
    index: -2,
    label: 'too-many-readings',
    def: undefined,
    action: DENY,
    methods: undefined,
    prefixes: undefined,
    regexes: undefined,
    hasHost: false,
    hasPath: false,
  }),
  action: DENY,
  uncertain: 'ambiguous-path' as const,
})

// Stryker disable next-line ConditionalExpression: table.rules[-1] is undefined as well (the `false` variant is killed)
const at = (table: Table, pos: number): CompiledRule | undefined => (pos >= 0 ? table.rules[pos] : undefined)

const RANK = { public: 0, authenticated: 1, require: 2, deny: 3 } as const

/**
 * One verdict for several readings of a path: any deny denies; any `require` applies, all of them
 * when several match (AND); `public` only when every reading is public.
 */
export function strictest(verdicts: readonly Verdict[]): Verdict {
  let worst = verdicts[0]!
  for (const v of verdicts) if (RANK[v.action.kind] > RANK[worst.action.kind]) worst = v
  const requires = [...new Set(verdicts.filter((v) => v.action.kind === 'require').map((v) => v.rule))]
  const distinct = new Set(verdicts.map((v) => v.rule)).size
  if (worst.action.kind !== 'require' || requires.length < 2) return distinct > 1 ? { ...worst, readings: verdicts.length } : worst
  const checks = requires.map((r) => (r.action as { check: Check }).check)
  return { ...worst, action: { kind: 'require', check: (identity) => checks.every((c) => c(identity)) }, readings: verdicts.length }
}

export function compileRules(config: RulesConfig, providers: readonly { id: string; type: string }[]): RuleSet {
  const github = new Set(providers.filter((p) => p.type === 'github').map((p) => p.id))
  const rules: CompiledRule[] = config.list.map((def, index) => ({
    index,
    label: def.name ?? `#${index}`,
    def,
    action: compileActionDef(def.action, github),
    methods: def.methods ? new Set(def.methods) : undefined,
    prefixes: def.prefixes,
    regexes: def.regexes?.map((r) => new RegExp(r)),
    hasHost: def.hosts !== undefined,
    hasPath: def.prefixes !== undefined || def.regexes !== undefined,
  }))
  const fallback: CompiledRule = {
    index: -1,
    label: 'default',
    def: undefined,
    action: compileActionDef(config.default, github),
    methods: undefined,
    prefixes: undefined,
    regexes: undefined,
    hasHost: false,
    hasPath: false,
  }

  const exact = new Map<string, number[]>()
  const wild = new Map<string, number[]>()
  const hostless: number[] = []
  // Stryker disable next-line BooleanLiteral: `ports` only adds look-ups of host:port keys, which exist only when some rule has a port
  let ports = false
  rules.forEach((rule, i) => {
    if (!rule.def!.hosts) return void hostless.push(i)
    for (const h of rule.def!.hosts) {
      const key = h.port ? `${h.host}:${h.port}` : h.host
      // Stryker disable next-line ConditionalExpression: `ports` only adds look-ups of host:port keys; a key holds `:` outside IPv6 brackets only with a port, so without one they all miss (the `false` variant is killed)
      ports ||= h.port !== undefined
      const map = h.wildcard ? wild : exact
      const list = map.get(key) ?? []
      // Stryker disable next-line ArithmeticOperator,ConditionalExpression: a repeated rule index ends in a Set (classOf) (the `false` variant is killed)
      if (list[list.length - 1] !== i) list.push(i)
      map.set(key, list)
    }
  })

  const classes = new Map<string, Table>()
  const hostCache = new Map<string, Table>()
  const classOf = (host: string, port: string): Table => {
    const keys: string[] = []
    const add = (prefix: string, map: Map<string, number[]>, key: string) => {
      if (map.has(key)) keys.push(prefix + key)
    }
    add('=', exact, host)
    // Stryker disable next-line ConditionalExpression: without a port in any rule no key is host:port (a key holds `:` outside IPv6 brackets only with a port), so the look-up misses (the `false` variant is killed)
    if (ports) add('=', exact, `${host}:${port}`)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: without wildcard entries every look-up below misses; the test only saves them (the `false` and `<=` variants are killed)
    if (wild.size > 0) {
      for (let i = host.indexOf('.'); i >= 0; i = host.indexOf('.', i + 1)) {
        const suffix = host.slice(i + 1)
        add('*', wild, suffix)
        // Stryker disable next-line ConditionalExpression: without a port in any rule no key is suffix:port (a key holds `:` outside IPv6 brackets only with a port), so the look-up misses (the `false` variant is killed)
        if (ports) add('*', wild, `${suffix}:${port}`)
      }
    }
    // Stryker disable next-line StringLiteral: every key starts with `=` or `*`, which no host name holds, so the keys cannot run together
    const classKey = keys.join('\n')
    let table = classes.get(classKey)
    // Stryker disable next-line ConditionalExpression: a memo: rebuilding gives a table with the same rules in the same order (the `false` variant is killed)
    if (!table) {
      const members = new Set(hostless)
      for (const k of keys) for (const i of (k[0] === '=' ? exact : wild).get(k.slice(1))!) members.add(i)
      table = buildTable([...members].sort((a, b) => a - b).map((i) => rules[i]!))
      classes.set(classKey, table)
    }
    return table
  }
  const tableFor = (host: string, port: string): Table => {
    // Without ports in any rule the port cannot change the class, so it stays out of the key.
    const cacheKey = ports ? host + ' ' + port : host
    let table = hostCache.get(cacheKey)
    // Stryker disable next-line ConditionalExpression: a memo: classOf gives the same table again (the `true` variant is killed)
    if (table) return table
    table = classOf(host, port)
    // Host names come from requests; the class map is bounded by the config, this one by a cap.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the cache bound changes memory, never a table: a miss recomputes the same one
    if (hostCache.size >= 4096) hostCache.clear()
    hostCache.set(cacheKey, table)
    return table
  }

  // Every method the rules name, and `unnamed` for the methods none names: `GET` cannot stand for those, since a
  // rule may name it.
  // Stryker disable next-line StringLiteral: any string a rule cannot name (rules name upper-case tokens) stands for them as well
  const unnamed = ''
  const anyMethod = [...new Set([...rules.flatMap((r) => [...(r.methods ?? NO_METHODS)]), unnamed])]
  const verdicts = new Map<CompiledRule, Verdict>([...rules, fallback].map((r) => [r, { rule: r, action: r.action }]))
  const unknownUrl = rules.filter((r) => !r.hasHost && !r.hasPath)

  const decide = (rule: CompiledRule | undefined, uncertain: Verdict['uncertain']): Verdict => {
    if (rule) return verdicts.get(rule)!
    if (uncertain && fallback.action.kind === 'public') return { rule: fallback, action: AUTHENTICATED, uncertain }
    return verdicts.get(fallback)!
  }

  const ruleSet: RuleSet = {
    rules,
    fallback,
    trivial: rules.length === 0 && fallback.action.kind === 'authenticated',
    match(request) {
      // An unknown method (ANY_METHOD) is judged as every method the rules name: strictest wins.
      if (request.method === '*') return strictest(anyMethod.map((m) => ruleSet.match({ ...request, method: m })))
      const { url, method, rawPath } = request
      const m = method.toUpperCase()
      if (!url) {
        const rule = unknownUrl.find((r) => r.action.kind !== 'public' && (!r.methods || r.methods.has(m)))
        return decide(rule, 'unknown-url')
      }
      const { paths, ambiguous, exhausted } = pathReadings(rawPath ?? url.pathname)
      if (exhausted) return TOO_MANY_READINGS
      const { host, port } = normaliseHost(url)
      const table = tableFor(host, port)
      const uncertain = ambiguous ? 'ambiguous-path' : undefined
      const first = decide(at(table, firstMatch(table, paths[0]!, m, ambiguous)), uncertain)
      // Stryker disable next-line ConditionalExpression: a fast path: strictest([first]) is first (one rule, no readings count) (the `true` variant is killed)
      if (paths.length === 1) return first
      const verdicts = [first]
      for (let i = 1; i < paths.length; i++) verdicts.push(decide(at(table, firstMatch(table, paths[i]!, m, ambiguous)), uncertain))
      return strictest(verdicts)
    },
  }
  return ruleSet
}
