/** Importing this module registers every custom layer for serialization. */
export { DilatedCausalConv1D, type DilatedCausalConv1DArgs } from './dilated-causal-conv1d'
export { TcnResidualBlock, type TcnResidualBlockArgs } from './tcn-residual-block'
export { ChannelSpatialAttention, type ChannelSpatialAttentionArgs } from './channel-spatial-attention'
export { PytorchGru, type PytorchGruArgs } from './pytorch-gru'
export { LastTimeStep, TemporalAveragePool, type TemporalAveragePoolArgs } from './time-steps'
export { EmohealDense, type EmohealDenseArgs } from './dense'
