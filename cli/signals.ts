/** Resolves with the first SIGINT or SIGTERM; a second signal while stopping gets Node's default (exit at once). */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(s)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
}
