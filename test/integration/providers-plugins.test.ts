import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { rm, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { buildConfig, loadConfig } from '../../src/config/load.js'
import { DEMO_USERS, startRealm, type Realm } from '../../dev/devidp/realm.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { CookieJarClient } from '../fakes/browser.js'
import { freePort, randomSecret } from '../helpers/stack.js'
import { loginVia, userinfo, type Harness } from './providers-harness.js'

const BASE = {
  server: { listen: '127.0.0.1:0', publicUrl: 'http://127.0.0.1:4180' },
  cookie: { secret: randomSecret() },
  authorization: {},
}

describe('third-party plugins named in config', () => {
  // The config file sits in examples/, so `./plugins/gitlab.js` resolves against its folder.
  const configFile = resolve('examples', `.providers-plugins-test-${process.pid}.yaml`)
  let realm: Realm
  let gatehouse: Gatehouse
  let h: Harness
  beforeAll(async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    // The realm stands in for GitLab: both are OIDC issuers with a `groups` claim.
    realm = await startRealm({ users: DEMO_USERS, clients: [{ clientId: 'gl', clientSecret: 'gl-secret', redirectUris: [`${url}/oauth2/callback`] }] })
    const entry = (id: string, groups: string[]) =>
      `  - { id: ${id}, type: ./plugins/gitlab.js, displayName: GitLab, baseUrl: "${realm.issuer}", clientId: gl, clientSecret: gl-secret, allowInsecureRequests: true, groups: [${groups.join(', ')}] }`
    await writeFile(configFile, [
      'server:', `  listen: "127.0.0.1:${port}"`, `  publicUrl: "${url}"`,
      'cookie:', `  secret: "${randomSecret()}"`,
      'redirect: { allowedDomains: [.example.test] }',
      'logging: { level: silent }',
      'authorization: {}',
      'providers:', entry('gitlab', ['sre']), entry('gitlab-admins', ['admins']),
    ].join('\n'))
    const config = await loadConfig(configFile)
    gatehouse = await startGatehouse(config, { logger: createLogger('silent') })
    h = { gatehouse, url, callbackUrl: `${url}/oauth2/callback`, close: () => gatehouse.close() }
  })
  afterAll(async () => {
    await rm(configFile, { force: true })
    await gatehouse?.close()
    await realm?.close()
  })

  it('loads examples/plugins/gitlab.js through `type: ./plugins/gitlab.js` and logs in with it', async () => {
    expect(gatehouse.runtime().providers.get('gitlab')?.type).toBe('gitlab')
    const browser = new CookieJarClient()
    const res = await loginVia(browser, h, 'gitlab', { username: 'alice', password: 'alice' })
    expect(res.status).toBe(302)
    expect((await userinfo(browser, h)).body).toMatchObject({ provider: 'gitlab', email: 'alice@example.com', groups: ['staff', 'sre'] })
  })

  it("enforces the plugin's own restriction with Gatehouse's 403 page", async () => {
    const browser = new CookieJarClient()
    const res = await loginVia(browser, h, 'gitlab-admins', { username: 'bob', password: 'bob' })
    expect(res.status).toBe(403)
    expect(res.body).toContain('not allowed')
  })

  it('validates plugin options at startup with key paths', async () => {
    await expect(
      buildConfig({ ...BASE, providers: [{ id: 'gl', type: './plugins/gitlab.js', clientSecret: 's', colour: 'red' }] }, { baseDir: resolve('examples') }),
    ).rejects.toMatchObject({ problems: ['providers[0].colour: unknown option', 'providers[0].clientId: required'] })
  })

  it('an unknown type fails start-up listing the known types', async () => {
    const err = await buildConfig({ ...BASE, providers: [{ id: 'x', type: 'gitlub' }] }).catch((e: unknown) => e)
    expect((err as { problems: string[] }).problems).toEqual([
      expect.stringMatching(/^providers\[0\]\.type: unknown provider type "gitlub".*known types: oidc, keycloak, google, github/),
    ])
    const missing = await buildConfig({ ...BASE, providers: [{ id: 'x', type: './plugins/nope.js' }] }, { baseDir: resolve('examples') }).catch((e: unknown) => e)
    expect((missing as { problems: string[] }).problems[0]).toMatch(/providers\[0\]\.type: .*could not be loaded.*known types: oidc, keycloak, google, github/)
  })
})
