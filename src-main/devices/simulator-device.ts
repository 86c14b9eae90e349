import type { SimulatorSettings } from '../ipc/contract/record'
import type { LiveClock } from './clock'
import type { DeviceDescription, DeviceSink, SensorDevice } from './device'
import { SIMULATOR_STREAMS, SimulatedWristband } from './simulator'

/** The simulated wristband as a device, so that it records like any other (and needs no port). */
export class SimulatorDevice implements SensorDevice {
  readonly protocol = 'simulator'
  readonly path = 'simulator'
  private wristband: SimulatedWristband | null = null

  constructor(
    private readonly settings: SimulatorSettings,
    private readonly options: { clock?: LiveClock } = {}
  ) {}

  open(): Promise<void> {
    return Promise.resolve()
  }

  configure(): Promise<DeviceDescription> {
    return Promise.resolve({
      streams: SIMULATOR_STREAMS.map((stream) => ({ ...stream, channels: [...stream.channels] })),
      info: {
        device: 'simulated E4-like wristband',
        ...(this.settings.seed !== undefined ? { seed: this.settings.seed } : {})
      }
    })
  }

  start(sink: DeviceSink): Promise<void> {
    const wristband = new SimulatedWristband({ seed: this.settings.seed, clock: this.options.clock })
    this.wristband = wristband
    wristband.start((chunks) => {
      for (const chunk of chunks) {
        const deviceMs = new Float64Array(chunk.times.length)
        for (let i = 0; i < deviceMs.length; i++) deviceMs[i] = chunk.times[i] - wristband.startedMs
        sink({ kind: 'samples', stream: chunk.stream, deviceMs, values: chunk.values })
      }
    })
    return Promise.resolve()
  }

  stop(): Promise<void> {
    this.wristband?.stop()
    this.wristband = null
    return Promise.resolve()
  }

  close(): Promise<void> {
    return this.stop()
  }
}
