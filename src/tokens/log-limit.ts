/**
 * Bounds log lines about refused credentials: each unique bad token would otherwise write one,
 * so a client sending random tokens could flood the logs. At most `max` lines per fixed window of
 * one interval (so at most 2 max in any span of one interval); the rest are counted and reported
 * in one summary line when the window ends.
 */
export interface LogLimiterOptions {
  max: number
  intervalMs: number
  /** Called with the number of lines left out in an interval that had any. */
  summary: (suppressed: number) => void
  now?: () => number
}

export interface LogLimiter {
  /** Runs `write` unless this interval's budget is spent. */
  (write: () => void): void
  /** Ends the current interval now, writing its summary if lines were left out. */
  flush(): void
}

export function createLogLimiter(options: LogLimiterOptions): LogLimiter {
  const now = options.now ?? Date.now
  let windowStart = -Infinity
  let written = 0
  let suppressed = 0
  let timer: NodeJS.Timeout | undefined

  const flush = () => {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (suppressed > 0) options.summary(suppressed)
    suppressed = 0
    written = 0
    windowStart = now()
  }

  const limiter = (write: () => void) => {
    if (now() - windowStart >= options.intervalMs) flush()
    if (written < options.max) {
      written++
      write()
      return
    }
    suppressed++
    // The summary must come even if the flood stops; unref'd, so it never keeps the process alive.
    timer ??= setTimeout(flush, Math.max(0, windowStart + options.intervalMs - now())).unref()
  }
  limiter.flush = flush
  return limiter
}
