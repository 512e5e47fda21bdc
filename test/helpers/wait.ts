export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls `check` until it holds or `ms` pass; a throwing check counts as not yet. */
export async function waitFor(check: () => Promise<boolean>, ms: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true
    await sleep(stepMs)
  }
  return false
}
