// The terminal emulator, loaded only when a shell page opens (a dynamic import: xterm.js stays out of the
// first visit's bundle). Its stylesheet comes in as a file through Vite (`style-src 'self'`).
//
// The strict CSP and xterm's own <style> elements: xterm's DOM renderer and viewport each append a
// <style> element and write rules into it (colours, font, cell sizes), which `style-src 'self'` refuses
// as inline style. Rather than allowing 'unsafe-inline', the three are created as stand-ins while the
// terminal opens (that is when xterm makes them): empty fragments (appending one appends nothing) whose
// text goes into a constructed stylesheet adopted by the document. Constructed stylesheets are CSSOM,
// which the CSP does not govern, so the rules apply and the browser reports no violation.
import { FitAddon } from '@xterm/addon-fit'
import { Terminal } from '@xterm/xterm'
import '@xterm/xterm/css/xterm.css'

function adoptedStyle(doc: Document): DocumentFragment {
  const sheet = new CSSStyleSheet()
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet]
  let text = ''
  const stand = doc.createDocumentFragment()
  Object.defineProperty(stand, 'textContent', {
    get: () => text,
    set: (v: string) => {
      text = v
      sheet.replaceSync(v)
    },
  })
  Object.defineProperty(stand, 'remove', { value: () => (doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet)) })
  return stand
}

/** Runs `fn` with `doc.createElement('style')` answering CSSOM-backed stand-ins. */
function withAdoptedStyles<T>(doc: Document, fn: () => T): T {
  const create = doc.createElement
  doc.createElement = function (this: Document, tag: string, options?: ElementCreationOptions) {
    if (tag.toLowerCase() === 'style') return adoptedStyle(doc) as unknown as HTMLElement
    return create.call(this, tag, options)
  } as typeof doc.createElement
  try {
    return fn()
  } finally {
    delete (doc as unknown as Record<string, unknown>).createElement
  }
}

export interface OpenTerminal {
  term: Terminal
  /** Fits the terminal to its element; returns the size it now has. */
  fit(): { cols: number; rows: number }
  dispose(): void
}

export function openTerminal(el: HTMLElement): OpenTerminal {
  const term = new Terminal({
    cursorBlink: true,
    convertEol: false,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: { background: '#1b1f24', foreground: '#e6edf3' },
  })
  const fit = new FitAddon()
  term.loadAddon(fit)
  withAdoptedStyles(el.ownerDocument, () => term.open(el))
  return {
    term,
    fit() {
      fit.fit()
      return { cols: term.cols, rows: term.rows }
    },
    dispose: () => term.dispose(),
  }
}
