/**
 * examples/kubernetes and the Traefik docker-compose example are only parsed (no cluster, no Docker engine
 * here): every ingress-nginx annotation must point at a real Gatehouse path, forward all four identity headers,
 * and the Deployment's probes must use Gatehouse's health routes.
 */
import { describe, it, expect } from '@jest/globals'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { randomBytes } from 'node:crypto'
import { buildConfig } from '../../src/config/load.js'

const ROOT = join(process.cwd(), 'examples')
const IDENTITY_HEADERS = [
  'X-Auth-Request-User',
  'X-Auth-Request-Email',
  'X-Auth-Request-Groups',
  'X-Auth-Request-Preferred-Username',
]
const A = 'nginx.ingress.kubernetes.io/'

type Doc = Record<string, any>

function loadAll(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'))
  const out: Doc[] = []
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`)
    const js = d.toJS() as Doc | null
    if (js) out.push(js)
  }
  return out
}

const k8sFiles = readdirSync(join(ROOT, 'kubernetes'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => join(ROOT, 'kubernetes', f))
const k8sDocs = k8sFiles.flatMap((f) => loadAll(f).map((doc) => ({ file: f, doc })))
const ofKind = (kind: string) => k8sDocs.filter(({ doc }) => doc.kind === kind).map(({ doc }) => doc)

const headerList = (value: string) =>
  value
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)

describe('examples/kubernetes', () => {
  it('has YAML files whose documents all parse and carry apiVersion, kind and metadata.name', () => {
    expect(k8sFiles.length).toBeGreaterThan(0)
    expect(k8sDocs.length).toBeGreaterThan(0)
    for (const { file, doc } of k8sDocs) {
      expect({ file, apiVersion: typeof doc.apiVersion }).toEqual({ file, apiVersion: 'string' })
      expect({ file, kind: typeof doc.kind }).toEqual({ file, kind: 'string' })
      expect({ file, name: typeof doc.metadata?.name }).toEqual({ file, name: 'string' })
    }
  })

  const protectedIngresses = ofKind('Ingress').filter((i) => i.metadata.annotations?.[`${A}auth-url`])

  it('protects Prometheus, Alertmanager, Grafana and Kiali', () => {
    const names = protectedIngresses.map((i) => i.metadata.name).sort()
    expect(names).toEqual(expect.arrayContaining(['alertmanager', 'grafana', 'kiali', 'prometheus']))
  })

  it.each(['prometheus', 'alertmanager', 'grafana', 'kiali'])('%s: auth-url is Gatehouse /oauth2/auth in the cluster', (name) => {
    const ing = protectedIngresses.find((i) => i.metadata.name === name)!
    const url = new URL(ing.metadata.annotations[`${A}auth-url`])
    expect(url.protocol).toBe('http:')
    expect(url.host).toBe('gatehouse.auth.svc.cluster.local:4180')
    expect(url.pathname).toBe('/oauth2/auth')
    // the only query Gatehouse understands on the verify route
    for (const key of url.searchParams.keys()) expect(['allowed_groups', 'allowed_emails', 'allowed_email_domains']).toContain(key)
  })

  it.each(['prometheus', 'alertmanager', 'grafana', 'kiali'])('%s: auth-signin is /oauth2/sign_in and lets the controller add rd', (name) => {
    const ing = protectedIngresses.find((i) => i.metadata.name === name)!
    const raw: string = ing.metadata.annotations[`${A}auth-signin`]
    const url = new URL(raw)
    expect(url.protocol).toBe('https:')
    expect(url.pathname).toBe('/oauth2/sign_in')
    // ingress-nginx appends rd=$scheme://$http_host$escaped_request_uri unless rd is present; a hand-written
    // rd=$escaped_request_uri would be a bare path on the auth host.
    expect(url.searchParams.has('rd')).toBe(false)
  })

  it.each(['prometheus', 'alertmanager', 'grafana', 'kiali'])('%s: auth-response-headers lists the four identity headers', (name) => {
    const ing = protectedIngresses.find((i) => i.metadata.name === name)!
    const headers = headerList(ing.metadata.annotations[`${A}auth-response-headers`])
    expect(headers).toEqual(expect.arrayContaining(IDENTITY_HEADERS))
  })

  it('keeps 401 for Grafana\'s API: a second Ingress on /api with the same check and no auth-signin (which turns 401 into 302)', () => {
    const api = protectedIngresses.find((i) => i.metadata.name === 'grafana-api')!
    const ui = protectedIngresses.find((i) => i.metadata.name === 'grafana')!
    expect(api.metadata.annotations[`${A}auth-signin`]).toBeUndefined()
    expect(api.metadata.annotations[`${A}auth-url`]).toBe(ui.metadata.annotations[`${A}auth-url`])
    expect(headerList(api.metadata.annotations[`${A}auth-response-headers`])).toEqual(expect.arrayContaining(IDENTITY_HEADERS))
    expect(api.spec.rules[0].host).toBe(ui.spec.rules[0].host)
    expect(api.spec.rules[0].http.paths.map((p: Doc) => p.path)).toEqual(['/api'])
    expect(readFileSync(join(ROOT, 'kubernetes', 'ingress.yaml'), 'utf8')).toMatch(/auth-signin turns EVERY 401 into a 302/)
  })

  it("Gatehouse's own Ingress serves /oauth2 without auth annotations", () => {
    const own = ofKind('Ingress').filter((i) => i.metadata.name === 'gatehouse')
    expect(own).toHaveLength(1)
    const annotations = Object.keys(own[0]!.metadata.annotations ?? {})
    expect(annotations.filter((a) => a.startsWith(`${A}auth-`))).toEqual([])
    const paths = own[0]!.spec.rules.flatMap((r: Doc) => r.http.paths.map((p: Doc) => p.path))
    expect(paths).toContain('/oauth2')
  })

  it('the signin host is served by Gatehouse and the auth-url names its Service', () => {
    const svc = ofKind('Service').find((s) => s.metadata.name === 'gatehouse')!
    expect(svc.metadata.namespace).toBe('auth')
    const ports = svc.spec.ports.map((p: Doc) => p.port)
    expect(ports).toEqual(expect.arrayContaining([4180, 9180]))
    const ownHosts = ofKind('Ingress')
      .filter((i) => i.metadata.name === 'gatehouse')
      .flatMap((i) => i.spec.rules.map((r: Doc) => r.host))
    for (const ing of protectedIngresses.filter((i) => i.metadata.annotations[`${A}auth-signin`])) {
      expect(ownHosts).toContain(new URL(ing.metadata.annotations[`${A}auth-signin`]).host)
    }
  })

  it('the Deployment listens on 4180, exposes metrics on 9180 and probes /ping and /ready', () => {
    const dep = ofKind('Deployment').find((d) => d.metadata.name === 'gatehouse')!
    const c = dep.spec.template.spec.containers[0]
    const ports = Object.fromEntries(c.ports.map((p: Doc) => [p.name, p.containerPort]))
    expect(ports).toEqual({ http: 4180, metrics: 9180 })
    expect(c.livenessProbe.httpGet.path).toBe('/ping')
    expect(c.readinessProbe.httpGet.path).toBe('/ready')
    for (const probe of [c.livenessProbe, c.readinessProbe]) expect(['http', 4180]).toContain(probe.httpGet.port)
  })

  it('the ConfigMap holds a gatehouse.yaml that matches the Deployment and the Ingresses', () => {
    const cm = ofKind('ConfigMap').find((d) => d.metadata.name === 'gatehouse')!
    const cfg = parse(cm.data['gatehouse.yaml']) as Doc
    expect(cfg.server.listen).toBe('0.0.0.0:4180')
    expect(cfg.metrics.listen).toBe('0.0.0.0:9180')
    expect(new URL(cfg.server.publicUrl).host).toBe('auth.example.com')
    expect(cfg.cookie.domains).toContain('.example.com')
    expect(cfg.providers[0].type).toBe('keycloak')
    // secrets come from the environment, fed by the Secret
    expect(cfg.cookie.secret).toMatch(/^\$\{[A-Z_]+\}$/)
    expect(cfg.providers[0].clientSecret).toMatch(/^\$\{[A-Z_]+\}$/)
    const dep = ofKind('Deployment').find((d) => d.metadata.name === 'gatehouse')!
    const env = dep.spec.template.spec.containers[0].env.map((e: Doc) => e.name)
    for (const ref of [cfg.cookie.secret, cfg.providers[0].clientSecret]) expect(env).toContain(ref.slice(2, -1))
    const secret = ofKind('Secret').find((d) => d.metadata.name === 'gatehouse')!
    for (const e of dep.spec.template.spec.containers[0].env) expect(Object.keys(secret.stringData)).toContain(e.valueFrom.secretKeyRef.key)
  })

  it("the ConfigMap's gatehouse.yaml passes Gatehouse's own config validation", async () => {
    const cm = ofKind('ConfigMap').find((d) => d.metadata.name === 'gatehouse')!
    const env = { GATEHOUSE_COOKIE_SECRET: randomBytes(32).toString('base64'), GATEHOUSE_CLIENT_SECRET: 'x' }
    const config = await buildConfig(parse(cm.data['gatehouse.yaml']), { env })
    expect(config.server.publicUrl.toString()).toContain('auth.example.com')
  })
})

describe('examples/traefik/docker-compose.yml', () => {
  const [compose] = loadAll(join(ROOT, 'traefik', 'docker-compose.yml'))
  const labels = Object.values(compose!.services as Record<string, Doc>).flatMap((s) => (s.labels ?? []) as string[])
  const label = (key: string) => {
    const hit = labels.find((l) => l.startsWith(`${key}=`))
    return hit?.slice(key.length + 1)
  }

  it.each(['gatehouse', 'gatehouse-sre'])('middleware %s calls /oauth2/forward-auth and copies the four headers', (mw) => {
    const prefix = `traefik.http.middlewares.${mw}.forwardauth`
    const address = new URL(label(`${prefix}.address`)!)
    expect(address.pathname).toBe('/oauth2/forward-auth')
    expect(address.port).toBe('4180')
    expect(label(`${prefix}.trustForwardHeader`)).toBe('true')
    expect(headerList(label(`${prefix}.authResponseHeaders`)!)).toEqual(IDENTITY_HEADERS)
  })

  it("routes /oauth2/ to Gatehouse without the middleware, and the app through it", () => {
    expect(label('traefik.http.routers.app-oauth2.rule')).toContain('PathPrefix(`/oauth2/`)')
    expect(label('traefik.http.routers.app-oauth2.middlewares')).toBeUndefined()
    expect(label('traefik.http.routers.app.middlewares')).toBe('gatehouse-strip-identity@docker,gatehouse@docker')
    expect(label('traefik.http.routers.app-admin.middlewares')).toBe('gatehouse-strip-identity@docker,gatehouse-sre@docker')
  })
})
