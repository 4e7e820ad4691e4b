// Authentication providers (`/v3/authconfigs`): each one's fields and its enable/disable, the way its
// edge provider takes them (workers/identity/providers/*/config*.ts): OIDC and GitHub save enabled with
// a PUT; directories (OpenLDAP, FreeIPA, Active Directory) enable through `testAndApply`, a login with a
// test username and password under the new settings; SAML providers through `testAndApply` with their IdP
// metadata and SP key pair. Secrets (client secret, service account password, SP key) are never shown:
// left empty, the stored one is kept.
import { useState } from 'preact/hooks'
import { action, allowed, list, mgmtType, update, type Resource } from './norman.ts'
import { ErrorText, useAction, useLoad } from './parts.tsx'

type Kind = 'text' | 'secret' | 'long' | 'list' | 'number' | 'bool'
interface Field {
  key: string
  label: string
  kind?: Kind
}

const OIDC: Field[] = [
  { key: 'issuer', label: 'Issuer URL' }, { key: 'clientId', label: 'Client ID' }, { key: 'clientSecret', label: 'Client secret', kind: 'secret' },
  { key: 'scope', label: 'Scopes' }, { key: 'groupsClaim', label: 'Groups claim' }, { key: 'rancherUrl', label: 'Redirect base URL' },
]
const GITHUB: Field[] = [
  { key: 'hostname', label: 'Host name (GitHub Enterprise; empty for github.com)' }, { key: 'tls', label: 'Use TLS', kind: 'bool' },
  { key: 'clientId', label: 'Client ID' }, { key: 'clientSecret', label: 'Client secret', kind: 'secret' },
]
const DIRECTORY: Field[] = [
  { key: 'servers', label: 'Servers (comma separated)', kind: 'list' }, { key: 'port', label: 'Port', kind: 'number' },
  { key: 'tls', label: 'TLS', kind: 'bool' }, { key: 'starttls', label: 'StartTLS', kind: 'bool' }, { key: 'certificate', label: 'CA certificate (PEM)', kind: 'long' },
  { key: 'serviceAccountDistinguishedName', label: 'Service account DN' }, { key: 'serviceAccountPassword', label: 'Service account password', kind: 'secret' },
  { key: 'userSearchBase', label: 'User search base' }, { key: 'userLoginAttribute', label: 'User login attribute' }, { key: 'userObjectClass', label: 'User object class' },
  { key: 'userNameAttribute', label: 'User name attribute' }, { key: 'userMemberAttribute', label: 'User member attribute' }, { key: 'userSearchFilter', label: 'User search filter' },
  { key: 'groupSearchBase', label: 'Group search base' }, { key: 'groupObjectClass', label: 'Group object class' }, { key: 'groupNameAttribute', label: 'Group name attribute' },
  { key: 'groupMemberMappingAttribute', label: 'Group member mapping attribute' }, { key: 'groupSearchFilter', label: 'Group search filter' },
]
const AD: Field[] = [
  ...DIRECTORY.filter((f) => f.key !== 'serviceAccountDistinguishedName'),
  { key: 'serviceAccountUsername', label: 'Service account username' }, { key: 'defaultLoginDomain', label: 'Default login domain' },
]
const SAML: Field[] = [
  { key: 'displayNameField', label: 'Display name attribute' }, { key: 'userNameField', label: 'User name attribute' }, { key: 'uidField', label: 'UID attribute' },
  { key: 'groupsField', label: 'Groups attribute' }, { key: 'entityID', label: 'Entity ID' }, { key: 'rancherApiHost', label: 'drover API host' },
  { key: 'spCert', label: 'SP certificate (PEM)', kind: 'long' }, { key: 'spKey', label: 'SP private key (PEM)', kind: 'secret' },
  { key: 'idpMetadataContent', label: 'IdP metadata XML (paste)', kind: 'long' },
]

