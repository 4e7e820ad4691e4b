import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { generateEdgeSecrets } from './infra/edge/secrets.ts'

// Two runtimes, two projects: code for Workers and Durable Objects is tested inside workerd; everything
// that runs on Node (runner, agent, dev-cluster tooling, cross-component tests) is tested in Node.
/** Development tokens for the workerd tests (see workers/auth/static-tokens.ts). */
const workerdTestTokens = {
  users: {
    'token-all:secret': { identity: { user: 'u-all', groups: ['g1'], extra: {} }, clusters: '*' },
    'token-one:secret': { identity: { user: 'u-one', groups: [], extra: {} }, clusters: ['c-one'] },
  },
  agents: { 'agent-token-one': 'c-one' },
}

/** Fresh edge secrets for each run of the workerd tests (token keys, password pepper, system tokens). */
const edgeSecrets = await generateEdgeSecrets()

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['{protocol,node,controller-runner,agent,infra,cli}/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/workerd/**', '**/node_modules/**'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: { ...edgeSecrets, DROVER_STATIC_TOKENS: JSON.stringify(workerdTestTokens) } },
          }),
        ],
        test: {
          name: 'workerd',
          include: ['{workers,objects}/**/*.test.ts', 'test/workerd/**/*.test.ts'],
          setupFiles: ['test/workerd/production-limits.ts'],
        },
      },
    ],
  },
})
