/**
 * A hole in a stream is more than three sample periods, and never less than 1.1 s (HR arrives at 1 Hz with
 * jitter). One rule for the model's windows (engine/windows) and the window features, so that a window the
 * model refuses as gapped is the window whose features are null.
 */
export function gapTolerance(rateHz: number): number {
  return Math.max(3000 / rateHz, 1100)
}
