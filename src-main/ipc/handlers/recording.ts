import type { HandlerMap } from '../handler'
import type { recordCalls } from '../contract/record'
import type { RecordingService } from '../../recording/recording-service'

export function recordHandlers(recording: RecordingService): HandlerMap<keyof typeof recordCalls> {
  return {
    'devices.list': () => recording.listPorts(),
    'record.start': (args) => recording.start(args),
    'record.stop': () => recording.stop(),
    'record.status': () => recording.status(),
    'record.marker': ({ label, timeMs }) => recording.marker(label, timeMs)
  }
}
