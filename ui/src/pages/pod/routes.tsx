// The pod pages' routes and navigation entries (ui/src/routes.ts).
import type { NavEntry, Route } from '../../routes.ts'

export const podRoutes: Route[] = []
export const podNav: NavEntry[] = []
