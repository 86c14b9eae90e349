export { createPlainJsPredictor, type WindowPredictor } from './plain-js-predictor'
export { createWindowPredictor, type OneWindowPath } from './window-predictor'
