/** Time and a repeating timer, injectable so that tests can drive live streams without waiting. */
export interface LiveClock {
  /** Epoch milliseconds. */
  now(): number
  /** Calls back every `intervalMs` until the returned function is called. */
  every(intervalMs: number, callback: () => void): () => void
}

export const systemClock: LiveClock = {
  now: () => Date.now(),
  every(intervalMs, callback) {
    const timer = setInterval(callback, intervalMs)
    // A live stream must not keep `emoheal serve` or a test process alive once everything else has ended.
    timer.unref?.()
    return () => clearInterval(timer)
  }
}
