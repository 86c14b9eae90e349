/**
 * The IANA zone of a fixed offset from UTC, as a session's time zone must be one (EDF export and the viewer
 * format local times with it). Whole hours have an Etc/GMT zone, whose sign is inverted by POSIX convention
 * (UTC+1 is Etc/GMT-1); other offsets (UTC+5:30) have none, and the session stays in UTC.
 */
export function timezoneName(offsetS: number): { name: string; approximate: boolean } {
  if (offsetS === 0) return { name: 'UTC', approximate: false }
  const hours = offsetS / 3600
  if (Number.isInteger(hours) && hours >= -12 && hours <= 14)
    return { name: `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`, approximate: false }
  return { name: 'UTC', approximate: true }
}
