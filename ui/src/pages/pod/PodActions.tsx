// For other pages (the explorer's pod rows and pod details): links to a pod's logs and shell. Use
//   <PodActions cluster={clusterId} namespace={ns} name={podName} />
// (optional `container`); the pages are at /c/<cluster>/pods/<namespace>/<name>/logs and …/shell
// (paths.ts has podLogsPath and podShellPath for links of your own).
import { Link } from '../../router.tsx'
import { podLogsPath, podShellPath } from './paths.ts'
import './pod.css'

export function PodActions(props: { cluster: string; namespace: string; name: string; container?: string }) {
  const { cluster, namespace, name, container } = props
  return (
    <span class="pod-actions">
      <Link href={podLogsPath(cluster, namespace, name, container)}>
        Logs<span class="visually-hidden"> of {name}</span>
      </Link>
      <Link href={podShellPath(cluster, namespace, name, container)}>
        Shell<span class="visually-hidden"> in {name}</span>
      </Link>
    </span>
  )
}
