/**
 * Starts Gatehouse with four providers (a Keycloak-shaped realm, generic OIDC on the same realm,
 * the Google and GitHub doubles) and captures /oauth2/sign_in in headless Chromium.
 *   node --import tsx scripts/screenshot-sign-in.ts [out.png]
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { chromium } from 'playwright-core'
import { buildConfig } from '../src/config/load.js'
import { DEMO_USERS, startRealm } from '../dev/devidp/realm.js'
import { createLogger } from '../src/logger.js'
import { startGatehouse } from '../src/server.js'
import { startFakeGitHub } from '../test/fakes/github.js'
import { startFakeGoogle } from '../test/fakes/google.js'
import { freePort, randomSecret } from '../test/helpers/stack.js'

const out = resolve(process.argv[2] ?? 'artifacts/sign-in.png')
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium'
if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath} (set CHROMIUM)`)

const port = await freePort()
const url = `http://127.0.0.1:${port}`
const realm = await startRealm({ users: DEMO_USERS, clients: [{ clientId: 'gatehouse', clientSecret: 'kc', redirectUris: [`${url}/oauth2/callback`] }] })
const google = await startFakeGoogle({ clientId: 'g', clientSecret: 'g', users: [] })
const github = await startFakeGitHub({ clientId: 'gh', clientSecret: 'gh', users: [] })
const insecure = { allowInsecureRequests: true }
const gatehouse = await startGatehouse(
  await buildConfig({
    server: { listen: `127.0.0.1:${port}`, publicUrl: url },
    cookie: { secret: randomSecret() },
    providers: [
      { id: 'corp', type: 'keycloak', displayName: 'Corp Keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'kc', ...insecure },
      { id: 'partner', type: 'oidc', displayName: 'Partner SSO', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'kc', ...insecure },
      { id: 'google', type: 'google', issuer: google.issuer, clientId: 'g', clientSecret: 'g', ...insecure },
      { id: 'github', type: 'github', baseUrl: github.origin, apiUrl: github.apiBase, clientId: 'gh', clientSecret: 'gh', ...insecure },
    ],
    authorization: {},
    logging: { level: 'silent' },
  }),
  { logger: createLogger('silent') },
)

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
})
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 640 } })
  await page.goto(`${url}/oauth2/sign_in`)
  // Keyboard users land on the first button with one Tab; the capture shows its focus ring.
  await page.keyboard.press('Tab')
  mkdirSync(dirname(out), { recursive: true })
  await page.screenshot({ path: out, fullPage: true })
  console.log(`saved ${out}`)
  const dark = out.replace(/\.png$/, '-dark.png')
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.screenshot({ path: dark, fullPage: true })
  console.log(`saved ${dark}`)
} finally {
  await browser.close()
  await gatehouse.close()
  await Promise.all([realm.close(), google.close(), github.close()])
}
