import type { Annotation, Marker } from '../../../src-main/ipc/contract/annotations'
import { CommandStack } from './command-stack'

export type RegionFields = Pick<Annotation, 'startMs' | 'endMs' | 'arousal' | 'valence' | 'emotions' | 'note'>
export type MarkerFields = Pick<Marker, 'timeMs' | 'label'>
/**
 * New values for some fields, or a function of the current ones for changes that depend on them (a nudge,
 * one more emotion). The function runs after the edits queued before it, so quick edits never undo each other.
 */
export type FieldChange<T> = Partial<T> | ((before: T) => Partial<T>)

function changed<T>(before: T, change: FieldChange<T>): T {
  return { ...before, ...(typeof change === 'function' ? change(before) : change) }
}

/** The writes the editor needs; the page passes the IPC client, tests pass a real store. */
export interface AnnotationApi {
  createRegion(sessionId: number, fields: RegionFields): Promise<Annotation>
  updateRegion(id: number, fields: RegionFields): Promise<Annotation>
  deleteRegion(id: number): Promise<void>
  createMarker(sessionId: number, fields: MarkerFields): Promise<Marker>
  updateMarker(id: number, fields: MarkerFields): Promise<Marker>
  deleteMarker(id: number): Promise<void>
}

/**
 * The current database id of one region or marker. Undoing a delete inserts the row again under a new id;
 * every command about that entity holds the same reference, so older commands still find it.
 */
interface EntityRef {
  id: number
}

export function regionFields(annotation: Annotation): RegionFields {
  const { startMs, endMs, arousal, valence, emotions, note } = annotation
  return { startMs, endMs, arousal, valence, emotions: { ...emotions }, note }
}

function markerFields(marker: Marker): MarkerFields {
  return { timeMs: marker.timeMs, label: marker.label }
}

class Entities<T extends { id: number }> {
  readonly items = new Map<number, T>()
  private readonly refs = new Map<number, EntityRef>()

  ref(id: number): EntityRef {
    let ref = this.refs.get(id)
    if (!ref) {
      if (!this.items.has(id)) throw new Error(`no item ${id} in this session`)
      ref = { id }
      this.refs.set(id, ref)
    }
    return ref
  }

  adopt(ref: EntityRef, item: T): void {
    this.forget(ref)
    ref.id = item.id
    this.items.set(item.id, item)
    this.refs.set(item.id, ref)
  }

  forget(ref: EntityRef): void {
    this.items.delete(ref.id)
    this.refs.delete(ref.id)
  }

  reset(items: T[]): void {
    this.items.clear()
    this.refs.clear()
    for (const item of items) this.items.set(item.id, item)
  }

  get(id: number): T {
    const item = this.items.get(id)
    if (!item) throw new Error(`no item ${id} in this session`)
    return item
  }
}

/** Hand annotation of one session: regions and markers, every change written at once and undoable. */
export class AnnotationEditor {
  private readonly regions = new Entities<Annotation>()
  private readonly markers = new Entities<Marker>()

  constructor(
    private readonly api: AnnotationApi,
    readonly sessionId: number,
    readonly stack: CommandStack = new CommandStack()
  ) {}

  /** Starts over with what the database holds (a session was opened); history does not carry across. */
  load(regions: Annotation[], markers: Marker[]): void {
    this.regions.reset(regions.filter((region) => region.source === 'manual'))
    this.markers.reset(markers)
    this.stack.clear()
  }

  regionList(): Annotation[] {
    return [...this.regions.items.values()].sort((a, b) => a.startMs - b.startMs || a.id - b.id)
  }

  markerList(): Marker[] {
    return [...this.markers.items.values()].sort((a, b) => a.timeMs - b.timeMs || a.id - b.id)
  }

  region(id: number): Annotation {
    return this.regions.get(id)
  }

  /** Creates a region and resolves to its id. */
  async createRegion(fields: RegionFields): Promise<number> {
    const ref: EntityRef = { id: 0 }
    await this.stack.execute(() => ({
      label: 'create region',
      apply: async () => this.regions.adopt(ref, await this.api.createRegion(this.sessionId, fields)),
      revert: async () => {
        await this.api.deleteRegion(ref.id)
        this.regions.forget(ref)
      }
    }))
    return ref.id
  }

  async updateRegion(id: number, change: FieldChange<RegionFields>, label = 'edit region'): Promise<void> {
    const ref = this.regions.ref(id)
    await this.stack.execute(() => {
      const before = regionFields(this.regions.get(ref.id))
      const after = changed(before, change)
      return {
        label,
        apply: async () => this.regions.adopt(ref, await this.api.updateRegion(ref.id, after)),
        revert: async () => this.regions.adopt(ref, await this.api.updateRegion(ref.id, before))
      }
    })
  }

  async deleteRegion(id: number): Promise<void> {
    const ref = this.regions.ref(id)
    await this.stack.execute(() => {
      const before = regionFields(this.regions.get(ref.id))
      return {
        label: 'delete region',
        apply: async () => {
          await this.api.deleteRegion(ref.id)
          this.regions.forget(ref)
        },
        revert: async () => this.regions.adopt(ref, await this.api.createRegion(this.sessionId, before))
      }
    })
  }

  async createMarker(fields: MarkerFields): Promise<number> {
    const ref: EntityRef = { id: 0 }
    await this.stack.execute(() => ({
      label: 'add marker',
      apply: async () => this.markers.adopt(ref, await this.api.createMarker(this.sessionId, fields)),
      revert: async () => {
        await this.api.deleteMarker(ref.id)
        this.markers.forget(ref)
      }
    }))
    return ref.id
  }

  async updateMarker(id: number, change: FieldChange<MarkerFields>, label = 'edit marker'): Promise<void> {
    const ref = this.markers.ref(id)
    await this.stack.execute(() => {
      const before = markerFields(this.markers.get(ref.id))
      const after = changed(before, change)
      return {
        label,
        apply: async () => this.markers.adopt(ref, await this.api.updateMarker(ref.id, after)),
        revert: async () => this.markers.adopt(ref, await this.api.updateMarker(ref.id, before))
      }
    })
  }

  async deleteMarker(id: number): Promise<void> {
    const ref = this.markers.ref(id)
    await this.stack.execute(() => {
      const before = markerFields(this.markers.get(ref.id))
      return {
        label: 'delete marker',
        apply: async () => {
          await this.api.deleteMarker(ref.id)
          this.markers.forget(ref)
        },
        revert: async () => this.markers.adopt(ref, await this.api.createMarker(this.sessionId, before))
      }
    })
  }

  undo(): Promise<string | null> {
    return this.stack.undo()
  }

  redo(): Promise<string | null> {
    return this.stack.redo()
  }
}
