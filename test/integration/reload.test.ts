import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { stringify } from 'yaml'
import { loadConfig } from '../../src/config/load.js'
import { createReloader } from '../../src/reload.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { rawConfig } from './rules-helpers.js'

const PROM = { 'x-original-url': 'https://prometheus.example.com/graph', 'x-original-method': 'GET' }
const DENY_PROM = [{ hosts: ['prometheus.example.com'], deny: true }]
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const status = async (url: string) => (await fetch(`${url}/oauth2/auth`, { headers: PROM })).status

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out')
    await sleep(25)
  }
}

describe('live reload', () => {
  let dir: string
  let file: string
  let gh: Gatehouse
  const logs: { level: number; msg: string; problems?: string[] }[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) })
  let reloader: ReturnType<typeof createReloader>

  const write = (extra: Record<string, unknown>) => writeFile(file, stringify(rawConfig(extra)))
  const reloads = async (result: string) => {
    const metric = await gh.metrics.registry.getSingleMetric('gatehouse_config_reloads_total')!.get()
    return metric.values.find((v) => v.labels.result === result)?.value ?? 0
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-reload-'))
    file = join(dir, 'gatehouse.yaml')
    await write({})
    gh = await startGatehouse(await loadConfig(file), { logger })
    reloader = createReloader({ file, load: loadConfig, apply: gh.reload, current: () => gh.runtime().config, logger, metrics: gh.metrics, debounceMs: 50 })
  })
  afterAll(async () => {
    await gh.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a valid change takes effect while requests keep being answered', async () => {
    expect(await status(gh.url)).toBe(401)
    let stop = false
    const seen: number[] = []
    const failures: unknown[] = []
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stop) {
          try {
            seen.push(await status(gh.url))
          } catch (err) {
            failures.push(err)
          }
        }
      }),
    )
    await sleep(50)
    await write({ rules: DENY_PROM })
    expect(await reloader.reload('test')).toBe(true)
    await sleep(50)
    stop = true
    await load
    expect(failures).toEqual([])
    expect(seen.length).toBeGreaterThan(20)
    expect(new Set(seen)).toEqual(new Set([401, 403]))
    // Once 403 appears, the old answer never comes back.
    expect(seen.slice(seen.indexOf(403)).every((s) => s === 403)).toBe(true)
    expect(await status(gh.url)).toBe(403)
    expect(await reloads('success')).toBe(1)
  })

  it('an invalid change is rejected, every problem logged, and the old config serves on', async () => {
    logs.length = 0
    await writeFile(
      file,
      stringify({ ...rawConfig({ rules: [{ paths: ['^/unanchored'], deny: true }, { hosts: ['a.*.b'], allow: 'public' }] }), cookie: { secret: 'short' } }),
    )
    expect(await reloader.reload('test')).toBe(false)
    const error = logs.find((l) => l.level === 50)!
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('cookie.secret'),
        expect.stringContaining('rules[0].paths[0]'),
        expect.stringContaining('rules[1].hosts[0]'),
      ]),
    )
    expect(error.msg).toContain('previous configuration keeps serving')
    expect(await status(gh.url)).toBe(403)
    expect(await reloads('failure')).toBe(1)

    await writeFile(file, 'rules: [unclosed')
    expect(await reloader.reload('test')).toBe(false)
    expect(await status(gh.url)).toBe(403)
    expect(await reloads('failure')).toBe(2)
  })

  it('concurrent reloads are serialised and the newest file wins', async () => {
    await write({})
    const results = await Promise.all([reloader.reload('a'), reloader.reload('b'), reloader.reload('c')])
    expect(results).toEqual([true, true, true])
    expect(await status(gh.url)).toBe(401)
  })

  it('warns that changed listener limits and metrics placement need a restart', async () => {
    logs.length = 0
    const server = { ...(rawConfig().server as Record<string, unknown>), headersTimeout: '20s', requestTimeout: '40s', maxConnections: 5 }
    await write({ server, metrics: { onMainListener: false } })
    expect(await reloader.reload('test')).toBe(true)
    const warning = logs.find((l) => l.msg === 'changed settings take effect only after a restart') as { settings?: string[] } | undefined
    expect(warning?.settings).toEqual(expect.arrayContaining(['server.headersTimeout', 'server.requestTimeout', 'server.maxConnections', 'metrics.onMainListener']))
    expect(warning?.settings).not.toContain('server.keepAliveTimeout')
    await write({})
    expect(await reloader.reload('test')).toBe(true)
  })

  it('a change to the file is picked up by the watcher (debounced)', async () => {
    const stop = reloader.watch()
    try {
      const before = await reloads('success')
      await sleep(100)
      await write({ rules: DENY_PROM })
      await until(async () => (await status(gh.url)) === 403)
      await sleep(200)
      // several fs events per write, one reload (later events see the digest it loaded)
      expect(await reloads('success')).toBe(before + 1)
    } finally {
      stop()
    }
  })

  it('a file the watcher reads half-written is read once more, not counted as a failure', async () => {
    await write({})
    expect(await reloader.reload('reset')).toBe(true)
    const full = stringify(rawConfig({ rules: DENY_PROM }))
    let attempts = 0
    // The load that sees the truncated file finishes the write before failing: the retry then finds the
    // whole file, whatever the timing of the fs events. Without the retry this counts a failure.
    const watcher = createReloader({
      file,
      load: async (f) => {
        attempts++
        try {
          return await loadConfig(f)
        } catch (err) {
          if (attempts === 1) await writeFile(file, full)
          throw err
        }
      },
      apply: gh.reload,
      current: () => gh.runtime().config,
      logger,
      metrics: gh.metrics,
      debounceMs: 50,
      retryMs: 50,
    })
    const stop = watcher.watch()
    try {
      const [successes, failures] = [await reloads('success'), await reloads('failure')]
      await sleep(100)
      await writeFile(file, full.slice(0, Math.floor(full.length / 2)) + '\n  - [unclosed')
      await until(async () => (await reloads('success')) > successes)
      await sleep(200)
      expect(await status(gh.url)).toBe(403)
      expect(await reloads('failure')).toBe(failures)
      expect(await reloads('success')).toBe(successes + 1)
      expect(attempts).toBe(2)
    } finally {
      stop()
    }
  })
})

