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
import type { Config } from '../../src/config/load.js'
import { explain } from '../../src/explain.js'
import type { MigrateOutput } from '../../src/migrate/migrate.js'
import { asList } from '../../src/migrate/options.js'
import { oauth2ProxyDecision, routablePath, type Decision, type ModelUser } from '../helpers/oauth2-proxy-model.js'

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

export interface Case {
  out: MigrateOutput
  config: Config
  emailsFile: string[]
}

/**
 * Where Gatehouse knowingly differs from oauth2-proxy, always in the safe direction (or, for dot segments,
 * deciding on the path the app will serve). Anything else is a mismatch.
 */
export const KNOWN_DIFFERENCES = {
  constrainedPublic: 'a skip-auth path under an auth-url with allowed_* constraints: Gatehouse applies the constraints (login/403), oauth2-proxy lets anonymous users through',
  ambiguousPath: 'a path Gatehouse reads as ambiguous (see explain\'s note): public rules are skipped, a login is needed',
  encoded: 'a percent-encoded path: a public rule must match the path as written and decoded (and never one with %2f, %5c, %00, %23) in Gatehouse; oauth2-proxy matches the decoded path alone',
  subdomainEmail: 'a .domain / *.domain email pattern: not migrated, Gatehouse denies',
  deniedAs401: "a user refused by email or group on /oauth2/auth: oauth2-proxy answers 401 (nginx sends them to sign in again), Gatehouse 403",
  normalised: "dot segments or repeated slashes: Gatehouse decides on the normalised path (what the app serves) and skips public rules when the readings differ; oauth2-proxy refuses to skip auth",
} as const

export function classify(c: Case, method: string, rawPath: string, user: ModelUser | undefined, query: Query | undefined, expected: string, got: string, text = ''): keyof typeof KNOWN_DIFFERENCES | undefined {
  const stricter = expected === 'allow' && got !== 'allow'
  const skipped = oauth2ProxyDecision(c.out.options, { method, rawPath }, c.emailsFile) === 'allow'
  if (stricter && query?.original && skipped) return 'constrainedPublic'
  if (user && query && expected === 'login' && got === 'deny') return 'deniedAs401'
  if (stricter && /%[0-9a-f]{2}/i.test(rawPath)) return 'encoded'
  if (stricter && /note: .*ambiguous/.test(text)) return 'ambiguousPath'
  const patterns = asList(c.out.options.get('email_domains')?.value).filter((d) => /^\*?\./.test(d))
  if (stricter && user && patterns.some((d) => user.email.toLowerCase().endsWith(d.replace(/^\*/, '')))) return 'subdomainEmail'
  const unclean = /(^|\/)\.{1,2}(\/|$)/.test(rawPath.replace(/%2e/gi, '.')) || rawPath.includes('//')
  if (stricter && unclean) return 'normalised'
  if (routablePath(rawPath) === undefined && unclean) {
    const resolved = new URL(`https://x${rawPath.replace(/\/{2,}/g, '/')}`).pathname
    if (oauth2ProxyDecision(c.out.options, { method, rawPath: resolved, user, query: query?.original }, c.emailsFile) === got) return 'normalised'
  }
  return undefined
}

export type Query = { gatehouse?: string; original?: string }

export function compare(c: Case, method: string, rawPath: string, user: ModelUser | undefined, query?: Query, real?: Decision) {
  // Against the real oauth2-proxy's answer when there is one, else against the model.
  const expected = real ?? oauth2ProxyDecision(c.out.options, { method, rawPath, user, query: query?.original }, c.emailsFile)
  const { decision: got, text } = explain(c.config, { url: `https://app.example.com${rawPath}`, method, user, query: query?.gatehouse })
  const known = expected === got ? undefined : classify(c, method, rawPath, user, query, expected, got, text)
  return { expected, got, ok: expected === got || known !== undefined, known }
}

