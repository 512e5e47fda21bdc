/**
 * Rule matching cost per request: `node --import tsx bench/rules.ts`.
 * Includes path/host normalisation; excludes URL parsing (done once per request by original-request.ts).
 */
import { parseRules } from '../src/rules/definitions.js'
import { compileRules, type RuleSet } from '../src/rules/match.js'
import { defaultRuleSchema, rulesSchema } from '../src/rules/schema.js'

const PROVIDERS = [{ id: 'corp', type: 'keycloak' }]

function build(raw: unknown[]): RuleSet {
  const parsed = parseRules(rulesSchema.parse(raw), defaultRuleSchema.parse(undefined), PROVIDERS)
  if (!parsed.rules) throw new Error(parsed.problems.join('\n'))
  return compileRules(parsed.rules, PROVIDERS)
}

/** A mix like a real estate: per-app hosts, a few paths each, some methods, wildcards, regexes. */
function realistic(n: number): unknown[] {
  const rules: unknown[] = []
  for (let i = 0; i < n; i++) {
    const app = `app${Math.floor(i / 4)}.example.com`
    switch (i % 4) {
      case 0: rules.push({ hosts: [app], paths: ['/api/health', '/metrics'], methods: ['GET'], allow: 'public' }); break
      case 1: rules.push({ hosts: [app], paths: [`^/api/v[0-9]+/admin/.*$`], deny: true }); break
      case 2: rules.push({ hosts: [app, `*.team${i}.example.com`], paths: ['/admin'], require: { groups: ['ops'] } }); break
      default: rules.push({ hosts: [app], require: { groups: [`g${i}`], emailDomains: ['example.com'] } })
    }
  }
  return rules
}

/** Worst case for the index: host-less regex rules, none matching, so every one is tried. */
function regexOnly(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({ paths: [`^/r${i}/.*/x$`], deny: true }))
}

function bench(label: string, rs: RuleSet, urls: string[], method = 'GET'): number {
  const parsed = urls.map((u) => new URL(u))
  const iterations = 400_000
  let sink = 0
  for (let i = 0; i < 50_000; i++) sink += rs.match({ url: parsed[i % parsed.length], method }).rule.index
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) sink += rs.match({ url: parsed[i % parsed.length], method }).rule.index
  const ns = Number(process.hrtime.bigint() - start) / iterations
  if (sink === 42) console.log('')
  console.log(`${label.padEnd(46)} ${ns.toFixed(0).padStart(6)} ns/op`)
  return ns
}

console.log(`node ${process.version}`)
for (const n of [10, 100, 500]) {
  const rs = build(realistic(n))
  const last = `app${Math.floor((n - 1) / 4)}.example.com`
  bench(`${n} rules, realistic, first app`, rs, ['https://app0.example.com/api/health', 'https://app0.example.com/d/abc'])
  bench(`${n} rules, realistic, last app, deep path`, rs, [`https://${last}/api/v2/admin/users/1`, `https://${last}/a/b/c/d/e/f`])
  bench(`${n} rules, realistic, no rule matches`, rs, ['https://unknown.example.org/x/y', 'https://Other.Test./'])
  bench(`${n} rules, realistic, %-encoded + dot-segments`, rs, [`https://${last}/api/%76%32/admin/../x%20y//z`])
  bench(`${n} rules, worst case: ${n} regexes, none match`, build(regexOnly(n)), ['https://h.example.com/a/b/c'])
}
