/**
 * Runs the Keycloak-shaped dev realm (dev/devidp/realm.ts) as its own process for the e2e stack:
 *   node --import tsx test/e2e/harness/realm-main.ts '<json RealmOptions without users>'
 * Prints one line `REALM_READY <json>` with the issuer once it listens; exits on SIGTERM/SIGINT.
 */
import { pathToFileURL } from 'node:url'
import type { RealmOptions } from '../../../dev/devidp/realm.js'

// E2E_REALM_MODULE: another build of the realm module (debugging only); default: the repository's.
const mod: typeof import('../../../dev/devidp/realm.js') = process.env.E2E_REALM_MODULE
  ? await import(pathToFileURL(process.env.E2E_REALM_MODULE).href)
  : await import('../../../dev/devidp/realm.js')
const { DEMO_USERS, startRealm } = mod

const raw = process.argv[2]
if (!raw) {
  process.stderr.write('usage: realm-main.ts <json options>\n')
  process.exit(64)
}
const opts = JSON.parse(raw) as Omit<RealmOptions, 'users'>
const realm = await startRealm({ ...opts, users: DEMO_USERS })
process.stdout.write(`REALM_READY ${JSON.stringify({ issuer: realm.issuer, origin: realm.origin, port: realm.port })}\n`)

let closing = false
const stop = () => {
  if (closing) return
  closing = true
  const force = setTimeout(() => process.exit(0), 3000)
  force.unref()
  realm.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
