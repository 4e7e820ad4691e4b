// infra/grafana/drover.json plots only series that exist: every metric a panel queries is one the edge
// (objects/metrics/edge-metrics.ts), the runner or the agent exposes.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { agentRegistry } from '../agent/metrics.ts'
import { RunnerMetrics } from '../controller-runner/runtime/metrics.ts'
import { noCounters } from '../protocol/tunnel/index.ts'

const ROOT = join(import.meta.dirname, '..')

interface Panel { type: string; title: string; targets?: { expr: string }[] }

describe('the Grafana dashboard', () => {
  it('queries only metrics the edge, the runner and the agent expose, and covers each of them', async () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'infra', 'grafana', 'drover.json'), 'utf8')) as { panels: Panel[] }
    const exprs = dashboard.panels.flatMap((p) => p.targets?.map((t) => t.expr) ?? [])
    const used = new Set(exprs.flatMap((e) => e.match(/\bdrover_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, '')))
    const edgeSource = readFileSync(join(ROOT, 'objects', 'metrics', 'edge-metrics.ts'), 'utf8')
    const edge = new Set(edgeSource.match(/\bdrover_edge_[a-z_]+/g)!.map((n) => n.replace(/_(bucket|sum|count)$/, '')))
    const exposition = (await new RunnerMetrics().registry.metrics()) + (await agentRegistry({ connected: true, streams: 0, counters: noCounters }).metrics())
    const node = new Set([...exposition.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!))
    for (const name of used) expect(edge.has(name) || node.has(name), `${name} is not exposed`).toBe(true)
    for (const name of edge) expect(used.has(name), `edge metric ${name} has no panel`).toBe(true)
    for (const name of ['drover_runner_reconcile_total', 'drover_runner_leader', 'drover_agent_tunnel_connected', 'drover_agent_tunnel_bytes_total']) expect(used).toContain(name)
  })
})
