// @ts-check
// The dependency direction of DESIGN.md, as lint rules. Each folder lists what it may not import;
// the rule matches relative imports by folder segment, so `../../workers/app.ts` is caught from anywhere.
//
//   protocol/  ← everything (imports nothing of the project, no node:, no cloudflare:)
//   node/      ← the Node programs (agent, runner, cli, infra, tests): protocol/ only
//   objects/   ← workers/            workers/ → objects/, protocol/
//   agent/, controller-runner/, ext-apiserver/ → protocol/, node/ (and infra/'s data, for the runner's built-ins)
//   ui/src/    → protocol/api/ only (the browser talks to the public API)

/** @param {string} folder */
const projectFolder = (folder) => ({
  regex: `^\\.{1,2}/(.*/)?${folder}(/|$)`,
  message: `this folder may not import ${folder}/ (dependency direction, DESIGN.md)`,
})
const nodeBuiltins = { regex: '^node:', message: 'code that runs in workerd uses web-standard APIs, not node: builtins' }
const workerdModules = { regex: '^cloudflare:', message: 'protocol/ is pure TypeScript; it may not import workerd modules' }

const nodeSideFolders = ['node', 'controller-runner', 'agent', 'ext-apiserver', 'cli', 'infra', 'test', 'bench']
const edgeFolders = ['workers', 'objects']
const testFolders = ['test', 'bench']

/** A sibling folder one level up (`../oidc/…` from `providers/local/`). */
const siblingFolder = { regex: '^\\.\\./[^./][^/]*/', message: 'a provider is one folder: it may not import another provider (share through ../../provider.ts)' }
const tunnelRoom = { regex: '^\\.\\./tunnel(/|$)', message: 'objects/auth/ may not import objects/tunnel/: rooms meet only in workers/' }

/** The browser app speaks only the public API: of the project, it may import protocol/api/ alone. */
const protocolBeyondApi = { regex: '^\\.{1,2}/(.*/)?protocol/(?!api/)', message: 'the web UI may import only protocol/api/ of protocol/ (the API contract)' }

const objectsRules = [...['workers', ...nodeSideFolders].map(projectFolder), nodeBuiltins]
const workersRules = [...nodeSideFolders.map(projectFolder), nodeBuiltins]

// Later entries override earlier ones for the files both match (flat config does not merge a rule's
// options), so a narrower folder repeats its parent's patterns and adds its own.
/** @type {Record<string, object[]>} */
const forbidden = {
  'protocol/**/*.ts': [...[...edgeFolders, ...nodeSideFolders].map(projectFolder), nodeBuiltins, workerdModules],
  'node/**/*.ts': [...edgeFolders, 'controller-runner', 'agent', 'ext-apiserver', 'cli', 'infra', ...testFolders].map(projectFolder),
  'objects/**/*.ts': objectsRules,
  'objects/auth/**/*.ts': [...objectsRules, tunnelRoom],
  'workers/**/*.ts': workersRules,
  'workers/identity/providers/*/**/*.ts': [...workersRules, siblingFolder],
  'controller-runner/**/*.ts': [...edgeFolders, 'agent', 'ext-apiserver', 'cli', ...testFolders].map(projectFolder),
  'agent/**/*.ts': [...edgeFolders, 'controller-runner', 'ext-apiserver', 'cli', 'infra', ...testFolders].map(projectFolder),
  'ext-apiserver/**/*.ts': [...edgeFolders, 'controller-runner', 'agent', 'cli', 'infra', ...testFolders].map(projectFolder),
  'ui/src/**/*.{ts,tsx}': [...[...edgeFolders, ...nodeSideFolders].map(projectFolder), protocolBeyondApi, nodeBuiltins, workerdModules],
  'infra/**/*.ts': [...edgeFolders, 'controller-runner', 'agent', 'ext-apiserver', 'cli', ...testFolders].map(projectFolder),
}

export const dependencyRules = Object.entries(forbidden).map(([glob, patterns]) => ({
  files: [glob],
  ignores: ['**/*.test.ts'],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
}))
