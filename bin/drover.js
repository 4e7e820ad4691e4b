#!/usr/bin/env node
// The `drover` command, from source: TypeScript run through tsx's loader (a devDependency of this
// repository), so development needs no build step. The agent and the runner also exist bundled
// (dist/drover.mjs, `npm run build:programs`): that is what `drover start` spawns and the image runs.
import { register } from 'tsx/esm/api'

register()
await import('../cli/main.ts')
