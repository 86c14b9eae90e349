/// <reference types="vite/client" />
// Brings the preload's `window.emoheal` declaration into the renderer's program.
import type {} from '../../src-preload/bridge'

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
