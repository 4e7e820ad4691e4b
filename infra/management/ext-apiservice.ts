// How the management cluster's aggregator reaches the extension API server: `APIService v1.ext.cattle.io`
// and the Service it names. kube-apiserver (without --enable-aggregator-routing) sends an APIService's
// requests to its Service's cluster IP, or, for an ExternalName Service, to `externalName:<APIService
// port>` (ResolveCluster in k8s.io/apiserver's util/proxy) — which lets a dev cluster, whose apiserver runs
// on this machine, reach an ext server that is a local process. It verifies the server's certificate for
// `<service>.<namespace>.svc` against the APIService's caBundle.
import { EXT_APISERVICE, EXT_GROUP, EXT_VERSION } from '../../protocol/api/ext.ts'

const labels = { 'app.kubernetes.io/managed-by': 'drover', 'app.kubernetes.io/part-of': 'drover' }

export const EXT_SERVICE = { namespace: 'cattle-system', name: 'drover-ext-apiserver' } as const
/** The container port of the ext server's pods (its `--listen` there). */
export const EXT_CONTAINER_PORT = 8443

export interface ExtApiServiceOptions {
  /** PEM of the CA the ext server's serving certificate chains to. */
  caPem: string
  namespace?: string
  /** A local process on this port (dev clusters, tests): an ExternalName Service to `localhost`. Else a ClusterIP Service selecting the ext server's pods. */
  localPort?: number
}

/** The names the ext server's serving certificate must hold (the aggregator checks the first). */
export function extServingNames(namespace: string = EXT_SERVICE.namespace): string[] {
  return [`${EXT_SERVICE.name}.${namespace}.svc`, `${EXT_SERVICE.name}.${namespace}.svc.cluster.local`]
}

/** The Service, then the APIService (in that order: the aggregator resolves the Service when it syncs). */
export function extApiServiceManifests(opts: ExtApiServiceOptions): object[] {
  const namespace = opts.namespace ?? EXT_SERVICE.namespace
  const port = opts.localPort ?? 443
  const spec = opts.localPort
    ? { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port, protocol: 'TCP' }] }
    : {
        type: 'ClusterIP',
        selector: { 'app.kubernetes.io/name': EXT_SERVICE.name },
        ports: [{ name: 'https', port, targetPort: EXT_CONTAINER_PORT, protocol: 'TCP' }],
      }
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: EXT_SERVICE.name, namespace, labels }, spec },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: EXT_APISERVICE, labels },
      spec: {
        group: EXT_GROUP,
        version: EXT_VERSION,
        service: { namespace, name: EXT_SERVICE.name, port },
        caBundle: Buffer.from(opts.caPem).toString('base64'),
        // ext.cattle.io has this one version and one server: the priorities only order it in discovery,
        // after the built-in groups.
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  ]
}
