import type { HandlerMap } from '../handler'
import type { annotationCalls } from '../contract/annotations'
import { AnnotationStore } from '../../store/annotation-store'
import type { StudyStore } from '../../store/study-store'

function annotationsOf(study: StudyStore): AnnotationStore {
  return new AnnotationStore(study.db)
}

export const annotationHandlers: HandlerMap<keyof typeof annotationCalls> = {
  'annotations.list': ({ sessionId, source }, context) => {
    const study = context.study()
    study.getSession(sessionId)
    return annotationsOf(study).listAnnotations(sessionId, source)
  },
  'annotations.create': ({ sessionId, ...fields }, context) => {
    const study = context.study()
    study.getSession(sessionId)
    const store = annotationsOf(study)
    const [id] = store.insertAnnotations(sessionId, [{ ...fields, source: 'manual', rater: '' }])
    return store.getAnnotation(id)
  },
  'annotations.update': ({ id, ...change }, context) =>
    annotationsOf(context.study()).updateAnnotation(id, change),
  'annotations.delete': ({ id }, context) => annotationsOf(context.study()).deleteAnnotation(id),
  'markers.list': ({ sessionId }, context) => {
    const study = context.study()
    study.getSession(sessionId)
    return annotationsOf(study).listMarkers(sessionId)
  },
  'markers.create': ({ sessionId, timeMs, label }, context) => {
    const study = context.study()
    study.getSession(sessionId)
    const store = annotationsOf(study)
    const [id] = store.insertMarkers(sessionId, [{ timeMs, label, source: 'manual' }])
    return store.getMarker(id)
  },
  'markers.update': ({ id, timeMs, label }, context) =>
    annotationsOf(context.study()).updateMarker(id, { timeMs, label }),
  'markers.delete': ({ id }, context) => annotationsOf(context.study()).deleteMarker(id),
  'sessions.setAlignmentOffset': ({ id, offsetMs }, context) =>
    context.study().setAlignmentOffset(id, offsetMs)
}
