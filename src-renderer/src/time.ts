/** Wall-clock text of an instant in a given IANA zone; `forInput` gives the datetime-local input format. */
export function formatInZone(epochMs: number, timeZone: string, forInput = false): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23'
  }).formatToParts(new Date(epochMs))
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00'
  const date = `${get('year')}-${get('month')}-${get('day')}`
  const time = `${get('hour')}:${get('minute')}:${get('second')}`
  return forInput ? `${date}T${time}` : `${date} ${time}`
}

/** Epoch ms of a wall-clock time (datetime-local text) in a given zone, or null if the text is not a time. */
export function localInputToEpoch(text: string, timeZone: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text)
  if (!match) return null
  const [, y, mo, d, h, mi, s] = match.map(Number)
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s || 0)
  // The zone's offset at that instant: format the UTC guess in the zone and correct by the difference (twice, for DST edges).
  let guess = asUtc
  for (let i = 0; i < 2; i++) {
    const shown = Date.parse(`${formatInZone(guess, timeZone, true)}Z`)
    guess += asUtc - shown
  }
  return guess
}
