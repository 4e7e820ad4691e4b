// `npx vite --config ui/vite.config.ts`: the dev server with hot reload, proxying the API to a running
// `npm start` edge (its URL from .drover/state.json, or DROVER_EDGE_URL). Builds go through
// `npm run build:ui` (infra/build/ui.ts), which uses the same configuration.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { uiViteConfig } from '../infra/build/ui.ts'

const state = join(import.meta.dirname, '..', '.drover', 'state.json')
const edgeUrl = process.env.DROVER_EDGE_URL ?? (existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')) as { url?: string }).url : undefined)
if (!edgeUrl) throw new Error('no edge to proxy to: run `npm start` first, or set DROVER_EDGE_URL')

export default uiViteConfig({ edgeUrl })
