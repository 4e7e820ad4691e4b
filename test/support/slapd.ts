// A throwaway OpenLDAP server (Debian's `slapd`) for the directory tests: its own slapd.conf, mdb database,
// test CA and serving certificate in a temp dir, on free loopback ports — plain LDAP (for StartTLS) and
// LDAPS. Nothing under /etc/ldap is written; the schema files there are only read.
//
// The directory is loaded over the wire with `ldapadd` after start (not `slapadd`), so the memberof
// overlay fills users' `memberOf` the way it does in a real deployment.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePorts } from '../../infra/dev-cluster/ports.ts'
import { generateServingPki } from '../../infra/dev-cluster/pki.ts'

export const BASE_DN = 'dc=example,dc=org'
export const PEOPLE = `ou=people,${BASE_DN}`
export const GROUPS = `ou=groups,${BASE_DN}`
export const SERVICE_ACCOUNT = { dn: `cn=reader,ou=system,${BASE_DN}`, password: 'reader-secret' }

/** Users of the test directory; `carol` is disabled (shadowFlag carries bit 2, the tests' disabled bit). */
export const USERS = {
  alice: { dn: `uid=alice,${PEOPLE}`, password: 'alice-secret', cn: 'Alice Liddell' },
  bob: { dn: `uid=bob,${PEOPLE}`, password: 'bob-secret', cn: 'Bob Builder' },
  carol: { dn: `uid=carol,${PEOPLE}`, password: 'carol-secret', cn: 'Carol Disabled' },
} as const

/** Groups: developers ⊂ admins ⊂ everyone (nested), ops holds bob directly. */
export const GROUP_DNS = {
  developers: `cn=developers,${GROUPS}`,
  admins: `cn=admins,${GROUPS}`,
  everyone: `cn=everyone,${GROUPS}`,
  ops: `cn=ops,${GROUPS}`,
} as const

export interface Slapd extends AsyncDisposable {
  /** Plain LDAP port (StartTLS upgrades on it). */
  port: number
  /** LDAPS port. */
  tlsPort: number
  /** The CA that signed slapd's serving certificate (SANs localhost and 127.0.0.1). */
  caPem: string
  /** Changes the directory as its administrator (`ldapmodify` with this LDIF), as an operator would. */
  modify(ldif: string): Promise<void>
  stop(): Promise<void>
}

/** Debian installs slapd in /usr/sbin, which is not on every user's PATH. */
const SLAPD = existsSync('/usr/sbin/slapd') ? '/usr/sbin/slapd' : 'slapd'

const ROOT = { dn: `cn=admin,${BASE_DN}`, password: 'root-secret' }

function slapdConf(dir: string): string {
  return `# throwaway test config, written by test/support/slapd.ts
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCACertificateFile ${dir}/ca.crt
TLSCertificateFile ${dir}/server.crt
TLSCertificateKeyFile ${dir}/server.key

database mdb
suffix "${BASE_DN}"
rootdn "${ROOT.dn}"
rootpw ${ROOT.password}
directory ${dir}/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
overlay memberof
`
}

function entries(): string {
  const person = (uid: keyof typeof USERS, extra = '') => {
    const u = USERS[uid]
    return `dn: ${u.dn}
objectClass: inetOrgPerson
objectClass: shadowAccount
uid: ${uid}
cn: ${u.cn}
sn: ${u.cn.split(' ')[1]}
userPassword: ${u.password}
${extra}`
  }
  const group = (name: keyof typeof GROUP_DNS, members: string[]) =>
    `dn: ${GROUP_DNS[name]}\nobjectClass: groupOfNames\ncn: ${name}\n${members.map((m) => `member: ${m}`).join('\n')}\n`
  return [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n`,
    `dn: ${PEOPLE}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ${GROUPS}\nobjectClass: organizationalUnit\nou: groups\n`,
    `dn: ou=system,${BASE_DN}\nobjectClass: organizationalUnit\nou: system\n`,
    `dn: ${SERVICE_ACCOUNT.dn}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: ${SERVICE_ACCOUNT.password}\n`,
    person('alice', 'shadowFlag: 0\n'),
    person('bob'),
    person('carol', 'shadowFlag: 2\n'),
    group('developers', [USERS.alice.dn, USERS.bob.dn]),
    group('admins', [GROUP_DNS.developers]),
    group('everyone', [GROUP_DNS.admins]),
    group('ops', [USERS.bob.dn]),
  ].join('\n')
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${stderr.trim()}`))))
  })
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

/** Waits for slapd to accept on both ports; false if it exited first (a port was taken: the caller retries). */
async function ready(child: ChildProcess, ports: number[]): Promise<boolean> {
  let exited = false
  child.once('exit', () => (exited = true))
  for (let i = 0; i < 200 && !exited; i++) {
    if ((await Promise.all(ports.map(canConnect))).every(Boolean)) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

/** Starts slapd with the test directory loaded. `await using` stops it and removes its files. */
export async function startSlapd(): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-slapd-'))
  try {
    const pki = await generateServingPki('slapd')
    writeFileSync(join(dir, 'ca.crt'), pki.caPem)
    writeFileSync(join(dir, 'server.crt'), pki.certPem)
    writeFileSync(join(dir, 'server.key'), pki.keyPem, { mode: 0o600 })
    writeFileSync(join(dir, 'slapd.conf'), slapdConf(dir))
    writeFileSync(join(dir, 'data.ldif'), entries())
    mkdirSync(join(dir, 'db'))
    for (let attempt = 0; ; attempt++) {
      const [port, tlsPort] = await freePorts(2)
      if (port === undefined || tlsPort === undefined) throw new Error('no free ports')
      const urls = `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`
      // -d keeps slapd in the foreground (our child, stopped with it); level 0 logs nothing.
      const child = spawn(SLAPD, ['-f', join(dir, 'slapd.conf'), '-h', urls, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
      if (!(await ready(child, [port, tlsPort]))) {
        await stopChild(child)
        if (attempt < 3) continue
        throw new Error(`slapd did not start: ${stderr.trim()}`)
      }
      const stop = async () => {
        await stopChild(child)
        rmSync(dir, { recursive: true, force: true })
      }
      try {
        await run('ldapadd', ['-x', '-H', `ldap://127.0.0.1:${port}/`, '-D', ROOT.dn, '-w', ROOT.password, '-f', join(dir, 'data.ldif')])
      } catch (err) {
        await stop()
        throw err
      }
      const modify = async (ldif: string) => {
        const file = join(dir, `change-${Date.now()}.ldif`)
        writeFileSync(file, ldif)
        await run('ldapmodify', ['-x', '-H', `ldap://127.0.0.1:${port}/`, '-D', ROOT.dn, '-w', ROOT.password, '-f', file])
      }
      return { port, tlsPort, caPem: pki.caPem, modify, stop, [Symbol.asyncDispose]: stop }
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}
