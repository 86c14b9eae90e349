export { createFastPredictor, type FastPredictor } from './predictor'
