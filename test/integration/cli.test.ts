import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from '@jest/globals'

const run = promisify(execFile)
const CLI = ['--import', 'tsx', 'src/cli.ts']

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run('node', [...CLI, ...args], { env: { ...process.env, NODE_OPTIONS: '', ...env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('gatehouse CLI', () => {
  it('check-config accepts the example config with its environment', async () => {
    const res = await cli(['check-config', '--config', 'examples/gatehouse.yaml'], {
      GATEHOUSE_COOKIE_SECRET: Buffer.alloc(32, 1).toString('base64'),
      KC_SECRET: 'kc-secret',
    })
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('OK')
  }, 30_000)

  it('exits 2 listing every problem with its key path', async () => {
    const path = file('bad.yaml', `
server: { publicUrl: "not a url", lisen: ":1" }
cookie: { secret: "c2hvcnQ=" }
providers:
  - { id: corp, type: keycloack }
authorization: {}
`)
    const res = await cli(['check-config', '--config', path])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('server.publicUrl: must be an absolute http(s) URL')
    expect(res.stderr).toContain('server: unknown key(s) "lisen"')
    expect(res.stderr).not.toMatch(/\bat \S+:\d+/)
  }, 30_000)

  it('exits 2 on unknown provider types, naming the known ones', async () => {
    const path = file('type.yaml', `
server: { publicUrl: "https://auth.example.com" }
cookie: { secret: "${Buffer.alloc(32).toString('base64')}" }
providers: [{ id: corp, type: keycloack }]
authorization: {}
`)
    const res = await cli(['check-config', '--config', path])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/providers\[0\]\.type: unknown provider type "keycloack".*known types: oidc, keycloak/)
  }, 30_000)

  it('exits 2 on YAML syntax errors and missing files', async () => {
    expect((await cli(['check-config', '--config', file('syntax.yaml', 'server: [unclosed\n')])).code).toBe(2)
    const missing = await cli(['check-config', '--config', join(dir, 'nope.yaml')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('cannot read (ENOENT)')
  }, 30_000)

  it('serve refuses to start on an invalid config', async () => {
    const res = await cli(['serve', '--config', file('serve.yaml', 'server: {}\n')])
    expect(res.code).toBe(2)
  }, 30_000)
})
