// A pod's log, followed live: container choice (from the pod's spec), timestamps shown or hidden,
// follow and pause (a resumed log asks from the last line's time and skips what it already holds), the
// last 10,000 lines in memory (LogView renders only those in view), and the lines as a file. Refusals
// are the apiserver's own words (403 from RBAC, 404 when the pod is gone).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { errorText, HttpError } from '../../api/http.ts'
import { Link } from '../../router.tsx'
import { downloadText } from './download.ts'
import { LogBuffer, logUrl, readLog, resumeFilter, type LogLine } from './log-stream.ts'
import { LogView } from './LogView.tsx'
import { containerNames, getPod } from './pod-api.ts'
import { podShellPath, queryParam } from './paths.ts'
import './pod.css'

const MAX_LINES = 10_000
const TAILS = [100, 1000, 10_000]

interface Props {
  cluster: string
  namespace: string
  name: string
}

type Phase = 'loading' | 'following' | 'paused' | 'ended'

export function PodLogs(props: Props) {
  const { cluster, namespace, name } = props
  const [containers, setContainers] = useState<string[]>()
  const [container, setContainer] = useState(queryParam('container'))
  const [timestamps, setTimestamps] = useState(false)
  const [tail, setTail] = useState(1000)
  const [phase, setPhase] = useState<Phase>('loading')
  const [note, setNote] = useState('')
  const [error, setError] = useState('')
  const [version, setVersion] = useState(0)
  const buffer = useMemo(() => new LogBuffer(MAX_LINES), [])
  const stream = useRef<AbortController | undefined>(undefined)
  const frame = useRef(0)

  // The pod's containers; the first is the default, as kubectl's is when the pod names none.
  useEffect(() => {
    let live = true
    getPod(cluster, namespace, name)
      .then((pod) => {
        if (!live) return
        const names = containerNames(pod)
        setContainers(names)
        setContainer((c) => (c && names.includes(c) ? c : (names[0] ?? '')))
      })
      .catch((e: unknown) => live && setError(refusalText(e, name)))
    return () => {
      live = false
    }
  }, [cluster, namespace, name])

  // Lines arrive in bursts; the view re-renders once per frame at most.
  const append = (lines: LogLine[]) => {
    buffer.push(lines)
    if (!frame.current) frame.current = requestAnimationFrame(() => {
      frame.current = 0
      setVersion((v) => v + 1)
    })
  }

  const start = (resume: boolean) => {
    stream.current?.abort()
    const controller = new AbortController()
    stream.current = controller
    setError('')
    setNote('')
    setPhase('following')
    const keep = resume ? resumeFilter(buffer.lines) : () => true
    const last = buffer.lines.at(-1)?.ts
    const url = logUrl(cluster, namespace, name, resume && last ? { container, follow: true, sinceTime: last } : { container, follow: true, tailLines: tail })
    readLog(url, (lines) => append(lines.filter(keep)), controller.signal)
      .then(() => ended(controller))
      .catch((e: unknown) => {
        if (controller.signal.aborted) return
        setPhase('ended')
        // A refusal is the apiserver's; anything else is the connection breaking mid-stream.
        if (e instanceof HttpError) setError(refusalText(e, name))
        else setNote(`The log stream broke (${errorText(e)}). Resume to read on.`)
      })
  }

  /** The stream ended by itself: say why, as far as the apiserver can tell. */
  const ended = async (controller: AbortController) => {
    if (controller.signal.aborted) return
    setPhase('ended')
    try {
      await getPod(cluster, namespace, name)
      setNote('The log stream ended (the container stopped, or the connection dropped). Resume to read on.')
    } catch (e) {
      setError(refusalText(e, name))
    }
  }

  useEffect(() => {
    if (!container) return
    buffer.clear()
    setVersion((v) => v + 1)
    start(false)
    return () => stream.current?.abort()
  }, [container, tail])

  useEffect(() => () => cancelAnimationFrame(frame.current), [])

  const pause = () => {
    stream.current?.abort()
    setPhase('paused')
  }

  const download = () => downloadText(`${name}_${container}.log`, buffer.text(timestamps))

  const status = phase === 'following' ? 'Following' : phase === 'paused' ? 'Paused' : phase === 'ended' ? 'Stopped' : 'Loading…'
  return (
    <section aria-labelledby="logs-heading" class="pod-page">
      <div class="page-head">
        <h1 id="logs-heading">
          Logs: {namespace}/{name}
        </h1>
        <Link href={podShellPath(cluster, namespace, name, container)}>Shell</Link>
      </div>
      <div class="toolbar pod-toolbar">
        <label>
          Container
          <select value={container} disabled={!containers} onChange={(e) => setContainer(e.currentTarget.value)}>
            {(containers ?? (container ? [container] : [])).map((c) => (
              <option key={c} value={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Lines from the end
          <select value={String(tail)} onChange={(e) => setTail(Number(e.currentTarget.value))}>
            {TAILS.map((t) => (
              <option key={t} value={String(t)}>{t.toLocaleString('en')}</option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.currentTarget.checked)} />
          Timestamps
        </label>
        {phase === 'following' ? (
          <button type="button" onClick={pause}>Pause</button>
        ) : (
          <button type="button" disabled={!container || phase === 'loading'} onClick={() => start(true)}>{phase === 'paused' ? 'Follow' : 'Resume'}</button>
        )}
        <button type="button" onClick={download} disabled={buffer.lines.length === 0}>Download</button>
        <span class="count" role="status" data-phase={phase}>
          {status} · {buffer.lines.length.toLocaleString('en')} lines{buffer.dropped ? ` (the ${buffer.dropped.toLocaleString('en')} oldest dropped)` : ''}
        </span>
      </div>
      {error && <p role="alert" class="error">{error}</p>}
      {note && <p class="hint">{note}</p>}
      <LogView lines={buffer.lines} version={version} timestamps={timestamps} label={`Log of ${name}${container ? `, container ${container}` : ''}`} />
    </section>
  )
}

/** The apiserver's message, with what it means for this page in front. */
export function refusalText(e: unknown, pod: string): string {
  if (e instanceof HttpError) {
    if (e.status === 403) return `Not allowed: ${e.message}`
    if (e.status === 404) return `Pod ${pod} is gone (or was never there): ${e.message}`
    return `${e.status}: ${e.message}`
  }
  return errorText(e)
}
