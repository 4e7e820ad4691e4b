// The access pages' routes and navigation entries (ui/src/routes.ts).
import type { NavEntry, Route } from '../../routes.ts'

export const accessRoutes: Route[] = []
export const accessNav: NavEntry[] = []