describe('gatehouse serve reloads on SIGHUP', () => {
  let dir: string
  let child: ChildProcess | undefined
  afterAll(async () => {
    child?.kill('SIGTERM')
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('swaps the config on SIGHUP and keeps it when the new file is invalid', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-sighup-'))
    const file = join(dir, 'gatehouse.yaml')
    // Port 0 and the address from the "listening" line: a port picked beforehand can be taken by
    // another test process before the child binds it.
    const listen = { server: { listen: '127.0.0.1:0', publicUrl: 'https://auth.example.com' }, logging: { level: 'info' } }
    await writeFile(file, stringify(rawConfig(listen)))
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let exited = false
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.once('exit', () => (exited = true))
    await until(async () => {
      if (exited) throw new Error(`gatehouse serve exited early: ${err}`)
      return out.includes('"listening"')
    }, 45_000)
    const url = /"url":"(http:\/\/[^"]+)"/.exec(out)![1]!
    expect(await status(url)).toBe(401)

    // The watcher may also see these writes; the log's reason shows the signal did its part.
    await writeFile(file, stringify(rawConfig({ ...listen, rules: DENY_PROM })))
    child.kill('SIGHUP')
    await until(async () => out.includes('"reason":"SIGHUP"'))
    expect(await status(url)).toBe(403)

    await writeFile(file, stringify(rawConfig({ ...listen, rules: [{ paths: ['nope'], deny: true }] })))
    child.kill('SIGHUP')
    // Wait for this file's rejection (by the signal or the watcher), not for any rejection line.
    await until(async () => out.includes('"reason":"SIGHUP"') && /reload rejected[^\n]*rules\[0\]\.paths\[0\]/.test(out))
    expect(await status(url)).toBe(403)
  }, 60_000)
})
