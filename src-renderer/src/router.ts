import { createRouter, createWebHashHistory } from 'vue-router'
import StudiesPage from './pages/StudiesPage.vue'
import RecordPage from './pages/RecordPage.vue'
import AnnotatePage from './pages/AnnotatePage.vue'
import LabelsPage from './pages/LabelsPage.vue'
import TrainPage from './pages/TrainPage.vue'
import SettingsPage from './pages/SettingsPage.vue'

export const pages = [
  { path: '/studies', name: 'Studies', component: StudiesPage },
  { path: '/record', name: 'Record', component: RecordPage },
  { path: '/annotate', name: 'Annotate', component: AnnotatePage },
  { path: '/labels', name: 'Labels', component: LabelsPage },
  { path: '/train', name: 'Train', component: TrainPage },
  { path: '/settings', name: 'Settings', component: SettingsPage }
]

// Hash history: works from file:// in Electron and keeps the serve token in the query string on reload.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [{ path: '/', redirect: '/studies' }, ...pages]
})
