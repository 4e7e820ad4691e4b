// The log's lines, windowed: only the lines in view (and a margin) are in the DOM, each one row of a fixed
// height, inside a spacer as tall as all of them; 10,000 lines cost the DOM of a few dozen. While the view
// is scrolled to the end it stays there as lines arrive; scrolling up holds it where the reader is.
import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { LogLine } from './log-stream.ts'

/** Must match `.log-line`'s height in pod.css. */
const ROW = 18
const MARGIN = 30

export function LogView(props: { lines: readonly LogLine[]; version: number; timestamps: boolean; label: string }) {
  const { lines, timestamps } = props
  const ref = useRef<HTMLDivElement>(null)
  const atEnd = useRef(true)
  const [view, setView] = useState({ top: 0, height: 600 })

  useLayoutEffect(() => {
    const el = ref.current!
    const observer = new ResizeObserver(() => setView({ top: el.scrollTop, height: el.clientHeight }))
    observer.observe(el)
    return () => observer.disconnect()
  }, [])
  // New lines: follow the end if the reader was there.
  useLayoutEffect(() => {
    const el = ref.current!
    if (atEnd.current && el.scrollTop !== el.scrollHeight - el.clientHeight) el.scrollTop = el.scrollHeight
  }, [props.version, timestamps])

  const onScroll = () => {
    const el = ref.current!
    atEnd.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW
    setView({ top: el.scrollTop, height: el.clientHeight })
  }

  const first = Math.max(0, Math.floor(view.top / ROW) - MARGIN)
  const last = Math.min(lines.length, Math.ceil((view.top + view.height) / ROW) + MARGIN)
  const shown = lines.slice(first, last)
  return (
    // A live region would read every line aloud; the reader scrolls this one with the keyboard instead.
    <div class="log-view" ref={ref} onScroll={onScroll} tabIndex={0} role="log" aria-live="off" aria-label={props.label}>
      <div class="log-space" style={{ height: `${lines.length * ROW}px` }}>
        <div class="log-window" style={{ transform: `translateY(${first * ROW}px)` }}>
          {shown.map((l, i) => (
            <div class="log-line" key={first + i}>
              {timestamps && l.ts && <span class="log-ts">{l.ts} </span>}
              {l.text}
            </div>
          ))}
        </div>
      </div>
    </div>
  )
}
