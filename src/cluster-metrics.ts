/**
 * One metrics view across `server.workers`. Each worker counts in its own registry; a scrape lands
 * on one worker, which asks the primary over the cluster IPC channel, and the primary collects every
 * worker's registry with prom-client's AggregatorRegistry (counters and histograms summed, gauges as
 * each metric's aggregator says) and answers with the merged text. Without this a scrape saw 1/N of
 * the traffic, a different worker each time.
 */
import cluster from 'node:cluster'
import { AggregatorRegistry, type Registry } from 'prom-client'

const REQUEST = 'gatehouse:metrics-request'
const RESPONSE = 'gatehouse:metrics-response'
/** Above AggregatorRegistry's own 5 s per collection, so its timeout error is the one reported. */
const TIMEOUT_MS = 6000

interface Request { type: typeof REQUEST; id: number }
interface Response { type: typeof RESPONSE; id: number; text?: string; error?: string }

/** In the primary: answer workers' requests with the aggregate of all workers. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry()
  cluster.on('message', (worker, message: Request) => {
    if (message?.type !== REQUEST) return
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: RESPONSE, id: message.id, text } satisfies Response),
      (err: Error) => worker.isConnected() && worker.send({ type: RESPONSE, id: message.id, error: err.message } satisfies Response),
    )
  })
}

/**
 * In a worker: offer `registry` to the primary's collections and return the function that renders
 * the cluster-wide text for a scrape.
 */
export function clusterWorkerMetrics(registry: Registry): () => Promise<string> {
  // Constructing one installs prom-client's worker-side answer to the primary's collection requests.
  new AggregatorRegistry()
  AggregatorRegistry.setRegistries([registry])
  let next = 0
  const pending = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>()
  process.on('message', (message: Response) => {
    if (message?.type !== RESPONSE) return
    const request = pending.get(message.id)
    if (!request) return
    pending.delete(message.id)
    clearTimeout(request.timer)
    if (message.error !== undefined) request.reject(new Error(`cluster metrics: ${message.error}`))
    else request.resolve(message.text ?? '')
  })
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error('cluster metrics: the primary did not answer'))
      }, TIMEOUT_MS)
      pending.set(id, { resolve, reject, timer })
      process.send!({ type: REQUEST, id } satisfies Request)
    })
}
