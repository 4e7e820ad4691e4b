import { pino, type Logger } from 'pino'

/**
 * Field paths that could carry a credential by accident. Secrets are never passed to a logger on
 * purpose; this list is the second line of defence, the same for every program.
 */
export const REDACTED_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-tunnel-token"]',
  'headers.cookie',
  'edgeToken',
  '*.edgeToken',
  'password',
  '*.password',
  '*.serviceAccountPassword',
]

export interface LoggerOptions {
  /** pino level; else DROVER_LOG_LEVEL, else info. */
  level?: string
  /** Where lines go (tests); else stdout, written synchronously — no transport, no worker thread. */
  destination?: pino.DestinationStream
}

/** A program's logger: JSON lines named for the program (`drover-agent`, `drover-runner`), credentials redacted. */
export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  const options = {
    name,
    level: opts.level ?? process.env.DROVER_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  }
  return opts.destination ? pino(options, opts.destination) : pino(options)
}

/** An error's message for a log line — never its stack's request options, which may hold headers. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
