import { pino, type Logger } from 'pino'
import { prettyStream } from './log-pretty.js'

export type LogFormat = 'json' | 'pretty'

export interface LoggerOptions {
  /** `json` (default): one JSON object a line, for collectors. `pretty`: one readable line, for a terminal. */
  format?: LogFormat
  /** Where lines go (tests); default stdout. */
  destination?: { write(line: string): unknown }
}

/**
 * Logs on stdout, with level names (`"level":"info"`), not pino's numbers. Redaction is a second line
 * of defence: Gatehouse never passes cookies, tokens or secrets to the logger in the first place.
 */
export function createLogger(level = 'info', options: LoggerOptions = {}): Logger {
  const settings = {
    level,
    base: { service: 'gatehouse' },
    formatters: { level: (label: string) => ({ level: label }) },
    redact: {
      paths: ['*.cookie', '*.authorization', '*.token', '*.secret', '*.clientSecret', '*.password', 'headers.cookie', 'headers.authorization'],
      censor: '[redacted]',
    },
  }
  if (options.format === 'pretty') return pino(settings, prettyStream(options.destination ?? process.stdout))
  return options.destination ? pino(settings, options.destination) : pino(settings)
}
