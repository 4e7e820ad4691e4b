// A throwaway SAML 2.0 IdP: Debian's simplesamlphp (1.19) under PHP's built-in server, with its own config
// dir (SIMPLESAMLPHP_CONFIG_DIR), signing key and certificate, an `exampleauth:UserPass` source whose users
// carry uid, displayName and groups, and saml20-sp-remote entries for the SPs a test names. Installed by
// .ci/run (`simplesamlphp`, `php-cli`).
import { spawn, execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const WWW = '/usr/share/simplesamlphp/www'

export const SAML_USERS = {
  alice: { password: 'alice-pass-1', uid: 'alice', displayName: 'Alice Example', groups: ['developers', 'ops'] },
  bob: { password: 'bob-pass-1', uid: 'bob', displayName: 'Bob Example', groups: ['everyone'] },
} as const

export interface SpEntry {
  entityId: string
  acsUrl: string
}

export interface SimpleSamlPhp extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** The IdP's entity ID (its metadata URL). */
  entityId: string
  /** The IdP's SAML 2.0 metadata XML, as an admin would paste it into `idpMetadataContent`. */
  metadata: string
}

const php = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise((r) => srv.close(r))
  return port
}

export async function startSimpleSamlPhp(sps: SpEntry[]): Promise<SimpleSamlPhp> {
  const dir = await mkdtemp(join(tmpdir(), 'drover-ssp-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  for (const d of ['config', 'metadata', 'cert', 'tmp', 'log', 'data', 'sessions']) await mkdir(join(dir, d))
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=drover-test-idp', '-days', '2', '-keyout', join(dir, 'cert', 'idp.key'), '-out', join(dir, 'cert', 'idp.crt')])
  const users = Object.values(SAML_USERS)
    .map((u) => `${php(`${u.uid}:${u.password}`)} => ['uid' => [${php(u.uid)}], 'displayName' => [${php(u.displayName)}], 'groups' => [${u.groups.map(php).join(', ')}]],`)
    .join('\n    ')
  await writeFile(join(dir, 'config', 'config.php'), `<?php
$config = [
  'baseurlpath' => ${php(`${url}/`)},
  'certdir' => ${php(join(dir, 'cert'))},
  'loggingdir' => ${php(join(dir, 'log'))},
  'datadir' => ${php(join(dir, 'data'))},
  'tempdir' => ${php(join(dir, 'tmp'))},
  'metadatadir' => ${php(join(dir, 'metadata'))},
  'secretsalt' => ${php(Math.random().toString(36).slice(2) + Date.now())},
  'auth.adminpassword' => ${php(Math.random().toString(36).slice(2))},
  'admin.protectindexpage' => false,
  'admin.protectmetadata' => false,
  'admin.checkforupdates' => false,
  'technicalcontact_email' => 'na@example.org',
  'timezone' => 'UTC',
  'enable.saml20-idp' => true,
  'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
  'store.type' => 'phpsession',
  'session.phpsession.savepath' => ${php(join(dir, 'sessions'))},
  'session.cookie.secure' => false,
  'session.cookie.samesite' => null,
  'logging.handler' => 'file',
  'logging.logfile' => 'simplesamlphp.log',
  'logging.level' => SimpleSAML\\Logger::INFO,
  'showerrors' => true,
  'errorreporting' => false,
  'language.available' => ['en'],
  'language.default' => 'en',
];
`)
  await writeFile(join(dir, 'config', 'authsources.php'), `<?php
$config = [
  'admin' => ['core:AdminPassword'],
  'example-userpass' => [
    'exampleauth:UserPass',
    ${users}
  ],
];
`)
  await writeFile(join(dir, 'metadata', 'saml20-idp-hosted.php'), `<?php
$metadata['__DYNAMIC:1__'] = [
  'host' => '__DEFAULT__',
  'privatekey' => 'idp.key',
  'certificate' => 'idp.crt',
  'auth' => 'example-userpass',
];
`)
  await writeFile(join(dir, 'metadata', 'saml20-sp-remote.php'), `<?php
${sps.map((sp) => `$metadata[${php(sp.entityId)}] = ['AssertionConsumerService' => ${php(sp.acsUrl)}];`).join('\n')}
`)
  const child = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', WWW], {
    env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: join(dir, 'config') },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const entityId = `${url}/saml2/idp/metadata.php`
    let metadata = ''
    for (let i = 0; i < 100 && !metadata; i++) {
      if (child.exitCode !== null) throw new Error(`php -S exited: ${stderr}`)
      const res = await fetch(entityId).catch(() => null)
      if (res?.status === 200) metadata = await res.text()
      else await new Promise((r) => setTimeout(r, 100))
    }
    if (!metadata.includes('IDPSSODescriptor')) {
      const log = await readFile(join(dir, 'log', 'simplesamlphp.log'), 'utf8').catch(() => '')
      throw new Error(`simplesamlphp served no IdP metadata: ${metadata.slice(0, 300)} ${stderr} ${log.slice(-2000)}`)
    }
    return { url, entityId, metadata, [Symbol.asyncDispose]: stop }
  } catch (err) {
    await stop()
    throw err
  }
}
