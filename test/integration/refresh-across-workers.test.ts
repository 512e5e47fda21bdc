import { request } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { DEMO_USERS, startRealm, type Realm } from '../../dev/devidp/realm.js'
import { signIn } from '../helpers/login.js'
import { waitFor } from '../helpers/wait.js'
import { freePort, randomSecret } from '../helpers/stack.js'
import { startServe, type ServeProcess } from '../helpers/serve-process.js'

/** One request on a fresh connection, so the cluster's round robin spreads them over the workers. */
const statusOf = (url: string, cookie: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request(url, { agent: false, headers: { cookie } }, (res) => {
      res.resume()
      resolve(res.statusCode!)
    })
    req.on('error', reject)
    req.end()
  })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A cookie-store session revalidated by two workers at once, against an IdP that rotates refresh
 * tokens (a reused one is refused and ends the grant): the session must survive every refresh.
 */
describe('session refresh across server.workers (cookie store, no Redis)', () => {
  let realm: Realm
  let url: string
  let serve: ServeProcess
  let stdout = ''
  beforeAll(async () => {
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    realm = await startRealm({
      users: DEMO_USERS,
      clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${url}/oauth2/callback`] }],
    })
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-refresh-workers-')), 'gatehouse.yaml')
    writeFileSync(file, `
server: { listen: "127.0.0.1:${port}", publicUrl: "${url}", workers: 2 }
cookie: { secret: "${randomSecret()}" }
session: { refresh: 2s }
providers: [{ id: corp, type: keycloak, issuer: "${realm.issuer}", clientId: gatehouse, clientSecret: gatehouse-secret, allowInsecureRequests: true }]
authorization: {}
logging: { level: info }
`)
    serve = await startServe(file, { listeners: 2 })
    serve.child.stdout!.on('data', (d) => (stdout += d))
    expect(await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, 60_000)).toBe(true)
  }, 240_000)
  afterAll(async () => {
    await serve?.stop()
    await realm.close()
  }, 90_000)

  const statuses = (cookie: string, n = 12) => Promise.all(Array.from({ length: n }, () => statusOf(`${url}/oauth2/auth`, cookie)))

  it('concurrent requests through both workers stay allowed across several refreshes', async () => {
    const cookie = await signIn(url, 'alice')
    const before = realm.admin.refreshes()
    const seen: number[] = []
    const started = Date.now()
    // ~4 refresh periods of 2 s, 12 concurrent requests (both workers) every 100 ms.
    for (const end = Date.now() + 9_000; Date.now() < end; ) {
      seen.push(...(await statuses(cookie)))
      await sleep(100)
    }
    const refused = seen.filter((s) => s !== 202)
    if (refused.length) console.log(stdout.split('\n').filter((l) => !l.includes('"msg":"request"')).join('\n'))
    expect({ refused: refused.length, of: seen.length }).toEqual({ refused: 0, of: seen.length })
    const refreshes = realm.admin.refreshes() - before
    expect(refreshes).toBeGreaterThanOrEqual(2)
    // One refresh at a time: a refreshed session is due again a whole second (epoch seconds) later at the earliest.
    expect(refreshes).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000) + 1)
    expect(stdout).not.toMatch(/session ended by the IdP/)
  }, 60_000)

  it('a session the IdP ended is refused by every worker at its next refresh', async () => {
    const cookie = await signIn(url, 'bob')
    expect(await statuses(cookie)).toEqual(Array(12).fill(202))
    await realm.admin.endSessions(realm.subjectOf('bob'))
    expect(await waitFor(async () => (await statuses(cookie)).every((s) => s === 401), 20_000)).toBe(true)
  }, 60_000)
})
