/**
 * Real redis-server processes for tests, on loopback ports from `freePort`: a standalone server
 * (stoppable and restartable on the same port) and a 3-master Redis Cluster.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './ports.js'

const run = promisify(execFile)

export interface RedisServer {
  port: number
  url: string
  stop(): Promise<void>
  start(): Promise<void>
  cli(...args: string[]): Promise<string>
}

async function waitPing(port: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'])
      if (stdout.trim() === 'PONG') return
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function spawnRedis(port: number, extra: string[]): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-redis-${port}-`))
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: 'ignore' })
}

export async function startRedis(extra: string[] = []): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    async start() {
      child = spawnRedis(port, extra)
      await waitPing(port)
    },
    async stop() {
      const c = child
      child = undefined
      if (!c || c.exitCode !== null) return
      const exited = new Promise((r) => c.once('exit', r))
      c.kill('SIGKILL')
      await exited
    },
    async cli(...args) {
      return (await run('redis-cli', ['-p', String(port), ...args])).stdout
    },
  }
  await server.start()
  return server
}

export interface RedisCluster {
  nodes: { host: string; port: number }[]
  stop(): Promise<void>
}

/** Three masters, no replicas; cluster bus ports chosen explicitly (never port + 10000). */
export async function startRedisCluster(): Promise<RedisCluster> {
  const servers: RedisServer[] = []
  for (let i = 0; i < 3; i++) {
    const bus = await freePort()
    servers.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${bus}.conf`, '--cluster-port', String(bus), '--cluster-node-timeout', '2000']))
  }
  await run('redis-cli', ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes'])
  // Wait until every node agrees the cluster is up.
  const deadline = Date.now() + 15_000
  for (const s of servers) {
    while (!(await s.cli('cluster', 'info')).includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error('redis cluster did not become ok')
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    async stop() {
      await Promise.all(servers.map((s) => s.stop()))
    },
  }
}

/** A Sentinel watching `master` under the name `mymaster`. */
export async function startRedisSentinel(master: RedisServer): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-sentinel-${port}-`))
  const conf = join(dir, 'sentinel.conf')
  writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor mymaster 127.0.0.1 ${master.port} 1\nsentinel down-after-milliseconds mymaster 2000\n`)
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' })
  await waitPing(port)
  return {
    port,
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGKILL')
      await exited
    },
  }
}
