import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { stringify } from 'yaml'
import { buildConfig, type Config } from '../../src/config/load.js'
import { explain } from '../../src/explain.js'

const RAW = {
  server: { publicUrl: 'https://auth.example.com' },
  cookie: { secret: randomBytes(32).toString('base64') },
  providers: [
    { id: 'corp', type: 'oidc', issuer: 'https://127.0.0.1:9/realms/corp', clientId: 'gatehouse', clientSecret: 's' },
    { id: 'partners', type: 'oidc', issuer: 'https://127.0.0.1:9/realms/partners', clientId: 'gatehouse', clientSecret: 's', authorization: { emailDomains: ['partner.org'] } },
  ],
  authorization: {},
  rules: [
    { name: 'lb-health', hosts: ['grafana.example.com'], paths: ['/api/health'], methods: ['GET'], allow: 'public' },
    { name: 'grafana-writes', hosts: ['grafana.example.com'], paths: ['/api'], methods: ['POST', 'PUT', 'DELETE'], require: { groups: ['grafana-editors'] } },
    { name: 'grafana', hosts: ['grafana.example.com'], allow: 'authenticated' },
    { name: 'internal', hosts: ['*.example.com'], paths: ['/internal'], deny: true },
  ],
}

describe('explain()', () => {
  let config: Config
  beforeAll(async () => {
    config = await buildConfig(RAW)
  })

  it.each([
    [{ url: 'https://grafana.example.com/api/health' }, 'allow', 0],
    [{ url: 'https://x.example.com/public/..;/internal' }, 'deny', 3],
    [{ url: 'https://x.example.com/internal%3f/../public' }, 'deny', 3],
    [{ url: 'https://grafana.example.com/api/x', method: 'POST' }, 'login', 1],
    [{ url: 'https://grafana.example.com/api/x', method: 'POST', user: { groups: ['a', 'b'], email: 'x@y.org' } }, 'deny', 1],
    [{ url: 'https://grafana.example.com/api/x', method: 'post', user: { groups: ['grafana-editors'] } }, 'allow', 1],
    [{ url: 'https://grafana.example.com/d/1', user: { email: 'x@y.org', provider: 'partners' } }, 'deny', 2],
    [{ url: 'https://grafana.example.com/d/1', user: { email: 'x@partner.org', provider: 'partners' } }, 'allow', 2],
    [{ url: 'https://a.example.com/internal/x', user: { groups: ['admins'] } }, 'deny', 3],
    [{ url: 'https://other.test/', user: { groups: [] } }, 'allow', -1],
    [{ url: 'https://grafana.example.com/api/health', query: 'allowed_groups=sre' }, 'login', 0],
    [{ url: 'https://grafana.example.com/api/health/%2e%2e/x', method: 'POST', user: { groups: ['grafana-editors'] } }, 'allow', 1],
  ])('%j → %s via rule %d', (input, decision, ruleIndex) => {
    const result = explain(config, input)
    expect({ decision: result.decision, ruleIndex: result.ruleIndex }).toEqual({ decision, ruleIndex })
  })

  it('says why, naming the rule', () => {
    const { text } = explain(config, { url: 'https://grafana.example.com/api/x', method: 'POST', user: { groups: ['a', 'b'], email: 'x@y.org' } })
    expect(text).toContain('rule:     rules[1] "grafana-writes" hosts=grafana.example.com paths=/api methods=POST,PUT,DELETE → require groups grafana-editors')
    expect(text).toContain("decision: deny (403 Forbidden: the user does not satisfy the rule's require)")
    expect(explain(config, { url: 'https://grafana.example.com/api%2fhealth' }).text).toContain('ambiguous encoding')
  })

  it('refuses a provider id that is not configured, in one plain sentence', () => {
    expect(() => explain(config, { url: 'https://grafana.example.com/d/1', user: { provider: 'nope' } })).toThrow(
      /^--provider "nope" is not configured; the configured ids are: corp, partners/,
    )
  })

  it('refuses non-http URLs', () => {
    expect(() => explain(config, { url: 'ftp://x/' })).toThrow('absolute http(s) URL')
  })
})

describe('gatehouse explain (CLI)', () => {
  let dir: string
  let file: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-explain-'))
    file = join(dir, 'gatehouse.yaml')
    await writeFile(file, stringify(RAW))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'explain', '--config', file, ...args]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    )

  it('works as shown in the issue', async () => {
    const { code, stdout } = await run('--url', 'https://grafana.example.com/api/x', '--method', 'POST', '--user-groups', 'a,b', '--email', 'x@y.org')
    expect(code).toBe(0)
    expect(stdout).toBe(
      [
        'request:  POST https://grafana.example.com/api/x',
        'matched:  host=grafana.example.com port=443 path=/api/x',
        'user:     provider=corp email=x@y.org groups=a,b roles=-',
        'rule:     rules[1] "grafana-writes" hosts=grafana.example.com paths=/api methods=POST,PUT,DELETE → require groups grafana-editors',
        "decision: deny (403 Forbidden: the user does not satisfy the rule's require)",
        '',
      ].join('\n'),
    )
  }, 60_000)

  // One process per test: each start under tsx costs seconds on a loaded machine. The decisions themselves are
  // tested in-process above; the CLI's own part is the flags → input mapping (above) and its exit codes.
  it('a missing --url is a usage error (exit 64)', async () => {
    const res = await run()
    expect(res.code).toBe(64)
    expect(res.stderr).toContain('--url is required')
  }, 60_000)
})

describe('explain() for what the CLI once tested by starting itself', () => {
  let config: Config
  beforeAll(async () => {
    config = await buildConfig(RAW)
  })

  it('anonymous requests, the default rule, bad input', () => {
    const anon = explain(config, { url: 'https://GRAFANA.example.com./api/health?x=/admin' })
    expect(anon.text).toContain('rules[0] "lb-health"')
    expect(anon.text).toContain('decision: allow (2xx without login; identity headers are sent empty)')
    const fallback = explain(config, { url: 'https://other.test/', user: { roles: ['r'], provider: 'corp' } })
    expect(fallback.text).toContain('rule:     default rule (no rule matched) → allow: authenticated')
    // Any throw here is the CLI's exit 64 with the message on stderr (runExplain in src/cli.ts).
    expect(() => explain(config, { url: 'not a url' })).toThrow()
  })
})
