// @ts-check
// The dependency direction of DESIGN.md, as lint rules. Each folder lists what it may not import;
// the rule matches relative imports by folder segment, so `../../workers/app.ts` is caught from anywhere.

/** @param {string} folder */
const projectFolder = (folder) => ({
  regex: `^\\.{1,2}/(.*/)?${folder}(/|$)`,
  message: `this folder may not import ${folder}/ (dependency direction, DESIGN.md)`,
})
const nodeBuiltins = { regex: '^node:', message: 'code that runs in workerd uses web-standard APIs, not node: builtins' }
const workerdModules = { regex: '^cloudflare:', message: 'protocol/ is pure TypeScript; it may not import workerd modules' }

const nodeSideFolders = ['controller-runner', 'agent', 'cli', 'infra', 'test', 'bench']

/** @type {Record<string, object[]>} */
const forbidden = {
  'protocol/**/*.ts': [
    ...['workers', 'objects', ...nodeSideFolders].map(projectFolder),
    nodeBuiltins,
    workerdModules,
  ],
  'objects/**/*.ts': [...['workers', ...nodeSideFolders].map(projectFolder), nodeBuiltins],
  'workers/**/*.ts': [...nodeSideFolders.map(projectFolder), nodeBuiltins],
  'controller-runner/**/*.ts': ['workers', 'objects', 'agent', 'cli'].map(projectFolder),
  'agent/**/*.ts': ['workers', 'objects', 'controller-runner', 'cli'].map(projectFolder),
  'infra/**/*.ts': ['workers', 'objects', 'controller-runner', 'agent', 'cli'].map(projectFolder),
}

export const dependencyRules = Object.entries(forbidden).map(([glob, patterns]) => ({
  files: [glob],
  ignores: ['**/*.test.ts'],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
}))
