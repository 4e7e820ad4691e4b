import { useState } from 'preact/hooks'

/** Copies `text`, and says so where screen readers hear it. */
export function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState<'' | 'Copied' | 'Copy failed: select the text and copy it'>('')
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text)
      setDone('Copied')
    } catch {
      setDone('Copy failed: select the text and copy it')
    }
  }
  return (
    <span class="copy">
      <button type="button" onClick={copy} aria-label={props.label}>Copy</button>
      <span role="status" class="copy-status">{done}</span>
    </span>
  )
}
