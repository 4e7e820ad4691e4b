import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The environment that runs a child process with its wall clock `offsetSeconds` off, through Debian's
 * libfaketime (LD_PRELOAD; it changes Node's Date.now()). The monotonic clock is left alone, as on a host
 * whose time has drifted: timers keep their pace, only the time of day is wrong.
 */
export function skewedClockEnv(offsetSeconds: number): NodeJS.ProcessEnv {
  return {
    LD_PRELOAD: libfaketime(),
    FAKETIME: `${offsetSeconds >= 0 ? '+' : '-'}${Math.abs(offsetSeconds)}s`,
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  }
}

/** The library under /usr/lib/<multiarch>/faketime; a message saying what to install when missing. */
function libfaketime(): string {
  const dirs = existsSync('/usr/lib') ? readdirSync('/usr/lib').map((d) => join('/usr/lib', d, 'faketime')) : []
  const lib = dirs.map((d) => join(d, 'libfaketime.so.1')).find((f) => existsSync(f))
  if (!lib) throw new Error("libfaketime not found (/usr/lib/<arch>/faketime/libfaketime.so.1): the clock-skew tests need Debian's faketime package (apt-get install faketime; .ci/run installs it)")
  return lib
}
