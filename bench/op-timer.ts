/**
 * For profiling probes: times every TensorFlow op (and graph function) the native binding runs, by name, so a
 * probe can print where a step's native time goes. Graph functions are shown by the key they were built for.
 */
import * as tf from '@tensorflow/tfjs'
import { registeredFunctions } from '../src-main/engine/executors/graph-ops'

export interface OpTimer {
  /** Prints the `top` most costly ops per step over `steps` steps, and the total. */
  report(steps: number, top?: number): void
}

export function timeNativeOps(): OpTimer {
  const times = new Map<string, { ms: number; calls: number }>()
  const backend = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>
  for (const method of ['executeSingleOutput', 'executeMultipleOutputs']) {
    const original = backend[method].bind(backend)
    backend[method] = (...args: unknown[]) => {
      const started = performance.now()
      try {
        return original(...args)
      } finally {
        const name = args[0] as string
        const entry = times.get(name) ?? { ms: 0, calls: 0 }
        entry.ms += performance.now() - started
        entry.calls++
        times.set(name, entry)
      }
    }
  }
  return {
    report(steps, top = 30) {
      const keys = registeredFunctions()
      const ops = [...times].sort((a, b) => b[1].ms - a[1].ms)
      for (const [name, entry] of ops.slice(0, top)) {
        const label = (keys.get(name) ?? name).slice(0, 60).padEnd(60)
        const perStep = (entry.ms / steps).toFixed(2).padStart(7)
        const calls = (entry.calls / steps).toFixed(1).padStart(6)
        console.log(
          `${label} ${perStep} ms/step ${calls} calls/step ${((1000 * entry.ms) / entry.calls).toFixed(0).padStart(6)} us/call`
        )
      }
      const total = ops.reduce((sum, [, entry]) => sum + entry.ms, 0) / steps
      console.log(`native ops and functions: ${total.toFixed(1)} ms/step`)
    }
  }
}
