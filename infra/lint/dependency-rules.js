// @ts-check
// The dependency direction of DESIGN.md, as lint rules. Each folder lists what it may not import;
// the rule matches relative imports by folder segment, so `../../workers/app.ts` is caught from anywhere.
//
//   protocol/  ← everything (imports nothing of the project, no node:, no cloudflare:)
//   node/      ← the Node programs (agent, runner, cli, infra, tests): protocol/ only
//   objects/   ← workers/            workers/ → objects/, protocol/
//   agent/, controller-runner/ → protocol/, node/ (and infra/'s data, for the runner's built-ins)

/** @param {string} folder */
const projectFolder = (folder) => ({
  regex: `^\\.{1,2}/(.*/)?${folder}(/|$)`,
  message: `this folder may not import ${folder}/ (dependency direction, DESIGN.md)`,
})
const nodeBuiltins = { regex: '^node:', message: 'code that runs in workerd uses web-standard APIs, not node: builtins' }
const workerdModules = { regex: '^cloudflare:', message: 'protocol/ is pure TypeScript; it may not import workerd modules' }

const nodeSideFolders = ['node', 'controller-runner', 'agent', 'cli', 'infra', 'test', 'bench']
const edgeFolders = ['workers', 'objects']
const testFolders = ['test', 'bench']

/** @type {Record<string, object[]>} */
const forbidden = {
  'protocol/**/*.ts': [...[...edgeFolders, ...nodeSideFolders].map(projectFolder), nodeBuiltins, workerdModules],
  'node/**/*.ts': [...edgeFolders, 'controller-runner', 'agent', 'cli', 'infra', ...testFolders].map(projectFolder),
  'objects/**/*.ts': [...['workers', ...nodeSideFolders].map(projectFolder), nodeBuiltins],
  'workers/**/*.ts': [...nodeSideFolders.map(projectFolder), nodeBuiltins],
  'controller-runner/**/*.ts': [...edgeFolders, 'agent', 'cli', ...testFolders].map(projectFolder),
  'agent/**/*.ts': [...edgeFolders, 'controller-runner', 'cli', 'infra', ...testFolders].map(projectFolder),
  'infra/**/*.ts': [...edgeFolders, 'controller-runner', 'agent', 'cli', ...testFolders].map(projectFolder),
}

export const dependencyRules = Object.entries(forbidden).map(([glob, patterns]) => ({
  files: [glob],
  ignores: ['**/*.test.ts'],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
}))
