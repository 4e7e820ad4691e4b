import { describe, expect, it } from 'vitest'
import type { ResourceType } from './resource.ts'
import { parseTable, tableEvent } from './table.ts'

const deployments: ResourceType = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true }

describe('Table answers as rows', () => {
  it('reads cells, columns, objects and paging from a Table', () => {
    const page = parseTable(
      {
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: '42', continue: 'abc' },
        columnDefinitions: [{ name: 'Name', type: 'string', format: 'name', description: 'the name', priority: 0 }, { name: 'Ready' }],
        rows: [{ cells: ['web', '1/1'], object: { metadata: { name: 'web', namespace: 'a' } } }, { cells: ['x'] }],
      },
      deployments,
    )
    expect(page.columns).toEqual([
      { name: 'Name', type: 'string', format: 'name', description: 'the name', priority: 0 },
      { name: 'Ready', type: 'string', format: '', description: '', priority: 0 },
    ])
    expect(page.rows).toEqual([{ object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'a' } }, cells: ['web', '1/1'] }])
    expect(page).toMatchObject({ resourceVersion: '42', continue: 'abc' })
  })

  it('reads a plain list or object, without cells, when the server cannot print the type', () => {
    expect(parseTable({ kind: 'DeploymentList', metadata: { continue: '' }, items: [{ metadata: { name: 'a' } }] }, deployments)).toMatchObject({ continue: undefined, rows: [{ cells: undefined }] })
    expect(parseTable({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' } }, deployments).rows).toHaveLength(1)
  })

  it('reads watch lines: a one-row Table, a bookmark, and an ERROR as the Status it carries', () => {
    const added = tableEvent(JSON.stringify({ type: 'ADDED', object: { kind: 'Table', columnDefinitions: [{ name: 'Name' }], rows: [{ cells: ['a'], object: { metadata: { name: 'a', resourceVersion: '7' } } }] } }), deployments)
    expect(added).toMatchObject({ type: 'ADDED', row: { object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' } }, cells: ['a'] }, columns: [{ name: 'Name' }] })
    expect(tableEvent(JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Deployment', metadata: { resourceVersion: '9' } } }), deployments)).toEqual({ type: 'BOOKMARK', resourceVersion: '9' })
    expect(() => tableEvent(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } }), deployments)).toThrow(/410 Expired/)
    expect(tableEvent(JSON.stringify({ type: 'ADDED', object: { kind: 'Table', rows: [] } }), deployments)).toBeUndefined()
  })
})
