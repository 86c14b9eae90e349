import type { ModelLayers } from '../../../src-main/engine/model'
import { ReferenceGru, ReferenceTcnBlock } from './op-by-op-layers'

/** The model's TCN blocks and GRU replaced by their op-by-op references. */
export const opByOpLayers: Partial<ModelLayers> = {
  tcnBlock: (args) => new ReferenceTcnBlock(args),
  gru: (args) => new ReferenceGru(args)
}

/** Keras-style "reset before" gating instead of PyTorch's "reset after": parity must fail. */
export const resetBeforeGru: Partial<ModelLayers> = {
  gru: (args) => new ReferenceGru({ ...args, resetBefore: true })
}

/** Attention after ReLU(out + residual) instead of before the residual sum: parity must fail. */
export const attentionAfterResidual: Partial<ModelLayers> = {
  tcnBlock: (args) => new ReferenceTcnBlock({ ...args, attentionAfterResidual: true })
}
