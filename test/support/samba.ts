// A throwaway Samba Active Directory domain controller (Debian's `samba`) for the AD login tests: a domain
// provisioned into a temp dir with its own smb.conf, state, lock, cache, pid and private dirs, serving only
// LDAP. Nothing under /etc/samba or /var/lib/samba is written.
//
// AD's LDAP ports are fixed (389 and 636; smb.conf has no setting for them), so each instance listens on
// its own loopback address 127.0.0.N instead of on free ports. The serving certificate is our own, with
// that address as its IP SAN: Samba's self-made one names only the host (no SAN), which a client that
// checks names cannot accept for an address. Simple binds stay refused without TLS (Samba's default
// `ldap server require strong auth`): the tests use LDAPS and StartTLS.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const REALM = 'DROVER.TEST'
export const NETBIOS_DOMAIN = 'DROVER'
export const BASE_DN = 'DC=drover,DC=test'
export const USERS_DN = `CN=Users,${BASE_DN}`

/** The built-in domain administrator (its password is set at provisioning). */
export const ADMINISTRATOR = { sam: 'Administrator', password: 'Admin-Secret-1' }
/** An ordinary Domain User: AD lets any authenticated user read users and groups. */
export const SERVICE_ACCOUNT = { sam: 'svc-reader', password: 'Reader-Secret-1' }

/** Users (CN "Given Surname", as samba-tool names them); `carol` is disabled. */
export const USERS = {
  alice: { sam: 'alice', password: 'Alice-Secret-1', given: 'Alice', surname: 'Liddell', dn: `CN=Alice Liddell,${USERS_DN}` },
  bob: { sam: 'bob', password: 'Bob-Secret-1', given: 'Bob', surname: 'Builder', dn: `CN=Bob Builder,${USERS_DN}` },
  carol: { sam: 'carol', password: 'Carol-Secret-1', given: 'Carol', surname: 'Disabled', dn: `CN=Carol Disabled,${USERS_DN}` },
} as const

/** Groups: developers ⊂ admins ⊂ everyone (nested); alice and bob in developers, bob also in ops. */
export const GROUP_DNS = {
  developers: `CN=developers,${USERS_DN}`,
  admins: `CN=admins,${USERS_DN}`,
  everyone: `CN=everyone,${USERS_DN}`,
  ops: `CN=ops,${USERS_DN}`,
} as const

export interface SambaDc extends AsyncDisposable {
  /** The loopback address Samba listens on (LDAP 389, LDAPS 636). */
  host: string
  /** The CA that signed the serving certificate (IP SAN `host`). */
  caPem: string
  stop(): Promise<void>
}

const SAMBA = existsSync('/usr/sbin/samba') ? '/usr/sbin/samba' : 'samba'
const SAMBA_TOOL = existsSync('/usr/bin/samba-tool') ? '/usr/bin/samba-tool' : 'samba-tool'
const execFileP = promisify(execFile)

function log(message: string): void {
  process.stderr.write(`[samba] ${message}\n`)
}

async function run(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { maxBuffer: 16 << 20 })
    return stdout
  } catch (err) {
    const e = err as { code?: unknown; stderr?: string; message: string }
    if (e.code === 'ENOENT') throw new Error(`${cmd} not found: the Active Directory tests need Samba (apt-get install samba)`)
    throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${(e.stderr || e.message).trim().split('\n').slice(-5).join('\n')}`)
  }
}

function paths(dir: string) {
  return {
    conf: join(dir, 'smb.conf'),
    private: join(dir, 'private'),
    state: join(dir, 'state'),
    cache: join(dir, 'cache'),
    lock: join(dir, 'lock'),
    pid: join(dir, 'run'),
    ncalrpc: join(dir, 'ncalrpc'),
    binddns: join(dir, 'bind-dns'),
    winbindd: join(dir, 'winbindd'),
    tls: join(dir, 'tls'),
  }
}

/** The whole server config: only the LDAP service, every path inside `dir`, one loopback address. */
function smbConf(dir: string, host: string): string {
  const p = paths(dir)
  return `# throwaway test config, written by test/support/samba.ts
[global]
	netbios name = DC1
	realm = ${REALM}
	workgroup = ${NETBIOS_DOMAIN}
	server role = active directory domain controller
	server services = ldap
	interfaces = ${host}/8
	bind interfaces only = yes
	private dir = ${p.private}
	state directory = ${p.state}
	cache directory = ${p.cache}
	lock directory = ${p.lock}
	pid directory = ${p.pid}
	ncalrpc dir = ${p.ncalrpc}
	binddns dir = ${p.binddns}
	winbindd socket directory = ${p.winbindd}
	log file = ${join(dir, 'log.%m')}
	tls enabled = yes
	tls keyfile = ${join(p.tls, 'server.key')}
	tls certfile = ${join(p.tls, 'server.crt')}
	tls cafile = ${join(p.tls, 'ca.crt')}

# Provisioning insists on these shares; nothing serves them (no smb service).
[sysvol]
	path = ${join(p.state, 'sysvol')}
	read only = no

[netlogon]
	path = ${join(p.state, 'sysvol', REALM.toLowerCase(), 'scripts')}
	read only = no
`
}

/** A CA and a serving certificate for `host` (openssl: Samba's GnuTLS reads its PEM files as they are). */
async function writePki(tls: string, host: string): Promise<string> {
  const f = (name: string) => join(tls, name)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  await run('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=drover-samba-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  await run('openssl', ['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${host}`])
  writeFileSync(f('server.ext'), `subjectAltName=IP:${host}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`)
  await run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('server.ext'), '-out', f('server.crt')])
  return readFileSync(f('ca.crt'), 'utf8')
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host)
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

