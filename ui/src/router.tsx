// History routing: the edge serves index.html for every path its API does not own (Workers static assets,
// `not_found_handling = "single-page-application"`), so `/clusters/import` survives a reload.
import { signal } from '@preact/signals'
import type { ComponentChildren } from 'preact'

export const path = signal(location.pathname)

window.addEventListener('popstate', () => {
  path.value = location.pathname
})

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return
  if (opts.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  path.value = location.pathname
}

/** An anchor that navigates in-page on a plain click, and behaves as a link otherwise (new tab, copy). */
export function Link(props: { href: string; children: ComponentChildren; class?: string; onClick?: () => void }) {
  const { href, children } = props
  const onClick = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    props.onClick?.()
    navigate(href)
  }
  return (
    <a class={props.class} href={href} onClick={onClick} aria-current={path.value === href ? 'page' : undefined}>
      {children}
    </a>
  )
}
