import { pino, type Logger } from 'pino'

/** For code under test that needs a logger whose output nobody reads. */
export const silentLogger: Logger = pino({ level: 'silent' })