/** A loopback address on which nothing listens on the LDAP ports yet (another Samba may hold some). */
async function freeLoopback(): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const host = `127.0.0.${2 + Math.floor(Math.random() * 250)}`
    if (!(await canConnect(host, 389)) && !(await canConnect(host, 636))) return host
  }
  throw new Error('no loopback address with ports 389 and 636 free')
}

async function ready(child: ChildProcess, host: string): Promise<boolean> {
  let exited = false
  child.once('exit', () => (exited = true))
  for (let i = 0; i < 600 && !exited; i++) {
    if ((await canConnect(host, 389)) && (await canConnect(host, 636))) return true
    await new Promise((r) => setTimeout(r, 100))
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

/** Creates the test users and groups offline (samba-tool writes sam.ldb directly; no server needed). */
async function populate(conf: string): Promise<void> {
  const tool = (...args: string[]) => run(SAMBA_TOOL, [...args, '-s', conf])
  await tool('user', 'add', SERVICE_ACCOUNT.sam, SERVICE_ACCOUNT.password, '--use-username-as-cn')
  for (const u of Object.values(USERS)) await tool('user', 'add', u.sam, u.password, `--given-name=${u.given}`, `--surname=${u.surname}`)
  await tool('user', 'disable', USERS.carol.sam)
  for (const g of Object.keys(GROUP_DNS)) await tool('group', 'add', g)
  await tool('group', 'addmembers', 'developers', `${USERS.alice.sam},${USERS.bob.sam}`)
  await tool('group', 'addmembers', 'ops', USERS.bob.sam)
  await tool('group', 'addmembers', 'admins', 'developers')
  await tool('group', 'addmembers', 'everyone', 'admins')
}

/** Provisions a domain, starts Samba on it, fills it. `await using` stops it and removes its files. */
export async function startSamba(): Promise<SambaDc> {
  if (!existsSync(SAMBA) && !process.env.PATH?.split(':').some((d) => existsSync(join(d, 'samba')))) {
    throw new Error('samba not found: the Active Directory tests need a Samba AD DC (apt-get install samba)')
  }
  const dir = mkdtempSync(join(tmpdir(), 'drover-samba-'))
  let child: ChildProcess | undefined
  const stop = async () => {
    if (child) await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const p = paths(dir)
    for (const d of [p.private, p.state, p.cache, p.lock, p.pid, p.ncalrpc, p.binddns, p.winbindd, p.tls]) mkdirSync(d, { recursive: true })
    const host = await freeLoopback()
    const caPem = await writePki(p.tls, host)
    writeFileSync(p.conf, smbConf(dir, host))
    const started = Date.now()
    log(`provisioning ${REALM} in ${dir}`)
    // Provisioning keeps an existing smb.conf's paths and settings (it only checks the role and realm).
    await run(SAMBA_TOOL, ['domain', 'provision', '-s', p.conf, `--realm=${REALM}`, `--domain=${NETBIOS_DOMAIN}`, '--server-role=dc',
      '--dns-backend=NONE', '--host-name=dc1', `--adminpass=${ADMINISTRATOR.password}`])
    log(`provisioned in ${Date.now() - started} ms; adding users and groups`)
    await populate(p.conf)
    log(`populated after ${Date.now() - started} ms; starting samba on ${host}`)
    // Foreground, one process (no prefork workers to chase), logging to its own files in dir.
    child = spawn(SAMBA, ['--foreground', '--no-process-group', '-M', 'single', '-s', p.conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    if (!(await ready(child, host))) throw new Error(`samba did not start listening on ${host}:389/636: ${stderr.trim().split('\n').slice(-10).join('\n')}`)
    log(`ready after ${Date.now() - started} ms`)
    return { host, caPem, stop, [Symbol.asyncDispose]: stop }
  } catch (err) {
    await stop()
    throw err
  }
}
