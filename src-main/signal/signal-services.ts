import type { AppContext } from '../app-context'
import { SignalStore } from '../store/signal-store'
import type { StudyStore } from '../store/study-store'
import type { OverlayComputer } from './overlay-computer'
import { SignalOverlayService } from './overlay-service'
import { StreamCache } from './stream-cache'
import { SignalViewService } from './view-service'

/**
 * The signal viewer's services of the open study: one stream cache shared by the views and the overlays, kept
 * while the study stays open and replaced with it (the caches hold that study's samples). Built once by the
 * composition root, with the overlay computer it is given (a worker thread in the app).
 */
export class SignalServices {
  private current: { study: StudyStore; view: SignalViewService; overlays: SignalOverlayService } | null =
    null

  constructor(
    private readonly context: AppContext,
    readonly computer: OverlayComputer
  ) {}

  forOpenStudy(): { view: SignalViewService; overlays: SignalOverlayService } {
    const study = this.context.study()
    if (this.current?.study !== study) {
      const cache = new StreamCache(new SignalStore(study.db))
      this.current = {
        study,
        view: new SignalViewService(study, cache),
        overlays: new SignalOverlayService(study, cache, this.computer)
      }
    }
    return this.current
  }

  async close(): Promise<void> {
    this.current = null
    await this.computer.close()
  }
}
