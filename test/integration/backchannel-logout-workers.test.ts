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


describe('revocation across server.workers', () => {
  let realm: Realm
  let url: string
  let serve: ServeProcess
  beforeAll(async () => {
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    realm = await startRealm({
      users: DEMO_USERS,
      clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${url}/oauth2/callback`], backchannelLogoutUri: `${url}/oauth2/backchannel_logout` }],
    })
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-bcl-')), 'gatehouse.yaml')
    writeFileSync(file, `
server: { listen: "127.0.0.1:${port}", publicUrl: "${url}", workers: 2 }
cookie: { secret: "${randomSecret()}" }
providers: [{ id: corp, type: keycloak, issuer: "${realm.issuer}", clientId: gatehouse, clientSecret: gatehouse-secret, allowInsecureRequests: true }]
authorization: {}
logging: { level: info }
`)
    // Both workers listening (and so subscribed to the session bus), not just the first answering /ready.
    serve = await startServe(file, { listeners: 2 })
    expect(await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, 60_000)).toBe(true)
  }, 240_000)
  afterAll(async () => {
    await serve?.stop()
    await realm.close()
  }, 90_000)

  const statuses = (cookie: string, n = 12) => Promise.all(Array.from({ length: n }, () => statusOf(`${url}/oauth2/auth`, cookie)))

  it('a back-channel logout received by one worker is refused by every worker at once', async () => {
    const cookie = await signIn(url, 'alice')
    // Every worker has verified (and cached) the session.
    expect(await statuses(cookie)).toEqual(Array(12).fill(202))
    expect(await realm.admin.backchannelLogout(realm.subjectOf('alice'))).toEqual([200])
    // IPC through the primary is asynchronous: a bound for a loaded machine, not a speed claim.
    expect(await waitFor(async () => (await statuses(cookie)).every((s) => s === 401), 20_000)).toBe(true)
    expect(await statuses(cookie)).toEqual(Array(12).fill(401))
  }, 60_000)

  it('a copy of a signed-out cookie is refused by every worker', async () => {
    const cookie = await signIn(url, 'bob')
    expect(await statuses(cookie)).toEqual(Array(12).fill(202))
    const out = await fetch(`${url}/oauth2/sign_out`, { headers: { cookie, 'sec-fetch-site': 'same-origin' }, redirect: 'manual' })
    expect(out.status).toBe(302)
    expect(await waitFor(async () => (await statuses(cookie)).every((s) => s === 401), 20_000)).toBe(true)
    expect(serve.stderr()).not.toMatch(/error/i)
  }, 60_000)
})
