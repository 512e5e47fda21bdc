/** `gatehouse migrate` as a command: files in, gatehouse.yaml and report out, then `gatehouse check-config` on the result. */
import { describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { FIXTURES } from './migrate-corpus.js'

const run = promisify(execFile)
const CLI = ['--import', 'tsx', 'src/cli.ts']
type Failure = { code: number; stdout: string; stderr: string }

describe('gatehouse migrate (command line)', () => {
  it('migrates Helm values plus extra flags after --, and check-config accepts the output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-cli-'))
    const out = join(dir, 'gatehouse.yaml')
    const report = join(dir, 'report.md')
    const { stderr } = await run('node', [...CLI, 'migrate', '--helm-values', join(FIXTURES, 'written/prometheus-ingress-nginx.values.yaml'), '--out', out, '--report', report, '--', '--skip-jwt-bearer-tokens', '-allowed-role', 'admin'])
    expect(stderr).toMatch(/wrote .*gatehouse\.yaml and .*report\.md/)
    const yaml = readFileSync(out, 'utf8')
    expect(yaml).toContain('${OAUTH2_PROXY_CLIENT_SECRET}')
    expect(yaml).not.toContain('Yt3pL0wq8mN2vB6xC9zR4sA1')
    // Flags after -- join the values' extraArgs on one command line: a repeated list flag adds entries.
    expect(yaml).toMatch(/roles:\n\s+- monitoring-viewer\n\s+- admin\n/)
    const text = readFileSync(report, 'utf8')
    expect(text).toMatch(/`--allowed-role` \(flags\): mapped to `authorization.roles`/)
    expect(text).toMatch(/## Ingress annotations/)
    // That cookie secret is base64 of 30 bytes: fine for oauth2-proxy, not for Gatehouse, so a new one is asked for.
    expect(text).toMatch(/`--cookie-secret` \(environment\): mapped with a difference to `cookie.secret`: oauth2-proxy accepts 16, 24 or 32/)
    const env = { ...process.env, OAUTH2_PROXY_CLIENT_SECRET: 'x', GATEHOUSE_COOKIE_SECRET: randomBytes(32).toString('base64') }
    const check = await run('node', [...CLI, 'check-config', '--config', out], { env })
    expect(check.stdout).toMatch(/OK \(1 provider\(s\)\)/)
  })

  it('reads OAUTH2_PROXY_* from the environment with --from-env and writes to stdout/stderr', async () => {
    const env = { ...process.env, OAUTH2_PROXY_PROVIDER: 'github', OAUTH2_PROXY_GITHUB_ORG: 'acme', OAUTH2_PROXY_CLIENT_ID: 'id', OAUTH2_PROXY_EMAIL_DOMAINS: '*' }
    const { stdout, stderr } = await run('node', [...CLI, 'migrate', '--from-env'], { env })
    expect(stdout).toMatch(/type: github\n[\s\S]*orgs:\n\s+- acme/)
    expect(stderr).toMatch(/# gatehouse migrate report/)
  })

  it('refuses a missing input file and a call without input with exit 64', async () => {
    const missing = (await run('node', [...CLI, 'migrate', '--cfg', '/nonexistent.cfg']).catch((e: Failure) => e)) as Failure
    expect(missing.code).toBe(64)
    expect(missing.stderr).toMatch(/\/nonexistent\.cfg: cannot read \(ENOENT\)/)
    const none = (await run('node', [...CLI, 'migrate']).catch((e: Failure) => e)) as Failure
    expect(none.code).toBe(64)
    expect(none.stderr).toMatch(/no input/)
  })

  it('lists migrate in the help', async () => {
    const { stdout } = await run('node', [...CLI, '--help'])
    expect(stdout).toMatch(/migrate\s+translate an oauth2-proxy configuration/)
  })
})
