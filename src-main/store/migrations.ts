/**
 * Versioned schema. A study file records its version in PRAGMA user_version and is marked as ours by
 * PRAGMA application_id, so a foreign SQLite file is refused instead of being migrated into a study.
 * Append migrations; never edit one that has shipped.
 */
export const STUDY_APPLICATION_ID = 0x454d4f48 // 'EMOH'

export interface Migration {
  version: number
  description: string
  sql: string
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'study, participants, sessions, signal streams, markers, annotations',
    sql: `
      CREATE TABLE study (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL
      );
      CREATE TABLE participant (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        notes TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL
      );
      CREATE TABLE session (
        id INTEGER PRIMARY KEY,
        participant_id INTEGER NOT NULL REFERENCES participant(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        start_ms INTEGER NOT NULL,
        timezone TEXT NOT NULL,
        duration_ms INTEGER,
        notes TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL
      );
      CREATE INDEX session_participant ON session(participant_id);
      CREATE TABLE stream (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        unit TEXT NOT NULL,
        rate_hz REAL NOT NULL,
        channels TEXT NOT NULL,
        start_ms REAL,
        end_ms REAL,
        sample_count INTEGER NOT NULL DEFAULT 0,
        UNIQUE (session_id, name)
      );
      CREATE TABLE chunk (
        id INTEGER PRIMARY KEY,
        stream_id INTEGER NOT NULL REFERENCES stream(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        start_ms REAL NOT NULL,
        end_ms REAL NOT NULL,
        sample_count INTEGER NOT NULL,
        times BLOB NOT NULL,
        samples BLOB NOT NULL,
        UNIQUE (stream_id, seq)
      );
      CREATE TABLE marker (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
        time_ms REAL NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT 'manual',
        created_ms INTEGER NOT NULL
      );
      CREATE INDEX marker_session ON marker(session_id, time_ms);
      CREATE TABLE annotation (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('self', 'partner', 'external', 'manual')),
        rater TEXT NOT NULL DEFAULT '',
        start_ms REAL NOT NULL,
        end_ms REAL NOT NULL CHECK (end_ms >= start_ms),
        arousal REAL CHECK (arousal IS NULL OR (arousal >= 1 AND arousal <= 5)),
        valence REAL CHECK (valence IS NULL OR (valence >= 1 AND valence <= 5)),
        emotions TEXT NOT NULL DEFAULT '{}',
        note TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
      );
      CREATE INDEX annotation_session ON annotation(session_id, source, start_ms);
    `
  },
  {
    version: 2,
    description:
      'session alignment and provenance, label revisions, imports, models, training runs, predictions',
    sql: `
      ALTER TABLE session ADD COLUMN alignment_offset_ms REAL NOT NULL DEFAULT 0;
      ALTER TABLE session ADD COLUMN source TEXT NOT NULL DEFAULT 'manual';
      CREATE TABLE import_record (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        source_path TEXT NOT NULL,
        session_ids TEXT NOT NULL DEFAULT '[]',
        report TEXT NOT NULL DEFAULT '{}',
        created_ms INTEGER NOT NULL
      );
      CREATE TABLE label_revision (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
        target TEXT NOT NULL CHECK (target IN ('arousal', 'valence')),
        window_end_ms REAL NOT NULL,
        old_value REAL,
        new_value REAL,
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
        created_ms INTEGER NOT NULL,
        reverted_ms INTEGER,
        revert_reason TEXT
      );
      CREATE INDEX label_revision_window ON label_revision(session_id, target, window_end_ms);
      CREATE TABLE model (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        directory TEXT NOT NULL,
        preset TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT 'arousal',
        config TEXT NOT NULL DEFAULT '{}',
        metrics TEXT NOT NULL DEFAULT '{}',
        active INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL
      );
      CREATE TABLE training_run (
        id INTEGER PRIMARY KEY,
        model_id INTEGER REFERENCES model(id) ON DELETE SET NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
        config TEXT NOT NULL,
        results TEXT,
        error TEXT,
        started_ms INTEGER NOT NULL,
        ended_ms INTEGER
      );
      CREATE TABLE prediction (
        id INTEGER PRIMARY KEY,
        model_id INTEGER NOT NULL REFERENCES model(id) ON DELETE CASCADE,
        session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        window_end_ms REAL NOT NULL,
        probabilities TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        UNIQUE (model_id, session_id, target, window_end_ms)
      );
    `
  },
  {
    version: 3,
    description: 'which process owns a running training run, so a crashed run can be told from a live one',
    sql: `
      ALTER TABLE training_run ADD COLUMN owner_pid INTEGER;
      ALTER TABLE training_run ADD COLUMN owner_host TEXT;
    `
  },
  {
    version: 4,
    description:
      'recordings from devices: session state and owner, devices with their error counts, stream clocks, gaps',
    sql: `
      ALTER TABLE session ADD COLUMN recording_state TEXT
        CHECK (recording_state IS NULL OR recording_state IN ('recording', 'complete', 'interrupted', 'failed'));
      ALTER TABLE session ADD COLUMN recording_message TEXT;
      ALTER TABLE session ADD COLUMN recording_owner_pid INTEGER;
      ALTER TABLE session ADD COLUMN recording_owner_host TEXT;
      ALTER TABLE session ADD COLUMN recording_heartbeat_ms INTEGER;
      CREATE TABLE recording_device (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        protocol TEXT NOT NULL,
        path TEXT NOT NULL,
        settings TEXT NOT NULL,
        info TEXT NOT NULL DEFAULT '{}',
        errors TEXT NOT NULL DEFAULT '{}',
        reconnects INTEGER NOT NULL DEFAULT 0,
        UNIQUE (session_id, position)
      );
      ALTER TABLE stream ADD COLUMN device_id INTEGER REFERENCES recording_device(id) ON DELETE SET NULL;
      ALTER TABLE stream ADD COLUMN measured_rate_hz REAL;
      ALTER TABLE stream ADD COLUMN clock_drift_ppm REAL;
      ALTER TABLE stream ADD COLUMN lost_samples INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE gap (
        id INTEGER PRIMARY KEY,
        stream_id INTEGER NOT NULL REFERENCES stream(id) ON DELETE CASCADE,
        start_ms REAL NOT NULL,
        end_ms REAL NOT NULL CHECK (end_ms >= start_ms),
        missing_samples INTEGER NOT NULL DEFAULT 0,
        cause TEXT NOT NULL CHECK (cause IN ('disconnected', 'sequence', 'timestamp', 'stalled')),
        created_ms INTEGER NOT NULL
      );
      CREATE INDEX gap_stream ON gap(stream_id, start_ms);
    `
  }
]

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1].version
