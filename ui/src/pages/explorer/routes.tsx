// The explorer pages' routes and navigation entries (ui/src/routes.ts).
import type { NavEntry, Route } from '../../routes.ts'

export const explorerRoutes: Route[] = []
export const explorerNav: NavEntry[] = []
