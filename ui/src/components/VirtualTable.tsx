// A table that renders only the rows in view (@tanstack/virtual-core), so a page of thousands of rows costs
// the DOM of a few dozen. Rows have a fixed height; spacer rows above and below keep the scroll height.
// It is a real <table> (screen readers announce rows and columns; `aria-rowcount` gives the full size),
// sortable headers are buttons with `aria-sort`, and the scrolling region is focusable for the keyboard.
import { elementScroll, observeElementOffset, observeElementRect, Virtualizer } from '@tanstack/virtual-core'
import type { ComponentChildren } from 'preact'
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'

export interface Column<T> {
  id: string
  label: string
  /** Sortable server-side when present: the `/v1` field path to sort by. */
  sortField?: string
  cell: (row: T) => ComponentChildren
  className?: string
}

export interface Sort {
  field: string
  descending: boolean
}

interface Props<T> {
  caption: string
  columns: Column<T>[]
  rows: readonly T[]
  rowKey: (row: T) => string
  /** Renders one row's cells; a component per row lets a live update re-render that row alone. */
  row: (row: T, columns: Column<T>[]) => ComponentChildren
  sort?: Sort
  onSort?: (sort: Sort) => void
  rowHeight?: number
  /** The first row's position in the whole list (server paging), for `aria-rowindex`. */
  offset?: number
  total?: number
  empty?: ComponentChildren
}

export function VirtualTable<T>(props: Props<T>) {
  const { columns, rows, rowHeight = 40 } = props
  const scroller = useRef<HTMLDivElement>(null)
  const [, rerender] = useState(0)
  const virtualizer = useMemo(
    () =>
      new Virtualizer<HTMLDivElement, HTMLTableRowElement>({
        count: rows.length,
        getScrollElement: () => scroller.current,
        estimateSize: () => rowHeight,
        overscan: 12,
        observeElementRect,
        observeElementOffset,
        scrollToFn: elementScroll,
        onChange: () => rerender((n) => n + 1),
      }),
    [],
  )
  virtualizer.setOptions({ ...virtualizer.options, count: rows.length, getItemKey: (i) => props.rowKey(rows[i]!) })
  useLayoutEffect(() => virtualizer._didMount(), [])
  useLayoutEffect(() => virtualizer._willUpdate())

  const items = virtualizer.getVirtualItems()
  const before = items[0]?.start ?? 0
  const after = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0)
  const offset = props.offset ?? 0

  const header = (c: Column<T>) => {
    if (!c.sortField || !props.onSort) return <th scope="col" key={c.id} class={c.className}>{c.label}</th>
    const active = props.sort?.field === c.sortField
    const descending = active && props.sort!.descending
    return (
      <th scope="col" key={c.id} class={c.className} aria-sort={active ? (descending ? 'descending' : 'ascending') : 'none'}>
        <button type="button" class="sort" onClick={() => props.onSort!({ field: c.sortField!, descending: active ? !descending : false })}>
          {c.label}
          <span aria-hidden="true">{active ? (descending ? ' ▼' : ' ▲') : ''}</span>
        </button>
      </th>
    )
  }

  return (
    <div class="table-scroll" ref={scroller} tabIndex={0} role="region" aria-label={props.caption}>
      <table aria-rowcount={(props.total ?? rows.length) + 1}>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr aria-rowindex={1}>{columns.map(header)}</tr>
        </thead>
        <tbody>
          {before > 0 && <tr aria-hidden="true" class="spacer" style={{ height: `${before}px` }} />}
          {items.map((item) => {
            const row = rows[item.index]!
            return (
              <tr key={item.key} aria-rowindex={offset + item.index + 2} style={{ height: `${rowHeight}px` }}>
                {props.row(row, columns)}
              </tr>
            )
          })}
          {after > 0 && <tr aria-hidden="true" class="spacer" style={{ height: `${after}px` }} />}
          {rows.length === 0 && (
            <tr>
              <td colSpan={columns.length} class="empty">{props.empty ?? 'Nothing to show.'}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  )
}
