/**
 * charts/gatehouse rendered by a real Helm (scripts/build-helm.sh; HELM_BIN, or the default cache path) over every
 * test/helm/values-*.yaml: lint passes, and the objects hold what the chart promises. `npm run test:helm`.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from '@jest/globals'
import { parseAllDocuments, parse } from 'yaml'
import { buildConfig } from '../../src/config/load.js'

const run = promisify(execFile)
const CHART = join(process.cwd(), 'charts', 'gatehouse')
const HELM =
  process.env.HELM_BIN ?? join(process.env.GATEHOUSE_TOOLS ?? join(homedir(), '.cache', 'gatehouse-tools'), 'helm-v3.22.0', 'helm')
const KUBE_VERSION = '1.31.0'
const VALUES = readdirSync(join(process.cwd(), 'test', 'helm'))
  .filter((f) => /^values-.*\.yaml$/.test(f))
  .sort()

type Obj = Record<string, any>

async function template(args: string[]): Promise<Obj[]> {
  const { stdout } = await run(HELM, ['template', 'gh', CHART, '--namespace', 'auth', '--kube-version', KUBE_VERSION, ...args], { maxBuffer: 1 << 24 })
  return parseAllDocuments(stdout).map((d) => d.toJS() as Obj).filter(Boolean)
}
const failure = (args: string[]) =>
  template(args).then(
    () => 'rendered',
    (err: { stderr: string }) => err.stderr,
  )
const values = (file: string) => ['-f', join(process.cwd(), 'test', 'helm', file)]
const one = (objs: Obj[], kind: string) => {
  const found = objs.filter((o) => o.kind === kind)
  expect(found.map((o) => o.kind)).toEqual([kind])
  return found[0]!
}

describe('helm chart charts/gatehouse', () => {
  it('has a Helm binary and several values files', async () => {
    expect(existsSync(HELM)).toBe(true)
    expect(VALUES.length).toBeGreaterThanOrEqual(4)
  })

  describe.each(VALUES)('%s', (file) => {
    let objs: Obj[]
    it('passes helm lint and renders', async () => {
      await run(HELM, ['lint', '--strict', CHART, '--kube-version', KUBE_VERSION, ...values(file)])
      objs = await template(values(file))
      expect(objs.length).toBeGreaterThanOrEqual(3)
    }, 60_000)

    it('Deployment: probes on /ping and /ready, locked-down securityContext, config mounted read-only', () => {
      const dep = one(objs, 'Deployment')
      const pod = dep.spec.template.spec
      const c = pod.containers.find((x: Obj) => x.name === 'gatehouse')
      expect(c.livenessProbe.httpGet).toEqual({ path: '/ping', port: 'http' })
      expect(c.startupProbe.httpGet).toEqual({ path: '/ping', port: 'http' })
      expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' })
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } })
      expect(pod.securityContext.runAsNonRoot).toBe(true)
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0)
      expect(pod.automountServiceAccountToken).toBe(false)
      expect(c.resources.requests).toBeDefined()
      expect(c.resources.limits.memory).toBeDefined()
      expect(c.args).toEqual(['serve', '--config', '/etc/gatehouse/gatehouse.yaml'])
      expect(c.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/gatehouse', readOnly: true })
      const cm = one(objs, 'ConfigMap')
      expect(pod.volumes).toContainEqual({ name: 'config', configMap: { name: cm.metadata.name } })
    })

    it('every ${NAME} in the rendered config comes from a Secret (or extraEnv), and no secret is written in it', () => {
      const cm = one(objs, 'ConfigMap')
      const text: string = cm.data['gatehouse.yaml']
      const config = parse(text) as Obj
      const c = one(objs, 'Deployment').spec.template.spec.containers[0]
      const env = new Map<string, Obj>(c.env.map((e: Obj) => [e.name, e]))
      const refs = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!)
      expect(refs).toContain('GATEHOUSE_COOKIE_SECRET')
      for (const name of refs) {
        const e = env.get(name)
        expect({ name, defined: !!e }).toEqual({ name, defined: true })
        if (!('value' in e!)) expect(e!.valueFrom.secretKeyRef).toEqual({ name: expect.any(String), key: expect.any(String) })
      }
      expect(config.cookie.secret).toBe('${GATEHOUSE_COOKIE_SECRET}')
      for (const p of config.providers) if (p.clientSecret) expect(p.clientSecret).toMatch(/^\$\{[A-Z_]+\}$/)
    })

    it("ports follow config listen addresses; Service and probes name them", () => {
      const cm = parse(one(objs, 'ConfigMap').data['gatehouse.yaml']) as Obj
      const c = one(objs, 'Deployment').spec.template.spec.containers[0]
      const port = (listen: string) => Number(listen.split(':').pop())
      expect(c.ports).toContainEqual({ name: 'http', containerPort: port(cm.server.listen) })
      const svc = one(objs, 'Service')
      expect(svc.spec.ports.map((p: Obj) => p.targetPort)).toEqual(cm.metrics ? ['http', 'metrics'] : ['http'])
      if (cm.metrics) expect(c.ports).toContainEqual({ name: 'metrics', containerPort: port(cm.metrics.listen) })
      else expect(c.ports.map((p: Obj) => p.name)).toEqual(['http'])
    })

    it('the rendered gatehouse.yaml passes Gatehouse\'s own config validation (the Redis session block is issue 11)', async () => {
      const config = parse(one(objs, 'ConfigMap').data['gatehouse.yaml']) as Obj
      const env = Object.fromEntries(
        one(objs, 'Deployment').spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e.value ?? 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8']),
      )
      const { session, ...rest } = config
      await expect(buildConfig(rest, { env })).resolves.toBeDefined()
      if (session) expect(session).toMatchObject({ store: 'redis', redis: { url: expect.stringMatching(/^rediss?:\/\//) } })
    })
  })

  it('optional objects: all on in values-full, all off in values-minimal', async () => {
    const kinds = (objs: Obj[]) => objs.map((o) => o.kind).sort()
    const full = await template(values('values-full.yaml'))
    expect(kinds(full)).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'ServiceMonitor'])
    expect(one(full, 'Deployment').spec.replicas).toBeUndefined()
    expect(one(full, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 3, maxReplicas: 12, scaleTargetRef: { kind: 'Deployment', name: one(full, 'Deployment').metadata.name } })
    expect(one(full, 'ServiceMonitor').spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }])
    expect(one(full, 'NetworkPolicy').spec.policyTypes).toEqual(['Ingress', 'Egress'])
    expect(one(full, 'Ingress').spec.rules[0].http.paths[0].backend.service).toEqual({ name: one(full, 'Service').metadata.name, port: { name: 'http' } })
    expect(one(full, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 })
    expect(one(full, 'Deployment').spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds).toBe(10)

    const minimal = await template(values('values-minimal.yaml'))
    expect(kinds(minimal)).toEqual(['ConfigMap', 'Deployment', 'Service'])
    expect(one(minimal, 'Deployment').spec.replicas).toBe(1)
    expect(one(minimal, 'Deployment').spec.template.spec.containers[0].lifecycle).toBeUndefined()
  }, 60_000)

  it('the Redis values reference the password through a Secret', async () => {
    const objs = await template(values('values-redis.yaml'))
    const env = one(objs, 'Deployment').spec.template.spec.containers[0].env as Obj[]
    expect(env).toContainEqual({ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'gatehouse-redis', key: 'redis-password' } } })
    expect(parse(one(objs, 'ConfigMap').data['gatehouse.yaml']).session.redis.password).toBe('${REDIS_PASSWORD}')
  }, 60_000)

  it('checksum/config is the hash of the ConfigMap: a config change rolls the pods, other changes do not', async () => {
    const checksum = (objs: Obj[]) => one(objs, 'Deployment').spec.template.metadata.annotations['checksum/config'] as string
    const base = await template([])
    expect(checksum(base)).toMatch(/^[0-9a-f]{64}$/)
    const { stdout } = await run(HELM, ['template', 'gh', CHART, '--namespace', 'auth', '--kube-version', KUBE_VERSION, '--show-only', 'templates/configmap.yaml'])
    // The template's own output: what `--show-only` prints minus its "---" and "# Source" lines (the template starts
    // with the trimmed secret check, which leaves one newline).
    const rendered = stdout.replace(/^---\n# Source: [^\n]*\n/, '\n')
    expect(checksum(base)).toBe(createHash('sha256').update(rendered).digest('hex'))
    const changed = await template(['--set', 'config.server.publicUrl=https://login.example.com'])
    expect(checksum(changed)).not.toBe(checksum(base))
    const scaled = await template(['--set', 'replicaCount=5', '--set', 'resources.limits.memory=512Mi'])
    expect(checksum(scaled)).toBe(checksum(base))
  }, 60_000)

  it('refuses a secret written into the config, an undefined ${NAME}, and a ServiceMonitor without metrics', async () => {
    expect(await failure(['--set', 'config.cookie.secret=c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA'])).toContain(
      'config.cookie.secret must be a ${NAME} reference',
    )
    expect(await failure(['--set', 'config.providers[0].id=corp,config.providers[0].type=oidc,config.providers[0].clientSecret=${NOPE}'])).toContain(
      'references ${NOPE}, which neither secretEnv nor extraEnv defines',
    )
    expect(await failure(['--set', 'serviceMonitor.enabled=true', '--set', 'config.metrics=null'])).toContain('serviceMonitor.enabled needs config.metrics.listen')
  }, 60_000)
})
