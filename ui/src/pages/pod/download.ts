// Saves text as a file through a Blob URL and an anchor's `download`: no request leaves the page, and
// no CSP directive governs it (the strict policy in ui/public/_headers needs nothing added).
export function downloadText(filename: string, text: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.hidden = true
  document.body.append(a)
  a.click()
  a.remove()
  // The download has taken the Blob by the next task.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
