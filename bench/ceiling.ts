/**
 * The bare-Node ceiling: node:http answering 200 with the four identity headers Gatehouse sends on
 * an allow, and no body. `node bench/ceiling.ts PORT [WORKERS] [ANSWER.json]` (plain JS-compatible
 * TypeScript, run by tsx). WORKERS > 1: a node:cluster of that many processes sharing the port, as
 * Gatehouse's `server.workers` does (the primary only supervises). ANSWER.json (`{ status, headers }`):
 * replay that answer instead, e.g. Gatehouse's own allow, so that the only difference left is
 * Gatehouse's work between reading the request and writing the same answer.
 */
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const port = Number(process.argv[2] ?? 0)
const workers = Number(process.argv[3] ?? 1)
const answer: { status: number; headers: Record<string, string> } = process.argv[4]
  ? JSON.parse(readFileSync(process.argv[4], 'utf8'))
  : {
      status: 200,
      headers: {
        'X-Auth-Request-User': '5b7e7c1e-7f0c-5d2e-9a51-6c1f0c8e8a11',
        'X-Auth-Request-Email': 'alice@example.com',
        'X-Auth-Request-Groups': 'staff,sre',
        'X-Auth-Request-Preferred-Username': 'alice',
      },
    }
const { status, headers } = answer
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork()
  let listening = 0
  cluster.on('listening', () => {
    if (++listening === workers) process.stdout.write(`listening ${port} (${workers} workers)\n`)
  })
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
} else {
  const server = createServer((_req, res) => {
    res.writeHead(status, headers).end()
  })
  server.keepAliveTimeout = 65_000
  server.listen(port, '127.0.0.1', () => workers <= 1 && process.stdout.write(`listening ${port}\n`))
  process.once('SIGTERM', () => process.exit(0))
  process.once('SIGINT', () => process.exit(0))
}
