import type { Annotation, Marker } from '../../../src-main/ipc/contract/annotations'
import { CommandStack, type Command } from './command-stack'

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

/** How one kind of item (regions, markers) is written, and which of its fields an edit keeps. */
interface ItemWrites<T, F> {
  create(fields: F): Promise<T>
  update(id: number, fields: F): Promise<T>
  remove(id: number): Promise<void>
  fieldsOf(item: T): F
}

/** The items of one kind as the database holds them, with the commands that change them. */
class Entities<T extends { id: number }, F> {
  readonly items = new Map<number, T>()
  private readonly refs = new Map<number, EntityRef>()

  constructor(private readonly writes: ItemWrites<T, F>) {}

  ref(id: number): EntityRef {
    let ref = this.refs.get(id)
    if (!ref) {
      if (!this.items.has(id)) throw new Error(`no item ${id} in this session`)
      ref = { id }
      this.refs.set(id, ref)
    }
    return ref
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

  /** Creates an item under `ref`; undo deletes it. */
  creation(ref: EntityRef, fields: F, label: string): Command {
    return { label, apply: () => this.insert(ref, fields), revert: () => this.remove(ref) }
  }

  /**
   * Changes an item's fields; undo restores the ones it had. Built when its turn in the stack comes, so it
   * starts from what the edits before it wrote.
   */
  update(ref: EntityRef, change: FieldChange<F>, label: string): Command {
    const before = this.writes.fieldsOf(this.get(ref.id))
    const after = changed(before, change)
    return {
      label,
      apply: async () => this.adopt(ref, await this.writes.update(ref.id, after)),
      revert: async () => this.adopt(ref, await this.writes.update(ref.id, before))
    }
  }

  /** Deletes an item; undo inserts it again under a new id, which `ref` then holds. */
  deletion(ref: EntityRef, label: string): Command {
    const before = this.writes.fieldsOf(this.get(ref.id))
    return { label, apply: () => this.remove(ref), revert: () => this.insert(ref, before) }
  }

  private async insert(ref: EntityRef, fields: F): Promise<void> {
    this.adopt(ref, await this.writes.create(fields))
  }

  private async remove(ref: EntityRef): Promise<void> {
    await this.writes.remove(ref.id)
    this.items.delete(ref.id)
    this.refs.delete(ref.id)
  }

  private adopt(ref: EntityRef, item: T): void {
    this.items.delete(ref.id)
    this.refs.delete(ref.id)
    ref.id = item.id
    this.items.set(item.id, item)
    this.refs.set(item.id, ref)
  }
}

/** Hand annotation of one session: regions and markers, every change written at once and undoable. */
export class AnnotationEditor {
  private readonly regions: Entities<Annotation, RegionFields>
  private readonly markers: Entities<Marker, MarkerFields>

  constructor(
    api: AnnotationApi,
    readonly sessionId: number,
    readonly stack: CommandStack = new CommandStack()
  ) {
    this.regions = new Entities({
      create: (fields) => api.createRegion(sessionId, fields),
      update: (id, fields) => api.updateRegion(id, fields),
      remove: (id) => api.deleteRegion(id),
      fieldsOf: regionFields
    })
    this.markers = new Entities({
      create: (fields) => api.createMarker(sessionId, fields),
      update: (id, fields) => api.updateMarker(id, fields),
      remove: (id) => api.deleteMarker(id),
      fieldsOf: markerFields
    })
  }

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
    await this.stack.execute(() => this.regions.creation(ref, fields, 'create region'))
    return ref.id
  }

  async updateRegion(id: number, change: FieldChange<RegionFields>, label = 'edit region'): Promise<void> {
    const ref = this.regions.ref(id)
    await this.stack.execute(() => this.regions.update(ref, change, label))
  }

  async deleteRegion(id: number): Promise<void> {
    const ref = this.regions.ref(id)
    await this.stack.execute(() => this.regions.deletion(ref, 'delete region'))
  }

  async createMarker(fields: MarkerFields): Promise<number> {
    const ref: EntityRef = { id: 0 }
    await this.stack.execute(() => this.markers.creation(ref, fields, 'add marker'))
    return ref.id
  }

  async updateMarker(id: number, change: FieldChange<MarkerFields>, label = 'edit marker'): Promise<void> {
    const ref = this.markers.ref(id)
    await this.stack.execute(() => this.markers.update(ref, change, label))
  }

  async deleteMarker(id: number): Promise<void> {
    const ref = this.markers.ref(id)
    await this.stack.execute(() => this.markers.deletion(ref, 'delete marker'))
  }

  undo(): Promise<string | null> {
    return this.stack.undo()
  }

  redo(): Promise<string | null> {
    return this.stack.redo()
  }
}
