/** The demo's own words for a listener that cannot start (EADDRINUSE, EACCES), naming the env var that moves it. */
const ENV_FOR_PORT = (port: number): string => {
  const vars: Record<string, string | undefined> = { DEMO_PORT: process.env.DEMO_PORT ?? '4180', DEMO_IDP_PORT: process.env.DEMO_IDP_PORT ?? '8180', DEMO_APP_PORT: process.env.DEMO_APP_PORT ?? '8181' }
  return Object.entries(vars).find(([, v]) => Number(v) === port)?.[0] ?? 'DEMO_PORT, DEMO_IDP_PORT or DEMO_APP_PORT'
}

export function listenProblem(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string }
  if (e?.code !== 'EADDRINUSE' && e?.code !== 'EACCES') return undefined
  const where = e.port !== undefined ? `${e.address ?? '127.0.0.1'}:${e.port}` : 'a port'
  const why = e.code === 'EADDRINUSE' ? 'is already in use' : 'may not be opened by this user'
  return `${where} ${why}; pick another port with ${e.port !== undefined ? ENV_FOR_PORT(e.port) : 'DEMO_PORT, DEMO_IDP_PORT or DEMO_APP_PORT'}=<port> npm run demo`
}