type Enable = 'put' | 'directory' | 'saml'
interface ProviderSpec {
  fields: Field[]
  enable: Enable
  configKey?: string
}
const SPECS: Record<string, ProviderSpec> = {
  genericoidc: { fields: OIDC, enable: 'put' },
  github: { fields: GITHUB, enable: 'put' },
  openldap: { fields: DIRECTORY, enable: 'directory', configKey: 'ldapConfig' },
  freeipa: { fields: DIRECTORY, enable: 'directory', configKey: 'ldapConfig' },
  activedirectory: { fields: AD, enable: 'directory', configKey: 'activeDirectoryConfig' },
  shibboleth: { fields: SAML, enable: 'saml' }, keycloak: { fields: SAML, enable: 'saml' }, okta: { fields: SAML, enable: 'saml' },
  ping: { fields: SAML, enable: 'saml' }, adfs: { fields: SAML, enable: 'saml' },
}

interface AuthConfig extends Resource {
  enabled?: boolean
  accessMode?: string
}

const TYPE = mgmtType('authconfigs')

function toInput(f: Field, v: unknown): string | boolean {
  if (f.kind === 'bool') return v === true
  if (f.kind === 'secret') return ''
  if (Array.isArray(v)) return v.join(', ')
  return v === undefined || v === null ? '' : String(v)
}

function fromInput(f: Field, v: string | boolean): unknown {
  if (f.kind === 'bool') return v === true
  const s = String(v).trim()
  if (f.kind === 'list') return s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []
  if (f.kind === 'number') return s ? Number(s) : undefined
  return s
}

function ProviderForm(props: { config: AuthConfig; spec: ProviderSpec; onDone: () => void }) {
  const { config, spec } = props
  const id = config.id
  const [values, setValues] = useState<Record<string, string | boolean>>(() => Object.fromEntries(spec.fields.map((f) => [f.key, toInput(f, config[f.key])])))
  const [accessMode, setAccessMode] = useState(config.accessMode ?? 'unrestricted')
  const [testUser, setTestUser] = useState('')
  const [testPassword, setTestPassword] = useState('')
  const act = useAction(props.onDone)
  const mayEdit = allowed(TYPE, 'PUT')
  const body = () => {
    const out: Record<string, unknown> = { accessMode }
    for (const f of spec.fields) {
      const v = fromInput(f, values[f.key] ?? '')
      if (f.kind === 'secret' && !v) continue // keep the stored one
      if (v !== undefined) out[f.key] = v
    }
    return out
  }
  const save = () => act.run(() => update('authconfigs', id, body()))
  const enable = () => {
    if (spec.enable === 'put') return act.run(() => update('authconfigs', id, { ...body(), enabled: true }))
    if (spec.enable === 'saml') return act.run(() => action('authconfigs', id, 'testAndApply', body()))
    return act.run(() => action('authconfigs', id, 'testAndApply', { [spec.configKey!]: body(), username: testUser, password: testPassword }))
  }
  const disable = () => act.run(() => (spec.enable === 'put' ? update('authconfigs', id, { enabled: false }) : action('authconfigs', id, 'disable')))
  const set = (k: string, v: string | boolean) => setValues({ ...values, [k]: v })
  const fid = (k: string) => `ac-${id}-${k}`
  return (
    <form class="provider-form" onSubmit={(e) => { e.preventDefault(); void save() }}>
      {spec.fields.map((f) =>
        f.kind === 'bool' ? (
          <label key={f.key} class="check"><input id={fid(f.key)} type="checkbox" disabled={!mayEdit} checked={values[f.key] === true} onChange={(e) => set(f.key, e.currentTarget.checked)} /> {f.label}</label>
        ) : f.kind === 'long' ? (
          <label key={f.key}>{f.label}<textarea id={fid(f.key)} rows={4} disabled={!mayEdit} value={String(values[f.key] ?? '')} onInput={(e) => set(f.key, e.currentTarget.value)} /></label>
        ) : f.kind === 'secret' && f.key === 'spKey' ? (
          <label key={f.key}>{f.label}<textarea id={fid(f.key)} rows={4} disabled={!mayEdit} placeholder="Stored; paste a new one to replace it" value={String(values[f.key] ?? '')} onInput={(e) => set(f.key, e.currentTarget.value)} /></label>
        ) : (
          <label key={f.key}>{f.label}
            {f.kind === 'secret' ? (
              <input id={fid(f.key)} type="password" disabled={!mayEdit} autoComplete="off" placeholder="Stored; type a new one to replace it" value={String(values[f.key] ?? '')} onInput={(e) => set(f.key, e.currentTarget.value)} />
            ) : (
              <input id={fid(f.key)} type="text" inputMode={f.kind === 'number' ? 'numeric' : undefined} disabled={!mayEdit} autoComplete="off" value={String(values[f.key] ?? '')} onInput={(e) => set(f.key, e.currentTarget.value)} />
            )}
          </label>
        ),
      )}
      <label>Who may log in
        <select id={fid('accessMode')} disabled={!mayEdit} value={accessMode} onChange={(e) => setAccessMode(e.currentTarget.value)}>
          <option value="unrestricted">Any user of the provider</option>
          <option value="restricted">Members of clusters and projects, and allowed principals</option>
          <option value="required">Only allowed principals</option>
        </select>
      </label>
      {mayEdit && spec.enable === 'directory' && !config.enabled && (
        <fieldset>
          <legend>Test login (needed to enable)</legend>
          <label>Test username<input id={fid('test-user')} autoComplete="off" value={testUser} onInput={(e) => setTestUser(e.currentTarget.value)} /></label>
          <label>Test password<input id={fid('test-password')} type="password" autoComplete="off" value={testPassword} onInput={(e) => setTestPassword(e.currentTarget.value)} /></label>
        </fieldset>
      )}
      {mayEdit && (
        <div class="actions">
          <button type="submit" disabled={act.busy}>Save</button>
          {config.enabled ? (
            <button type="button" disabled={act.busy} onClick={() => void disable()}>Disable</button>
          ) : (
            <button type="button" class="primary" disabled={act.busy} onClick={() => void enable()}>{spec.enable === 'put' ? 'Save and enable' : 'Test and enable'}</button>
          )}
        </div>
      )}
      <ErrorText text={act.error} />
    </form>
  )
}

