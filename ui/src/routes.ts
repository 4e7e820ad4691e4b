// The pages by path, one list per area so each area's routes and nav entries live beside its pages
// (pages/<area>/routes.tsx). The first route whose pattern matches the path renders.
import type { VNode } from 'preact'

export interface Route {
  /** Matched against the whole path (`location.pathname`); groups are handed to `render`, decoded. */
  pattern: RegExp
  render(params: string[]): VNode
}

export interface NavEntry {
  href: string
  label: string
  /** Whether the caller may use it (api/capabilities.ts); hidden otherwise. */
  shown: () => boolean
}

export function matchRoute(routes: readonly Route[], path: string): VNode | undefined {
  for (const r of routes) {
    const m = r.pattern.exec(path)
    if (m) return r.render(m.slice(1).map((g) => decodeURIComponent(g ?? '')))
  }
  return undefined
}
