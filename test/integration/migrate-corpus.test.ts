/**
 * `gatehouse migrate` on the whole corpus: every output passes the same validation as check-config,
 * holds no secret in clear, reports every option once, and `explain` on it gives oauth2-proxy's
 * allow/deny/login (the model in test/helpers/oauth2-proxy-model.ts, checked against the real binary
 * in test/e2e/migrate-oauth2-proxy.test.ts) for users of different emails, groups and roles, on
 * listed and generated URLs.
 */
import { afterAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type Config } from '../../src/config/load.js'
import { migrate, MigrateInputError, type MigrateOutput } from '../../src/migrate/migrate.js'
import { asList, asString, flagOfKey } from '../../src/migrate/options.js'
import { assertProperty } from '../helpers/property.js'
import type { ModelUser } from '../helpers/oauth2-proxy-model.js'
import { compare, CORPUS, envFor, FIXTURES, NOT_CONFIGS, type Case } from './migrate-corpus.js'

const dir = mkdtempSync(join(tmpdir(), 'migrate-corpus-'))

async function check(out: MigrateOutput, name: string): Promise<Config> {
  const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.yaml`)
  writeFileSync(file, out.yaml)
  return loadConfig(file, { env: envFor(out.envRefs) })
}

/** Users built from the config's own values plus outsiders, all with a verified email. */
function usersFor(out: MigrateOutput): ModelUser[] {
  const o = out.options
  const domains = asList(o.get('email_domains')?.value).filter((d) => d !== '*')
  const emails = [
    ...domains.map((d) => (d.startsWith('.') || d.startsWith('*.') ? `dev@team${d.replace(/^\*/, '')}` : `alice@${d}`)),
    ...domains.filter((d) => !d.startsWith('.') && !d.startsWith('*')).map((d) => `bob@sub.${d}`),
    'mallory@evil.test',
    'alice@example.com',
    'bob@example.org',
  ]
  const groups = [...asList(o.get('allowed_groups')?.value), ...asList(o.get('keycloak_groups')?.value)].filter((g) => !g.startsWith('role:'))
  const roles = [...asList(o.get('allowed_roles')?.value), ...asList(o.get('allowed_groups')?.value).filter((g) => g.startsWith('role:')).map((g) => g.slice(5))]
  const groupSets = [[], ['outsiders'], ...groups.map((g) => [g]), ['sre'], ['oncall', 'x']]
  const roleSets = [[], ['nobody'], ...roles.map((r) => [r])]
  const users: ModelUser[] = []
  for (const email of [...new Set(emails)]) for (const g of groupSets) for (const r of roleSets) users.push({ email, groups: g, roles: r })
  return users
}

const LISTED_PATHS = ['/', '/index.html', '/api/v1/items', '/-/healthy', '/-/ready', '/assets/app.css', '/static/x.js', '/favicon.ico', '/probe', '/metrics', '/webhooks/github', '/admin', '/admin/users', '/public/a', '/healthz', '/v1/x', '/ping', '/%2e%2e/admin', '/assets/../admin', '/assets%2Fx']
const METHODS = ['GET', 'POST', 'OPTIONS', 'HEAD', 'DELETE']

const SEGMENTS = ['assets', 'probe', '-', 'healthy', 'ready', 'static', 'favicon.ico', 'metrics', 'webhooks', 'github', 'admin', 'public', 'v1', 'healthz', 'ping', 'x.css', 'a.js', 'i.png', 'api', 'A', 'z', '%41ssets', '%2F', '%2e%2e', '..', '.', ';x', '', 'm%65trics', 'x y']
const pathArb = fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 4 }).map((s) => '/' + s.join('/').replace(/ /g, '%20'))

const totals = { compared: 0, known: {} as Record<string, number> }

describe('gatehouse migrate on the corpus', () => {
  afterAll(() => {
    // The figures for the report: how many listed comparisons, and which known differences they met.
    process.stdout.write(`migrate corpus: ${totals.compared} listed comparisons; known differences: ${JSON.stringify(totals.known)}\n`)
  })

  it('has the 14 files of oauth2-proxy and at least 15 written ones', () => {
    expect(CORPUS.filter((c) => c.upstream).length + NOT_CONFIGS.length).toBeGreaterThanOrEqual(13)
    expect(CORPUS.filter((c) => !c.upstream).length).toBeGreaterThanOrEqual(15)
  })

  it.each(NOT_CONFIGS)('%s holds no oauth2-proxy options: a clear error, no output', (name) => {
    const input = name.endsWith('.cfg.example') ? { cfg: join(FIXTURES, name) } : { deploy: join(FIXTURES, name) }
    expect(() => migrate(input)).toThrow(MigrateInputError)
    expect(() => migrate(input)).toThrow(/no oauth2-proxy options found/)
  })

  describe.each(CORPUS.map((c) => [c.name, c] as const))('%s', (name, corpusCase) => {
    const out = migrate(corpusCase.input)

    it('passes check-config once the referenced variables are set', async () => {
      await expect(check(out, name)).resolves.toBeDefined()
    })

    it('writes no secret in clear, in the config or the report', () => {
      const secrets = out.envRefs.map((e) => e.value).filter((v): v is string => !!v)
      for (const key of ['client_secret', 'cookie_secret', 'redis_password']) {
        const v = asString(out.options.get(key)?.value)
        if (v) secrets.push(v)
      }
      const url = asString(out.options.get('redis_connection_url')?.value)
      const inUrl = url && /:\/\/[^:@/]*:([^@/]+)@/.exec(url)?.[1]
      if (inUrl) secrets.push(inUrl)
      for (const s of secrets) {
        expect(out.yaml).not.toContain(s)
        expect(out.report).not.toContain(s)
      }
    })

    it('reports every option it read exactly once', () => {
      for (const key of out.options.keys()) {
        const lines = out.lines.filter((l) => l.option === flagOfKey(key) && l.origin !== '-')
        expect({ key, lines: lines.length }).toEqual({ key, lines: 1 })
      }
    })

    it("explain gives oauth2-proxy's decision for listed URLs, methods and users", async () => {
      const config = await check(out, name)
      const file = asString(out.options.get('authenticated_emails_file')?.value)
      const c: Case = { out, config, emailsFile: file ? (config.authorization.emails as string[]) : [] }
      const mismatches: string[] = []
      const queries = out.annotations.length ? out.annotations.map((a) => ({ gatehouse: a.query, original: a.originalQuery })) : [undefined]
      let compared = 0
      const knownCount: Record<string, number> = {}
      for (const query of queries) {
        for (const method of METHODS) {
          for (const path of LISTED_PATHS) {
            for (const user of [undefined, ...usersFor(out)]) {
              const { expected, got, ok, known } = compare(c, method, path, user, query)
              compared++
              if (known) knownCount[known] = (knownCount[known] ?? 0) + 1
              if (!ok) mismatches.push(`${method} ${path} ${user ? JSON.stringify(user) : 'anonymous'} q=${query?.original ?? ''}: oauth2-proxy ${expected}, Gatehouse ${got}`)
            }
          }
        }
      }
      expect(compared).toBeGreaterThan(100)
      expect(mismatches.slice(0, 10)).toEqual([])
      totals.compared += compared
      for (const [k, n] of Object.entries(knownCount)) totals.known[k] = (totals.known[k] ?? 0) + n
    })

    it("explain gives oauth2-proxy's decision on generated paths (skip-auth regexes and routes)", async () => {
      const config = await check(out, name)
      const c: Case = { out, config, emailsFile: config.authorization.emails as string[] }
      const users = usersFor(out)
      assertProperty(
        fc.property(pathArb, fc.constantFrom(...METHODS), fc.option(fc.constantFrom(...users), { nil: undefined }), (path, method, user) => {
          const { expected, got, ok } = compare(c, method, path, user)
          if (!ok) throw new Error(`${method} ${path} ${JSON.stringify(user)}: oauth2-proxy ${expected}, Gatehouse ${got}`)
        }),
        200,
      )
    })
  })
})
