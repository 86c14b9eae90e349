import type { LiveClock } from '../../src-main/devices/clock'

/** A clock tests move by hand: advance() fires every timer due, in time order, at its own time. */
export class ManualClock implements LiveClock {
  private timers: { id: number; intervalMs: number; nextMs: number; callback: () => void }[] = []
  private nextId = 1

  constructor(public time: number) {}

  now(): number {
    return this.time
  }

  every(intervalMs: number, callback: () => void): () => void {
    const id = this.nextId++
    this.timers.push({ id, intervalMs, nextMs: this.time + intervalMs, callback })
    return () => {
      this.timers = this.timers.filter((timer) => timer.id !== id)
    }
  }

  get timerCount(): number {
    return this.timers.length
  }

  advance(ms: number): void {
    const until = this.time + ms
    for (;;) {
      const due = this.timers
        .filter((timer) => timer.nextMs <= until)
        .sort((a, b) => a.nextMs - b.nextMs || a.id - b.id)[0]
      if (!due) break
      this.time = due.nextMs
      due.nextMs += due.intervalMs
      due.callback()
    }
    this.time = until
  }
}
