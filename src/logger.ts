import { pino, type Logger } from 'pino'

/**
 * JSON logs on stdout. Redaction is a second line of defence: Gatehouse never passes cookies,
 * tokens or secrets to the logger in the first place.
 */
export function createLogger(level = 'info'): Logger {
  return pino({
    level,
    base: { service: 'gatehouse' },
    redact: {
      paths: ['*.cookie', '*.authorization', '*.token', '*.secret', '*.clientSecret', '*.password', 'headers.cookie', 'headers.authorization'],
      censor: '[redacted]',
    },
  })
}
