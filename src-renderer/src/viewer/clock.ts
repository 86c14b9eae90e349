const formats = new Map<string, Intl.DateTimeFormat>()

function formatFor(timeZone: string, fraction: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${fraction}`
  let format = formats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      ...(fraction ? { fractionalSecondDigits: 3 } : {})
    })
    formats.set(key, format)
  }
  return format
}

/** Wall-clock time of day in the session's zone; with milliseconds when the view is short enough to need them. */
export function clockTime(epochMs: number, timeZone: string, withMilliseconds = false): string {
  return formatFor(timeZone, withMilliseconds).format(new Date(epochMs))
}

/** A signed duration for offsets: "+2.50 s", "−1.00 s". */
export function signedSeconds(ms: number): string {
  const text = (Math.abs(ms) / 1000).toFixed(2)
  return `${ms < 0 ? '−' : '+'}${text} s`
}
