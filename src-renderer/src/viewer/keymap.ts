export type ViewerAction =
  | 'pan-left'
  | 'pan-right'
  | 'page-left'
  | 'page-right'
  | 'zoom-in'
  | 'zoom-out'
  | 'zoom-all'
  | 'toggle-annotate'
  | 'add-marker'
  | 'delete-selected'
  | 'undo'
  | 'redo'
  | 'deselect'
  | 'nudge-left'
  | 'nudge-right'
  | `arousal-${1 | 2 | 3 | 4 | 5}`
  | `valence-${1 | 2 | 3 | 4 | 5}`

/** Keys the Annotate page answers to; the page lists these so the documentation cannot drift from the behaviour. */
export const SHORTCUTS: { keys: string; action: string }[] = [
  { keys: '← / →', action: 'pan by a tenth of the view' },
  { keys: 'Shift + ← / →', action: 'pan by a whole view' },
  { keys: '+ / −  or  mouse wheel', action: 'zoom in / out (the wheel zooms around the pointer)' },
  { keys: '0', action: 'show the whole session' },
  { keys: 'drag', action: 'pan (in annotate mode: draw a region)' },
  { keys: 'Shift + drag', action: 'draw a region in any mode' },
  { keys: 'A', action: 'switch between pan and annotate mode' },
  { keys: 'M', action: 'add a point marker at the cursor' },
  { keys: '1 … 5', action: 'set arousal of the selected region' },
  { keys: 'Shift + 1 … 5', action: 'set valence of the selected region' },
  { keys: '[ / ]', action: 'move the selected region or marker by one second' },
  { keys: 'Delete / Backspace', action: 'delete the selected region or marker' },
  { keys: 'Ctrl + Z', action: 'undo' },
  { keys: 'Ctrl + Shift + Z  or  Ctrl + Y', action: 'redo' },
  { keys: 'Esc', action: 'clear the selection' },
  { keys: 'drag a report track', action: 'shift the report timeline (alignment offset)' }
]

export interface KeyInput {
  key: string
  code?: string
  shiftKey: boolean
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
}

/** The action for a key press, or null when the viewer should leave it alone. */
export function actionForKey(event: KeyInput): ViewerAction | null {
  const command = event.ctrlKey || event.metaKey
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key
  if (command) {
    if (key === 'z') return event.shiftKey ? 'redo' : 'undo'
    if (key === 'y') return 'redo'
    return null
  }
  if (event.altKey) return null
  // Shift+digit gives '!' '@' ... on most layouts: the physical key code says which digit it was.
  const digit = /^Digit([1-5])$/.exec(event.code ?? '')?.[1] ?? (/^[1-5]$/.test(key) ? key : null)
  if (digit)
    return event.shiftKey ? (`valence-${digit}` as ViewerAction) : (`arousal-${digit}` as ViewerAction)
  switch (key) {
    case 'ArrowLeft':
      return event.shiftKey ? 'page-left' : 'pan-left'
    case 'ArrowRight':
      return event.shiftKey ? 'page-right' : 'pan-right'
    case '+':
    case '=':
      return 'zoom-in'
    case '-':
    case '_':
      return 'zoom-out'
    case '0':
      return 'zoom-all'
    case 'a':
      return 'toggle-annotate'
    case 'm':
      return 'add-marker'
    case 'Delete':
    case 'Backspace':
      return 'delete-selected'
    case 'Escape':
      return 'deselect'
    case '[':
      return 'nudge-left'
    case ']':
      return 'nudge-right'
    default:
      return null
  }
}
