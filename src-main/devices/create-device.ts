import type { LiveClock } from './clock'
import type { DeviceSettings } from '../ipc/contract/record'
import { BitalinoDevice } from './bitalino/bitalino-device'
import type { DeviceOptions, SensorDevice } from './device'
import { LinesDevice } from './lines/lines-device'
import { Shimmer3Device } from './shimmer3/shimmer3-device'
import { SimulatorDevice } from './simulator-device'

export type DeviceFactory = (settings: DeviceSettings) => SensorDevice

/** Makes the device its settings name; one per connection: after a disconnect a new one is made. */
export function deviceFactory(options: DeviceOptions & { clock?: LiveClock } = {}): DeviceFactory {
  return (settings) => {
    switch (settings.protocol) {
      case 'bitalino':
        return new BitalinoDevice(settings, options)
      case 'shimmer3':
        return new Shimmer3Device(settings, options)
      case 'lines':
        return new LinesDevice(settings, options)
      case 'simulator':
        return new SimulatorDevice(settings, { clock: options.clock })
    }
  }
}
