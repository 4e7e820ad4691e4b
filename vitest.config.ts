import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { generateEdgeSecrets } from './infra/edge/secrets.ts'

// Two runtimes, two projects: code for Workers and Durable Objects is tested inside workerd; everything
// that runs on Node (runner, agent, dev-cluster tooling, cross-component tests) is tested in Node.
/** Fixed tokens for the workerd tests (test/workerd/static-tokens.ts, read by the test entry test/workerd/worker.ts). */
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
          include: ['{protocol,node,controller-runner,agent,ext-apiserver,infra,cli}/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/workerd/**', '**/node_modules/**'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            // wrangler.toml's bindings and Durable Objects, with the test entry (production's app plus the fixed tokens).
            main: './test/workerd/worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ...edgeSecrets,
                DROVER_STATIC_TOKENS: JSON.stringify(workerdTestTokens),
                MANAGEMENT_ADMIN_PASSWORD: inject<string>('managementAdminPassword'),
              },
              // Cluster `local` without a tunnel or an agent: a real apiserver behind test/support/management-relay.ts.
              serviceBindings: { MANAGEMENT: { external: { address: `127.0.0.1:${inject<number>('managementRelayPort')}`, http: {} } } },
            },
          })),
        ],
        test: {
          name: 'workerd',
          include: ['{workers,objects}/**/*.test.ts', 'test/workerd/**/*.test.ts'],
          globalSetup: ['test/support/workerd-setup.ts'],
          setupFiles: ['test/workerd/production-limits.ts'],
        },
      },
    ],
  },
})
