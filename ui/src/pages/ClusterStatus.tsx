// One cluster followed live (`/v1/subscribe` with its id), with its registration commands: what the import
// page shows after creating a cluster, and what a cluster's own page shows until the explorer lands.
import { useEffect, useState } from 'preact/hooks'
import { CLUSTER_TYPE } from '../api/capabilities.ts'
import { clusterName, clusterState, condition, type ClusterResource } from '../api/clusters.ts'
import { errorText, get, HttpError } from '../api/http.ts'
import { watch } from '../api/live.ts'
import { CopyButton } from '../components/CopyButton.tsx'
import { Link } from '../router.tsx'

interface RegistrationToken {
  command?: string
  insecureCommand?: string
  manifestUrl?: string
}

/** The cluster's registration token, which the controller runner creates shortly after the cluster. */
function useRegistration(id: string): { token?: RegistrationToken; error?: string } {
  const [state, setState] = useState<{ token?: RegistrationToken; error?: string }>({})
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let stopped = false
    const poll = async () => {
      try {
        const list = await get<{ data?: RegistrationToken[] }>(`/v3/clusterregistrationtokens?clusterId=${encodeURIComponent(id)}`)
        const token = list.data?.find((t) => t.command)
        if (token) return !stopped && setState({ token })
      } catch (e) {
        // Only cluster owners read registration tokens: others see the cluster without them.
        if (e instanceof HttpError && (e.status === 403 || e.status === 404)) return !stopped && setState({ error: 'You may not read this cluster’s registration commands.' })
        if (!stopped) setState({ error: errorText(e) })
      }
      if (!stopped) timer = setTimeout(poll, 1000)
    }
    void poll()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [id])
  return state
}

function useCluster(id: string): { cluster?: ClusterResource; error?: string } {
  const [state, setState] = useState<{ cluster?: ClusterResource; error?: string }>({})
  useEffect(() => {
    let stopped = false
    const read = () =>
      get<ClusterResource>(`/v1/management.cattle.io.clusters/${encodeURIComponent(id)}`)
        .then((cluster) => !stopped && setState({ cluster }))
        .catch((e) => !stopped && setState({ error: errorText(e) }))
    void read()
    const stop = watch(
      { resourceType: CLUSTER_TYPE, id },
      {
        event(e) {
          if (e.name === 'resource.remove') setState({ error: `cluster ${id} was removed` })
          else setState({ cluster: e.data as ClusterResource })
        },
        resync: () => void read(),
      },
    )
    return () => {
      stopped = true
      stop()
    }
  }, [id])
  return state
}

function Command(props: { id: string; label: string; text: string; hint?: string }) {
  return (
    <div class="command">
      <h3 id={props.id}>{props.label}</h3>
      {props.hint && <p class="hint">{props.hint}</p>}
      <pre aria-labelledby={props.id} tabIndex={0}><code>{props.text}</code></pre>
      <CopyButton text={props.text} label={`Copy: ${props.label}`} />
    </div>
  )
}

export function ClusterStatus(props: { id: string; showRegistration: boolean }) {
  const { cluster, error } = useCluster(props.id)
  const registration = useRegistration(props.id)
  const state = cluster ? clusterState(cluster) : undefined
  return (
    <div class="cluster-status">
      <p class="state-line" role="status" aria-live="polite">
        {cluster ? (
          <>
            <strong>{clusterName(cluster)}</strong> is <span class={`badge state-${state}`} data-state={state}>{state}</span>
            {state !== 'active' && (condition(cluster, 'Ready')?.message ? ` — ${condition(cluster, 'Ready')!.message}` : '')}
          </>
        ) : (
          error ?? 'Loading…'
        )}
      </p>
      {state === 'active' && (
        <p>
          Its agent is connected and the cluster is ready. <Link href="/clusters">All clusters</Link>
        </p>
      )}
      {props.showRegistration && state !== 'active' && (
        <section aria-labelledby="register-heading">
          <h2 id="register-heading">Register the cluster</h2>
          <p>Run this with kubectl against the cluster to import: it installs drover’s agent, which dials out to this server. This page follows the cluster to Active by itself.</p>
          {registration.token?.command ? (
            <>
              <Command id="cmd-secure" label="kubectl apply" text={registration.token.command} />
              {registration.token.insecureCommand && (
                <Command id="cmd-insecure" label="Without checking this server’s certificate" hint="When the cluster does not trust this server’s CA (a private or self-signed certificate)." text={registration.token.insecureCommand} />
              )}
            </>
          ) : (
            <p role="status">{registration.error ?? 'Waiting for the registration token…'}</p>
          )}
        </section>
      )}
    </div>
  )
}
