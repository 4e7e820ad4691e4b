// A shell in a pod: xterm.js (loaded on demand, terminal.ts) over the exec WebSocket (exec-socket.ts).
// The terminal follows its element's size (and so the window's) and tells the shell each new size; a
// dropped connection shows "Disconnected — reconnecting" and opens a new exec session with backoff, and
// Reconnect does so at once. The page first asks the cluster whether the caller may exec into the pod,
// so RBAC's refusal is said in words rather than as a socket that will not open.
import { useEffect, useRef, useState } from 'preact/hooks'
import { errorText, HttpError } from '../../api/http.ts'
import { Link } from '../../router.tsx'
import { ExecSession, type ShellState } from './exec-socket.ts'
import { containerNames, getPod, mayUsePod } from './pod-api.ts'
import { podLogsPath, queryParam } from './paths.ts'
import { refusalText } from './PodLogs.tsx'
import type { OpenTerminal } from './terminal.ts'
import './pod.css'

/** sh everywhere; bash when the image has it (as Rancher's shell does). */
const COMMAND = ['/bin/sh', '-c', 'TERM=xterm-256color; export TERM; [ -x /bin/bash ] && exec /bin/bash || exec /bin/sh']

interface Props {
  cluster: string
  namespace: string
  name: string
}

function stateText(s: ShellState): string {
  switch (s.kind) {
    case 'connecting':
      return 'Connecting…'
    case 'connected':
      return 'Connected'
    case 'reconnecting':
      return `Disconnected — reconnecting in ${Math.round(s.inMs / 1000)} s (attempt ${s.attempt})`
    case 'exited':
    case 'failed':
      return s.message
  }
}

export function PodShell(props: Props) {
  const { cluster, namespace, name } = props
  const [containers, setContainers] = useState<string[]>()
  const [container, setContainer] = useState(queryParam('container'))
  const [state, setState] = useState<ShellState>({ kind: 'connecting' })
  const [error, setError] = useState('')
  const host = useRef<HTMLDivElement>(null)
  const session = useRef<ExecSession | undefined>(undefined)
  const terminal = useRef<OpenTerminal | undefined>(undefined)

  useEffect(() => {
    let live = true
    Promise.all([getPod(cluster, namespace, name), mayUsePod(cluster, namespace, name, 'create', 'exec')])
      .then(([pod, allowed]) => {
        if (!live) return
        if (!allowed) {
          setError(`Not allowed: you may not open a shell in pod ${namespace}/${name} (RBAC grants no "create" on pods/exec).`)
          return
        }
        const names = containerNames(pod)
        setContainers(names)
        setContainer((c) => (c && names.includes(c) ? c : (names[0] ?? '')))
      })
      .catch((e: unknown) => live && setError(refusalText(e, name)))
    return () => {
      live = false
    }
  }, [cluster, namespace, name])

  // One terminal for the page; each container choice is a new exec session in it.
  useEffect(() => {
    if (!container || !host.current) return
    let live = true
    let observer: ResizeObserver | undefined
    let cleanup = () => {}
    void import('./terminal.ts')
      .then(({ openTerminal }) => {
        if (!live) return
        const t = (terminal.current ??= openTerminal(host.current!))
        t.term.reset()
        const s = new ExecSession({
          cluster, namespace, name, container,
          command: COMMAND,
          onOutput: (bytes) => t.term.write(bytes),
          onState: setState,
          size: () => ({ cols: t.term.cols, rows: t.term.rows }),
          check: () => whyNot(cluster, namespace, name),
        })
        session.current = s
        const input = t.term.onData((d) => s.input(d))
        const resized = t.term.onResize(({ cols, rows }) => s.resize(cols, rows))
        observer = new ResizeObserver(() => t.fit())
        observer.observe(host.current!)
        t.fit()
        s.connect()
        t.term.focus()
        cleanup = () => {
          input.dispose()
          resized.dispose()
        }
      })
      .catch((e: unknown) => live && setError(`The terminal did not load: ${errorText(e)}`))
    return () => {
      live = false
      observer?.disconnect()
      cleanup()
      session.current?.close()
      session.current = undefined
    }
  }, [container])

  useEffect(() => () => terminal.current?.dispose(), [])

  const reconnect = () => {
    terminal.current?.term.writeln('\r\n[reconnecting]')
    session.current?.connect()
    terminal.current?.term.focus()
  }

  const bad = state.kind === 'failed' || state.kind === 'reconnecting'
  return (
    <section aria-labelledby="shell-heading" class="pod-page">
      <div class="page-head">
        <h1 id="shell-heading">
          Shell: {namespace}/{name}
        </h1>
        <Link href={podLogsPath(cluster, namespace, name, container)}>Logs</Link>
      </div>
      {error ? (
        <p role="alert" class="error">{error}</p>
      ) : (
        <div class="toolbar pod-toolbar">
          <label>
            Container
            <select value={container} disabled={!containers} onChange={(e) => setContainer(e.currentTarget.value)}>
              {(containers ?? (container ? [container] : [])).map((c) => (
                <option key={c} value={c}>{c}</option>
              ))}
            </select>
          </label>
          <button type="button" onClick={reconnect} disabled={!session.current || state.kind === 'connecting'}>
            {state.kind === 'exited' ? 'New shell' : 'Reconnect'}
          </button>
          <span role="status" class={`shell-state${bad ? ' error' : ''}`} data-state={state.kind}>
            {stateText(state)}
          </span>
        </div>
      )}
      <div class="terminal-host" ref={host} hidden={!!error} />
    </section>
  )
}

/** Whether reconnecting can work: no when the pod is gone or exec is forbidden; otherwise try again. */
async function whyNot(cluster: string, namespace: string, name: string): Promise<string | undefined> {
  try {
    await getPod(cluster, namespace, name)
    if (!(await mayUsePod(cluster, namespace, name, 'create', 'exec'))) return `Not allowed: you may no longer open a shell in pod ${namespace}/${name}.`
    return undefined
  } catch (e) {
    if (e instanceof HttpError && (e.status === 404 || e.status === 403)) return refusalText(e, name)
    return undefined // the cluster is unreachable for now: try again
  }
}
