/**
 * The shipped package, as a user and as the container image get it (slow: build, pack and two installs from the
 * registry; its own jest project, `npm run test:package`, a step of .ci/run):
 *  - the tarball holds the compiled build and nothing of test/, bench/, dev/, .ci/ or the TypeScript sources;
 *  - `npm install -g` into an empty prefix gives a working `gatehouse` command (check-config, serve, SIGTERM),
 *    named `gatehouse` for pidof, without tsx or any dev dependency;
 *  - `npm start` under SIGTERM leaves no node process behind;
 *  - the production-only install the Dockerfile makes starts as uid 65534 on a read-only filesystem with no
 *    writable temp dir (bubblewrap), gets ready, logs a user in against the dev IdP (outside the sandbox) and
 *    exits 0 on SIGTERM.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { DEMO_USERS, startRealm, type Realm } from '../../dev/devidp/realm.js'
import { CookieJarClient, loginAtRealm } from '../fakes/browser.js'
import { freePort, randomSecret } from '../helpers/stack.js'
import {
  descendants, installGlobal, installProduction, npmPack, portClosed, scratch, startChild, waitFor, writeConfig, type Running,
} from './packed.js'

const run = promisify(execFile)
const ROOT = process.cwd()
const UNREACHABLE_IDP = { id: 'corp', type: 'oidc', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }
const BASE = { cookie: { secret: randomSecret() }, providers: [UNREACHABLE_IDP], authorization: {} }

const started: Running[] = []
const leftovers: number[] = []
afterAll(async () => {
  // What a failed `npm start` test leaves behind (the orphan it looks for).
  for (const pid of leftovers) if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL')
  for (const r of started) {
    if (r.child.exitCode !== null || r.child.pid === undefined) continue
    for (const pid of await descendants(r.child.pid)) process.kill(pid, 'SIGKILL')
    r.child.kill('SIGKILL')
  }
})

let work: string
let packed: { tarball: string; files: string[] }
beforeAll(async () => {
  work = scratch('gh-package-')
  packed = await npmPack(work)
}, 300_000)

describe('npm pack', () => {
  it('ships the compiled build with source maps, the bin and the examples, and nothing else', () => {
    const files = packed.files
    for (const f of ['bin/gatehouse.js', 'dist/src/cli.js', 'dist/src/cli.js.map', 'dist/providers/oidc/index.js', 'package.json', 'README.md']) {
      expect(files).toContain(f)
    }
    const stray = files.filter(
      (f) => /^(test|bench|dev|scripts|charts|\.ci|src|providers|node_modules)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    )
    expect(stray).toEqual([])
    const topLevel = new Set(files.map((f) => f.split('/')[0]))
    expect([...topLevel].sort()).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'examples', 'package.json'])
    // The maps carry their sources: the .ts files are not in the package.
    const map = JSON.parse(readFileSync(join(ROOT, 'dist/src/cli.js.map'), 'utf8')) as { sourcesContent?: string[] }
    expect(map.sourcesContent?.[0]).toContain('gatehouse serve|check-config|explain')
  })
})

describe('npm install -g into an empty prefix', () => {
  let gatehouse: string
  let prefix: string
  beforeAll(async () => {
    prefix = scratch('gh-prefix-')
    gatehouse = await installGlobal(packed.tarball, prefix)
  }, 300_000)

  it('installs no dev dependency (tsx, esbuild, oidc-provider, typescript)', () => {
    const modules = join(prefix, 'lib', 'node_modules', 'gatehouse', 'node_modules')
    expect(existsSync(join(modules, 'koa'))).toBe(true)
    for (const dev of ['tsx', 'esbuild', 'oidc-provider', 'typescript', 'jest']) expect({ dev, present: existsSync(join(modules, dev)) }).toEqual({ dev, present: false })
  })

  it('gatehouse --version names the installed package version, run from outside any checkout', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
    const res = await run(gatehouse, ['--version'], { cwd: scratch('gh-cwd-') })
    expect(res.stdout).toBe(`gatehouse ${version}\n`)
  })

  it('gatehouse check-config validates a config, and reports a bad one with exit code 2', async () => {
    const dir = scratch('gh-cfg-')
    const good = writeConfig(dir, 4180, BASE)
    const ok = await run(gatehouse, ['check-config', '--config', good])
    expect(ok.stdout).toBe(`${good}: OK (1 provider(s))\n`)
    const bad = writeConfig(dir, 4180, { ...BASE, cookie: { secret: 'short' } })
    const failed = await run(gatehouse, ['check-config', '--config', bad]).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e)
    expect(failed.code).toBe(2)
    expect(failed.stderr).toContain('cookie.secret')
  })

  it('gatehouse serve answers /ping as a process named gatehouse and exits 0 on SIGTERM', async () => {
    const port = await freePort()
    const cfg = writeConfig(scratch('gh-cfg-'), port, BASE)
    const serve = startChild(gatehouse, ['serve', '--config', cfg], { env: { ...process.env, NODE_OPTIONS: '' } })
    started.push(serve)
    await waitFor(`http://127.0.0.1:${port}/ping`, 200, 30_000, serve)
    expect(readFileSync(`/proc/${serve.child.pid}/comm`, 'utf8').trim()).toBe('gatehouse')
    serve.child.kill('SIGTERM')
    expect(await serve.exited).toEqual({ code: 0, signal: null })
    expect(serve.log()).toContain('"msg":"stopped"')
  })
})

describe('npm start', () => {
  it('leaves no node process behind when npm gets SIGTERM', async () => {
    const port = await freePort()
    const cfg = writeConfig(scratch('gh-cfg-'), port, BASE)
    const npm = startChild('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', GATEHOUSE_CONFIG: cfg } })
    started.push(npm)
    await waitFor(`http://127.0.0.1:${port}/ping`, 200, 30_000, npm)
    const tree = await descendants(npm.child.pid!)
    leftovers.push(...tree)
    expect(tree.length).toBeGreaterThan(0)
    npm.child.kill('SIGTERM')
    await npm.exited
    expect(await portClosed(port, 15_000)).toBe(true)
    const alive = tree.filter((pid) => existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z')
    expect(alive).toEqual([])
  })
})

describe('production install, uid 65534, read-only filesystem, no writable temp dir', () => {
  let realm: Realm
  let app: string
  beforeAll(async () => {
    app = scratch('gh-app-')
    await installProduction(packed.tarball, app, join(ROOT, 'package-lock.json'))
  }, 300_000)
  afterAll(async () => {
    await realm?.close()
  })

  it('starts, gets ready, logs alice in against the dev IdP and exits 0 on SIGTERM', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    realm = await startRealm({
      users: DEMO_USERS,
      clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${url}/oauth2/callback`] }],
    })
    const cfg = writeConfig(scratch('gh-cfg-'), port, {
      cookie: { secret: randomSecret() },
      providers: [{ id: 'corp', type: 'keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true }],
      authorization: {},
    })
    // The image's command (Dockerfile: node dist/src/cli.js serve), as nobody, / read-only (so /tmp too), /dev too.
    const sandbox = startChild(
      'setpriv',
      ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--',
        'bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--remount-ro', '/dev', '--unshare-user', '--die-with-parent',
        '--chdir', app, '--', process.execPath, 'dist/src/cli.js', 'serve', '--config', cfg],
      { env: { PATH: process.env.PATH, HOME: '/nonexistent' } },
    )
    started.push(sandbox)
    await waitFor(`${url}/ready`, 200, 60_000, sandbox)

    // The premise: the server really is uid 65534 with / mounted read-only.
    const pids = await descendants(sandbox.child.pid!)
    const server = pids.find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'gatehouse')
    expect(server).toBeDefined()
    expect(readFileSync(`/proc/${server}/status`, 'utf8')).toMatch(/^Uid:\t65534\t65534\t65534\t65534$/m)
    const rootMount = readFileSync(`/proc/${server}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === '/')
    expect(rootMount?.split(' ')[5]?.split(',')).toContain('ro')

    const browser = new CookieJarClient()
    const start = await browser.get(`${url}/oauth2/start?rd=${encodeURIComponent(`${url}/oauth2/userinfo`)}`, { accept: 'text/html' })
    expect(start.status).toBe(302)
    const back = await loginAtRealm(browser, start.location!, 'alice', 'alice')
    expect(back.location?.startsWith(`${url}/oauth2/callback?`)).toBe(true)
    const callback = await browser.get(back.location!)
    expect(callback.status).toBe(302)
    const allowed = await browser.get(`${url}/oauth2/auth`, { 'x-original-url': 'http://app.example.test/', 'x-original-method': 'GET' })
    expect(allowed.status).toBe(202)
    expect(allowed.headers.get('x-auth-request-email')).toBe('alice@example.com')

    process.kill(server!, 'SIGTERM')
    expect(await sandbox.exited).toEqual({ code: 0, signal: null })
    expect(sandbox.log()).toContain('"msg":"stopped"')
    expect(sandbox.log()).not.toMatch(/EACCES|EROFS|"level":50|"level":60/)
  })
})
