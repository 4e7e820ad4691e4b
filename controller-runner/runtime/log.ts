import { pino, type Logger } from 'pino'

/**
 * The runner's logger (JSON lines on stdout). Secrets are never passed to it on purpose; the redaction
 * list is a second line of defence for fields that could carry one by accident.
 */
export function createRunnerLogger(opts: { level?: string } = {}): Logger {
  return pino({
    name: 'drover-runner',
    level: opts.level ?? process.env.DROVER_LOG_LEVEL ?? 'info',
    redact: {
      paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'edgeToken', '*.edgeToken'],
      censor: '[redacted]',
    },
  })
}

/** An error's message for a log line — never its stack's request options, which may hold headers. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
