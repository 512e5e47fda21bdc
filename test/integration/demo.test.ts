import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, get as httpGet } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CookieJarClient, loginAtRealm } from '../fakes/browser.js'
import { freePort } from '../helpers/stack.js'

describe('npm run demo', () => {
  let child: ChildProcess
  let url: string
  let output = ''
  beforeAll(async () => {
    const [gh, idp, app] = [await freePort(), await freePort(), await freePort()]
    url = `http://127.0.0.1:${gh}`
    child = spawn('node', ['--import', 'tsx', 'dev/demo/main.ts'], {
      env: { ...process.env, NODE_OPTIONS: '', DEMO_PORT: String(gh), DEMO_IDP_PORT: String(idp), DEMO_APP_PORT: String(app), DEMO_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // Ready when the demo prints its banner (it ends with Ctrl-C); an early exit fails at once. The old 20 s poll
    // ran out under machine load and the test went on against a demo still starting.
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    let timer: NodeJS.Timeout | undefined
    const ready = await new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('no banner after 60 s'), 60_000)
      child.stdout!.on('data', (d) => {
        output += d
        if (output.includes('Ctrl-C')) resolve('ready')
      })
      child.once('exit', (code) => resolve(`exited (${code})`))
    })
    clearTimeout(timer)
    expect({ ready, stderr }).toEqual({ ready: 'ready', stderr: expect.any(String) })
  }, 90_000)
  afterAll(async () => {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000).unref())])
  }, 60_000)

  it('prints the URL and lets alice log in to see her groups', async () => {
    expect(output).toContain(`Open  ${url}`)
    expect(output).toMatch(/curl -s -d grant_type=client_credentials -d client_id=gatehouse -d client_secret=\S+ /)
    const browser = new CookieJarClient()
    // fetch() always says Sec-Fetch-Mode: cors, so the navigation itself goes through node:http.
    const nav = await new Promise<{ status: number; location: string }>((resolve, reject) => {
      httpGet(`${url}/hello?x=1`, { headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } }, (res) => {
        res.resume()
        resolve({ status: res.statusCode!, location: res.headers.location! })
      }).on('error', reject)
    })
    expect(nav.status).toBe(302)
    const first = await browser.follow(nav.location, { stopAt: (u) => u.pathname.startsWith('/interaction/') })
    expect(first.status).toBe(303)
    const login = await browser.get(first.location!)
    expect(login.body).toContain('DEVELOPMENT IDENTITY PROVIDER')
    const back = await loginAtRealm(browser, first.location!, 'alice', 'alice')
    const page = await browser.continueFrom(back)
    expect(page.status).toBe(200)
    expect(page.url).toBe(`${url}/hello?x=1`)
    expect(page.body).toContain('alice@example.com')
    expect(page.body).toContain('staff,sre')
  }, 30_000)
})

describe('npm run demo on a taken port', () => {
  it('says which port is taken in one line and exits 1, with no stack trace', async () => {
    const taken = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    const port = (taken.address() as AddressInfo).port
    try {
      const [idp, app] = [await freePort(), await freePort()]
      const child = spawn('node', ['--import', 'tsx', 'dev/demo/main.ts'], {
        env: { ...process.env, NODE_OPTIONS: '', DEMO_PORT: String(port), DEMO_IDP_PORT: String(idp), DEMO_APP_PORT: String(app), DEMO_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      child.stderr!.on('data', (d) => (stderr += d))
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
      expect({ code, stderr }).toEqual({
        code: 1,
        stderr: `gatehouse demo: 127.0.0.1:${port} is already in use; pick another port with DEMO_PORT=<port> npm run demo\n`,
      })
    } finally {
      taken.close()
    }
  }, 90_000)
})
