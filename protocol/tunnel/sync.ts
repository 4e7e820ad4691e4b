// Stale-stream sync. Each side periodically lists its open streams; since frames are ordered, anything
// the peer closed normally was already seen here, so a stream missing from the peer's list (among the
// ids it knows) is one the peer lost: drop it. Listed ids that are over here get a RESET so the peer
// drops them too — that also cleans up after a side that is idle and sends no SYNC of its own.
import type { SessionCore } from './core.ts'
import { TunnelError } from './errors.ts'
import { HEADER_BYTES, resetFrame, syncFrame, type SyncFrame } from './frame.ts'

export function sendSync(core: SessionCore): void {
  const ids = [...core.streams.keys()]
  if (HEADER_BYTES + 4 + 4 * ids.length > core.limits.maxFrameBytes) return
  core.write(syncFrame(core.syncUpTo, ids))
}

export function applySync(core: SessionCore, f: SyncFrame): void {
  const listed = new Set(f.ids)
  for (const s of [...core.streams.values()]) {
    if (s.id <= f.upTo && !listed.has(s.id)) {
      s.fail(new TunnelError('UNKNOWN_STREAM', `the peer no longer has stream ${s.id}`), false)
    }
  }
  let resets = core.limits.maxStreams
  for (const id of listed) {
    if (resets <= 0) return
    if (id === 0 || core.streams.has(id) || core.neverSeen(id)) continue
    resets--
    core.write(resetFrame(id, 'UNKNOWN_STREAM', `stream ${id} is not open here`))
  }
}
