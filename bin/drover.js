#!/usr/bin/env node
// The `drover` command. Sources are TypeScript, run through tsx's loader so no build step is needed.
import { register } from 'tsx/esm/api'

register()
await import('../cli/main.ts')
