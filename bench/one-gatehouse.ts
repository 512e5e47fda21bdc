/**
 * One Gatehouse (the compiled build, bench/lib.ts `gatehouseCli`) beside a dev realm, in the bench's configuration, for the single-case tools
 * (bench/profile.ts, bench/drift.ts): the realm, the config file in `dir`, the process, and a sign-in that
 * returns the session cookie header.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { DEMO_USERS, startRealm, type Realm } from '../dev/devidp/realm.js'
import { CookieJarClient, loginAtRealm } from '../test/fakes/browser.js'
import { freePort, gatehouseCli, startService, waitForHttp, type GatehouseEntry, type Service } from './lib.js'

export interface OneGatehouse {
  realm: Realm
  url: string
  gh: Service
  /** Signs alice in through the realm; the `Cookie` header value of her session. */
  signIn(): Promise<string>
  close(): Promise<void>
}

export async function startOneGatehouse(o: { name: string; dir: string; nodeArgs?: string[]; entry?: GatehouseEntry; config?: Record<string, unknown> }): Promise<OneGatehouse> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const realm = await startRealm({ users: DEMO_USERS, clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${url}/oauth2/callback`] }] })
  const cfg = join(o.dir, 'gatehouse.yaml')
  writeFileSync(cfg, JSON.stringify({
    server: { listen: `127.0.0.1:${port}`, publicUrl: url },
    cookie: { secret: randomBytes(32).toString('base64url'), secure: false },
    redirect: { allowedDomains: ['.example.test'] },
    providers: [{ id: 'corp', type: 'keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true }],
    authorization: {},
    cache: { maxTtl: '1s' },
    logging: { level: 'warn' },
    ...o.config,
  }))
  const gh = startService(o.name, process.execPath, [...(o.nodeArgs ?? []), ...gatehouseCli(['serve', '--config', cfg], o.entry)], { logDir: o.dir })
  await waitForHttp(`${url}/ping`, gh)
  return {
    realm,
    url,
    gh,
    async signIn() {
      const c = new CookieJarClient()
      const start = await c.get(`${url}/oauth2/start?rd=${encodeURIComponent('http://app.example.test/')}`, { accept: 'text/html' })
      await c.get((await loginAtRealm(c, start.location!, 'alice', 'alice')).location!)
      return c.cookies(`${url}/oauth2/auth`).split(/;\s*/).filter((x) => /^_gatehouse=/.test(x)).join('; ')
    },
    async close() {
      await gh.stop()
      await realm.close()
    },
  }
}
