/**
 * The migrate corpus: oauth2-proxy's own example files (test/fixtures/oauth2-proxy, copied unchanged)
 * and the ones written for these tests (written/), each with the way `gatehouse migrate` is called on it.
 */
import { randomBytes, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MigrateInput } from '../../src/migrate/migrate.js'
import type { EnvRef } from '../../src/migrate/context.js'

export const FIXTURES = fileURLToPath(new URL('../fixtures/oauth2-proxy', import.meta.url))
const f = (name: string) => join(FIXTURES, name)
const w = (name: string) => join(FIXTURES, 'written', name)

export interface CorpusCase {
  name: string
  input: MigrateInput
  /** From oauth2-proxy's repository (true) or written for these tests. */
  upstream: boolean
}

export const CORPUS: CorpusCase[] = [
  { name: 'oauth2-proxy.cfg', input: { cfg: f('oauth2-proxy.cfg') }, upstream: true },
  { name: 'oauth2-proxy-keycloak.cfg', input: { cfg: f('oauth2-proxy-keycloak.cfg') }, upstream: true },
  { name: 'oauth2-proxy-nginx.cfg', input: { cfg: f('oauth2-proxy-nginx.cfg') }, upstream: true },
  { name: 'oauth2-proxy-traefik.cfg', input: { cfg: f('oauth2-proxy-traefik.cfg') }, upstream: true },
  { name: 'oauth2-proxy-gitea.cfg', input: { cfg: f('oauth2-proxy-gitea.cfg') }, upstream: true },
  { name: 'oauth2-proxy-alpha-config.cfg + .yaml', input: { cfg: f('oauth2-proxy-alpha-config.cfg'), alphaConfig: f('oauth2-proxy-alpha-config.yaml') }, upstream: true },
  { name: 'docker-compose-keycloak.yaml', input: { deploy: f('docker-compose-keycloak.yaml') }, upstream: true },
  { name: 'docker-compose-nginx.yaml', input: { deploy: f('docker-compose-nginx.yaml') }, upstream: true },
  { name: 'docker-compose-traefik.yaml', input: { deploy: f('docker-compose-traefik.yaml') }, upstream: true },
  { name: 'kubernetes-values.yaml', input: { deploy: f('kubernetes-values.yaml') }, upstream: true },
  { name: 'prometheus (ingress-nginx, Helm)', input: { deploy: w('prometheus-ingress-nginx.values.yaml') }, upstream: false },
  { name: 'alertmanager (ingress-nginx, Helm)', input: { deploy: w('alertmanager-ingress-nginx.values.yaml') }, upstream: false },
  { name: 'grafana (ingress-nginx, Helm, github)', input: { deploy: w('grafana-ingress-nginx.values.yaml') }, upstream: false },
  { name: 'kiali (ingress-nginx, Helm, redis)', input: { deploy: w('kiali-ingress-nginx.values.yaml') }, upstream: false },
  { name: 'google-groups.cfg', input: { cfg: w('google-groups.cfg') }, upstream: false },
  { name: 'github-org.cfg', input: { cfg: w('github-org.cfg') }, upstream: false },
  { name: 'keycloak-oidc-roles.cfg', input: { cfg: w('keycloak-oidc-roles.cfg') }, upstream: false },
  { name: 'redis-sessions.cfg', input: { cfg: w('redis-sessions.cfg') }, upstream: false },
  { name: 'redis-sentinel.compose.yaml', input: { deploy: w('redis-sentinel.compose.yaml') }, upstream: false },
  { name: 'oidc-bearer.env', input: { envFile: w('oidc-bearer.env') }, upstream: false },
  { name: 'skip-auth-routes.cfg', input: { cfg: w('skip-auth-routes.cfg') }, upstream: false },
  { name: 'authenticated-emails.cfg', input: { cfg: w('authenticated-emails.cfg') }, upstream: false },
  { name: 'entra-id.cfg', input: { cfg: w('entra-id.cfg') }, upstream: false },
  { name: 'multi-upstream.cfg', input: { cfg: w('multi-upstream.cfg') }, upstream: false },
  { name: 'compose-env.compose.yaml', input: { deploy: w('compose-env.compose.yaml') }, upstream: false },
  { name: 'alpha-keycloak.yaml + .cfg', input: { cfg: w('alpha-keycloak.cfg'), alphaConfig: w('alpha-keycloak.yaml') }, upstream: false },
  { name: 'extraargs-list.values.yaml', input: { deploy: w('extraargs-list.values.yaml') }, upstream: false },
  {
    name: 'flags only (Helm extraArgs as a command line)',
    input: {
      args: ['-provider', 'oidc', '--oidc-issuer-url', 'https://id.example.com', '--client-id=cli', '--email-domain', 'example.com', '--email-domain=example.org', '--skip-auth-regex=^/ping$', '--skip-jwt-bearer-tokens', '--reverse-proxy', '--redirect-url=https://cli.example.com/oauth2/callback'],
      env: { OAUTH2_PROXY_CLIENT_SECRET: 'from-env', OAUTH2_PROXY_COOKIE_SECRET: 'ZW52LWNvb2tpZS1zZWNyZXQtMzItYnl0ZXMtbG9uZyE=' },
    },
    upstream: false,
  },
]

/** Files of the copied set that hold no oauth2-proxy options: migrate must say so (exit 64), not invent a config. */
export const NOT_CONFIGS = ['oauth2-proxy.cfg.example', 'nginx.conf', 'traefik-dynamic.yaml']

/** A fake service-account key file, for google configs with groups (read at start-up). */
function fakeServiceAccount(): string {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-sa-'))
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const file = join(dir, 'sa.json')
  writeFileSync(file, JSON.stringify({ client_email: 'gatehouse@proj.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) }))
  return file
}

/** The environment an operator would set for the output: the input's secrets, fresh values for the rest. */
export function envFor(refs: readonly EnvRef[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const r of refs) {
    if (r.value !== undefined) env[r.name] = r.value
    else if (/COOKIE_SECRET/.test(r.name)) env[r.name] = randomBytes(32).toString('base64')
    else if (/PUBLIC_URL|ISSUER/.test(r.name)) env[r.name] = 'https://auth.example.com'
    else if (/ADMIN_EMAIL/.test(r.name)) env[r.name] = 'admin@example.com'
    else env[r.name] = `value-of-${r.name.toLowerCase()}`
  }
  env.GOOGLE_SERVICE_ACCOUNT_FILE = fakeServiceAccount()
  return env
}
