// RoleTemplate inheritance: a template's effective rules are its own plus those of every template in
// `roleTemplateNames`, transitively. A cycle or a missing template cannot be fixed by retrying; the
// RoleTemplate watch enqueues the bindings again once the templates change.
import type { PolicyRule, RoleTemplate } from '../../protocol/crds/index.ts'
import { TerminalError, type Cache } from '../runtime/types.ts'

/** Every template `name` includes, itself first, depth-first; throws TerminalError on a cycle or a missing template. */
export function templateClosure(templates: Cache<RoleTemplate>, name: string): RoleTemplate[] {
  const out: RoleTemplate[] = []
  const done = new Set<string>()
  const visit = (n: string, path: string[]) => {
    if (path.includes(n)) throw new TerminalError(`RoleTemplate inheritance cycle: ${[...path, n].join(' → ')}`)
    if (done.has(n)) return
    const t = templates.get(n)
    if (!t) throw new TerminalError(`RoleTemplate ${n} does not exist${path.length ? ` (inherited by ${path.at(-1)})` : ''}`)
    done.add(n)
    out.push(t)
    for (const child of t.roleTemplateNames ?? []) visit(child, [...path, n])
  }
  visit(name, [])
  return out
}

/** The effective rules, duplicates removed, in a stable order (so an unchanged template writes nothing). */
export function resolveRules(templates: Cache<RoleTemplate>, name: string): PolicyRule[] {
  const seen = new Set<string>()
  const rules: PolicyRule[] = []
  for (const t of templateClosure(templates, name)) {
    for (const r of t.rules ?? []) {
      const clean = normalizeRule(r)
      const key = JSON.stringify(clean)
      if (seen.has(key)) continue
      seen.add(key)
      rules.push(clean)
    }
  }
  return rules
}

/** The rule as the apiserver stores it: empty lists omitted. */
export function normalizeRule(r: PolicyRule): PolicyRule {
  const out: PolicyRule = { verbs: [...r.verbs] }
  if (r.apiGroups?.length) out.apiGroups = [...r.apiGroups]
  if (r.resources?.length) out.resources = [...r.resources]
  if (r.resourceNames?.length) out.resourceNames = [...r.resourceNames]
  if (r.nonResourceURLs?.length) out.nonResourceURLs = [...r.nonResourceURLs]
  return out
}

/** Names of the templates whose closure includes `name` (tolerant: broken templates are skipped). */
export function templatesIncluding(templates: Cache<RoleTemplate>, name: string): Set<string> {
  const out = new Set<string>()
  for (const t of templates.list()) {
    try {
      if (templateClosure(templates, t.metadata.name!).some((c) => c.metadata.name === name)) out.add(t.metadata.name!)
    } catch {
      // A broken template is reported by the binding that uses it.
    }
  }
  return out
}
