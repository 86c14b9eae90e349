import type { datasetCalls } from '../ipc/contract/datasets'
import type { HandlerMap } from '../ipc/handler'
import { exportKemocon } from '../export/kemocon-export'
import { createDemoStudy } from './demo-study'
import { importDataset } from './import-service'
import { synthesizeKemocon } from './synth/synthesize'

export const datasetHandlers: HandlerMap<keyof typeof datasetCalls> = {
  'datasets.import': (request, context) => {
    const report = importDataset(context.study(), request, (line) =>
      context.emit('task.progress', {
        taskId: `import:${request.path}`,
        kind: 'import',
        message: line,
        fraction: null
      })
    )
    context.emit('study.changed', { path: context.study().path })
    return report
  },
  'datasets.synth': (options) => synthesizeKemocon(options),
  'datasets.demo': ({ path }, context) => {
    const created = createDemoStudy(path, { nativeBinding: context.options.sqliteBinding })
    context.openStudy(path)
    return created
  },
  'datasets.exportKemocon': ({ out }, context) => exportKemocon(context.study(), out)
}
