import type { Agent } from 'node:http'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { getProxyForUrl } from 'proxy-from-env'

/**
 * The proxy agent for reaching `url` (an http(s) URL) per HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and
 * NO_PROXY, or undefined for a direct connection. Both ws:// and wss:// go through CONNECT.
 */
export function proxyAgentFor(url: URL): Agent | undefined {
  const proxy = getProxyForUrl(url.href)
  return proxy ? new HttpsProxyAgent(proxy) : undefined
}

/** The proxy URL without credentials, for logs. */
export function describeProxy(url: URL): string | undefined {
  const proxy = getProxyForUrl(url.href)
  if (!proxy) return undefined
  try {
    const p = new URL(proxy)
    return `${p.protocol}//${p.host}`
  } catch {
    return '(unparsable proxy URL)'
  }
}
