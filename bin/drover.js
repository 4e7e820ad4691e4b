#!/usr/bin/env node
// The `drover` command, from source: TypeScript run through tsx's loader (a devDependency of this
// repository), so development needs no build step. The agent and the runner also exist bundled
// (dist/drover.mjs, `npm run build:programs`): that is what `drover start` spawns and the image runs.

// Checked before anything loads: on an older Node the failure would otherwise be some syntax or API error.
const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  process.stderr.write(
    `drover needs Node.js 22 or newer; this is ${process.version} (${process.execPath}).\n` +
      'Run it through npm, which uses the Node 24 that `npm install` put in node_modules/.bin: `npm start`, `npx drover …`.\n',
  )
  process.exit(1)
}

const { register } = await import('tsx/esm/api')
register()
await import('../cli/main.ts')
