/** Signs a user in through the dev realm like a browser does, and returns the session's Cookie header. */
import { CookieJarClient, loginAtRealm } from '../fakes/browser.js'

export async function signIn(gatehouseUrl: string, username: string): Promise<string> {
  const browser = new CookieJarClient()
  const start = await browser.get(`${gatehouseUrl}/oauth2/start`, { accept: 'text/html' })
  if (start.status !== 302 || !start.location) throw new Error(`start answered ${start.status}`)
  const back = await loginAtRealm(browser, start.location, username, username)
  if (!back.location?.includes('/oauth2/callback?')) throw new Error(`realm login ended at ${back.location ?? back.status}`)
  const callback = await browser.get(back.location)
  if (callback.status !== 302) throw new Error(`callback answered ${callback.status}: ${callback.body.slice(0, 200)}`)
  return callback.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .filter((c) => c.startsWith('_gatehouse') && !c.startsWith('_gatehouse_csrf') && !c.endsWith('='))
    .join('; ')
}
