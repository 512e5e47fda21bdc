/**
 * examples/prometheus is checked by promtool in CI (.ci/run); these are the properties promtool does not know:
 * the dashboard filters every expression on its $job variable (else `sum(process_resident_memory_bytes)`
 * adds Prometheus's own memory), and the 401 alert counts both kinds of 401.
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

const dashboard = JSON.parse(readFileSync('examples/prometheus/grafana-dashboard.json', 'utf8'))
const alerts = parse(readFileSync('examples/prometheus/alerts.yml', 'utf8'))
const SELECTOR = /\b((?:gatehouse|process|nodejs)_[a-z0-9_]+)(\{[^}]*\})?/g

describe('examples/prometheus', () => {
  it('the dashboard has a $job variable and every metric selector filters on it', () => {
    expect(dashboard.templating.list.map((v: { name: string }) => v.name)).toContain('job')
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr))
    expect(exprs.length).toBeGreaterThan(10)
    for (const expr of exprs) {
      for (const [selector, , labels] of expr.matchAll(SELECTOR)) {
        expect({ selector, filtered: (labels ?? '').includes('job=~"$job"') }).toEqual({ selector, filtered: true })
      }
    }
  })

  it('GatehouseUnauthenticatedSpike counts invalid_token as well as unauthenticated', () => {
    const rule = alerts.groups[0].rules.find((r: { alert: string }) => r.alert === 'GatehouseUnauthenticatedSpike')
    expect(rule.expr).toMatch(/result=~"unauthenticated\|invalid_token"/)
  })

  it('README-section.md keeps no copy of the metrics table (README.md has the one copy)', () => {
    const section = readFileSync('examples/prometheus/README-section.md', 'utf8')
    expect(section).not.toContain('| `gatehouse_decisions_total`')
    expect(section).toContain('README.md#metrics')
    expect(readFileSync('README.md', 'utf8').match(/^\| `gatehouse_decisions_total` \|/gm)).toHaveLength(1)
  })
})
