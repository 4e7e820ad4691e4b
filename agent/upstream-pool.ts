import { Pool } from 'undici'
import type { UpstreamTarget } from '../node/kube/credentials.ts'

/**
 * The agent's connections for plain (non-upgrade) requests to its kube-apiserver: an undici Pool, reused
 * while the credentials' TLS material stays the same (the credentials hand out the same keep-alive agent
 * object until it changes). undici writes a request head with one buffer and parses responses with its
 * own llhttp instance, without node:http's per-request objects; measured in bench:proxy.
 */
export class UpstreamPools {
  private pools = new WeakMap<UpstreamTarget['agent'], Pool>()
  private latest?: Pool

  constructor(private readonly connectTimeoutMs: number) {}

  for(target: UpstreamTarget): Pool {
    const known = this.pools.get(target.agent)
    if (known) return known
    const pool = new Pool(target.url.origin, {
      // The credentials' TLS options hold only what the kubeconfig sets.
      connect: { ...target.tls, timeout: this.connectTimeoutMs },
      // Watches and logs may be silent for as long as they like; the edge's cancel ends them.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
      // HTTP/1.1: undici's HTTP/2 joins a repeated request header into one comma-separated field, which
      // would turn the groups ["ops,night", "dev"] into other groups for the apiserver's impersonation.
      allowH2: false,
    })
    // A replaced pool finishes what it carries (watches may run for hours) and then closes.
    void this.latest?.close().catch(() => {})
    this.latest = pool
    this.pools.set(target.agent, pool)
    return pool
  }
}