/** Every provider the edge knows: a provider never configured has no AuthConfig yet (a PUT creates it). */
function withUnconfigured(configs: AuthConfig[] | undefined): AuthConfig[] {
  if (!configs) return []
  const missing = Object.keys(SPECS).filter((id) => !configs.some((c) => c.id === id))
  return [...configs, ...missing.map((id) => ({ id, type: 'authConfig', enabled: false }))].sort((a, b) => (a.id === 'local' ? -1 : b.id === 'local' ? 1 : a.id.localeCompare(b.id)))
}

export function AuthProviders() {
  const configs = useLoad(() => list<AuthConfig>('authconfigs', { limit: 100 }), [])
  return (
    <section aria-labelledby="auth-heading">
      <h2 id="auth-heading">Authentication providers</h2>
      <ErrorText text={configs.error} />
      <ul class="provider-list">
        {withUnconfigured(configs.data?.data).map((c) => {
          const spec = SPECS[c.id]
          return (
            <li key={c.id} class="card">
              <div class="project-head">
                <strong>{c.id}</strong>
                <span class={`badge ${c.enabled ? 'state-active' : 'state-pending'}`}>{c.enabled ? 'Enabled' : 'Disabled'}</span>
              </div>
              {spec ? (
                <details>
                  <summary>Configure {c.id}</summary>
                  <ProviderForm config={c} spec={spec} onDone={configs.reload} />
                </details>
              ) : (
                <p class="hint">{c.id === 'local' ? 'Local users are always enabled; nothing to configure.' : 'Nothing to configure here.'}</p>
              )}
            </li>
          )
        })}
      </ul>
    </section>
  )
}
