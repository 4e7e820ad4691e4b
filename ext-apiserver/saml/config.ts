// A SAML provider's settings as the extension server uses them: Rancher's SAML AuthConfig fields
// (shibbolethConfig, keyCloakConfig, oktaConfig, pingConfig, adfsConfig share them), from a candidate
// (a config check before saving) or the stored, enabled AuthConfig; `spKey` lives in a Secret of
// cattle-global-data that the CR only names, and only the provider's own Secret is honoured.
import { createPrivateKey, X509Certificate } from 'node:crypto'
import type { SamlProvider } from '../../protocol/api/ext.ts'
import { mgmt, SECRET, type KubeClient } from '../../protocol/kube/index.ts'
import { parseIdpMetadata, SamlConfigError, type IdpMetadata } from './metadata.ts'

export const SECRET_NAMESPACE = 'cattle-global-data'
export const SP_KEY_KEY = 'spkey'

/** Norman type of each provider's AuthConfig, which also names its spKey Secret. */
export const CONFIG_TYPES: Record<SamlProvider, string> = {
  shibboleth: 'shibbolethConfig',
  keycloak: 'keyCloakConfig',
  okta: 'oktaConfig',
  ping: 'pingConfig',
  adfs: 'adfsConfig',
}

/** `cattle-global-data:shibbolethconfig-spkey`. */
export const spKeySecretRef = (provider: SamlProvider): string => `${SECRET_NAMESPACE}:${CONFIG_TYPES[provider].toLowerCase()}-${SP_KEY_KEY}`

export interface SamlSettings {
  idp: IdpMetadata
  uidField: string
  displayNameField: string
  userNameField: string
  groupsField: string
  /** PEM; both or neither. Needed only when the IdP wants signed AuthnRequests. */
  spCert: string
  spKey: string
}

const ATTRIBUTE = /^[\x21-\x7e]{1,256}$/

function field(fields: Record<string, unknown>, name: string, required: boolean): string {
  const value = fields[name]
  if (value === undefined || value === null || value === '') {
    if (required) throw new SamlConfigError(`${name} is required`)
    return ''
  }
  if (typeof value !== 'string') throw new SamlConfigError(`${name} must be a string`)
  return value
}

function attribute(fields: Record<string, unknown>, name: string, required: boolean): string {
  const value = field(fields, name, required)
  if (value && !ATTRIBUTE.test(value)) throw new SamlConfigError(`${name} must be an attribute name (printable, no spaces, at most 256 characters)`)
  return value
}

/** Checks and parses the fields (spKey in clear). */
export function parseSamlSettings(fields: Record<string, unknown>): SamlSettings {
  const idp = parseIdpMetadata(field(fields, 'idpMetadataContent', true))
  const spCert = field(fields, 'spCert', false)
  const spKey = field(fields, 'spKey', false)
  if (Boolean(spCert) !== Boolean(spKey)) throw new SamlConfigError('spCert and spKey go together: give both or neither')
  if (spCert) {
    let cert: X509Certificate
    try {
      cert = new X509Certificate(spCert)
    } catch {
      throw new SamlConfigError('spCert is not a PEM certificate')
    }
    let matches: boolean
    try {
      matches = cert.checkPrivateKey(createPrivateKey(spKey))
    } catch {
      throw new SamlConfigError('spKey is not a PEM private key')
    }
    if (!matches) throw new SamlConfigError('spKey is not the key of spCert')
  }
  if (idp.wantAuthnRequestsSigned && !spKey) throw new SamlConfigError('spCert and spKey are required: the IdP wants signed AuthnRequests')
  return {
    idp,
    uidField: attribute(fields, 'uidField', true),
    displayNameField: attribute(fields, 'displayNameField', false),
    userNameField: attribute(fields, 'userNameField', false),
    groupsField: attribute(fields, 'groupsField', false),
    spCert,
    spKey,
  }
}

interface StoredConfig {
  metadata: { name?: string }
  enabled?: boolean
  [field: string]: unknown
}

interface Secret {
  metadata: { name?: string }
  data?: Record<string, string>
}

async function storedSpKey(client: KubeClient, provider: SamlProvider): Promise<string> {
  const [namespace, name] = spKeySecretRef(provider).split(':') as [string, string]
  const value = (await client.find<Secret>(SECRET, name, namespace))?.data?.[SP_KEY_KEY]
  return value ? Buffer.from(value, 'base64').toString('utf8') : ''
}

/**
 * The settings to use: the candidate's, whose spKey (left out or still the stored reference) is the stored
 * one; otherwise the stored AuthConfig's, which must be enabled.
 */
export async function settingsFor(client: KubeClient, provider: SamlProvider, candidate: Record<string, unknown> | undefined): Promise<SamlSettings> {
  if (candidate) {
    const given = typeof candidate.spKey === 'string' && candidate.spKey !== spKeySecretRef(provider) ? candidate.spKey : ''
    return parseSamlSettings({ ...candidate, spKey: given || (candidate.spCert ? await storedSpKey(client, provider) : '') })
  }
  const cr = await client.find<StoredConfig>(mgmt('AuthConfig'), provider)
  if (!cr) throw new SamlConfigError(`auth provider ${provider} is not configured`)
  if (cr.enabled !== true) throw new SamlConfigError(`auth provider ${provider} is not enabled`)
  return parseSamlSettings({ ...cr, spKey: cr.spCert ? await storedSpKey(client, provider) : '' })
}
