import { hostname } from 'node:os'

/** Who owns a long-running row (a training run, a recording): this process, as stored with the row. */
export function currentOwner(): { pid: number; host: string } {
  return { pid: process.pid, host: hostname() }
}

/**
 * Whether the process that owned a row has certainly ended: on this host its pid is gone. A row from another
 * host (a study on a shared folder) is left alone unless it has no owner at all.
 */
export function ownerIsGone(pid: number | null, host: string | null): boolean {
  if (pid === null || host !== hostname()) return pid === null
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
