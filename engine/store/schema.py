"""The project database schema as a list of forward migrations.

`PRAGMA user_version` holds how many migrations have run. Add a migration by
appending a function; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from engine.store import search

Migration = Callable[[sqlite_utils.Database], None]


def _v1_core(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            sha256 TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            file TEXT NOT NULL,
            original_path TEXT NOT NULL DEFAULT '',
            page_count INTEGER NOT NULL,
            file_size INTEGER NOT NULL DEFAULT 0,
            was_encrypted INTEGER NOT NULL DEFAULT 0,
            was_repaired INTEGER NOT NULL DEFAULT 0,
            imported_at TEXT NOT NULL
        );
        CREATE TABLE pages (
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            width REAL NOT NULL,
            height REAL NOT NULL,
            rotation INTEGER NOT NULL DEFAULT 0,
            has_text INTEGER NOT NULL DEFAULT 0,
            image_only INTEGER NOT NULL DEFAULT 0,
            reviewed INTEGER NOT NULL DEFAULT 0,
            corrected INTEGER NOT NULL DEFAULT 0,
            detected_by TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (doc_id, idx)
        );
        CREATE TABLE figures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            doc_id INTEGER NOT NULL,
            page INTEGER NOT NULL,
            x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
            label TEXT NOT NULL DEFAULT 'figure',
            caption TEXT NOT NULL DEFAULT '',
            context TEXT NOT NULL DEFAULT '',
            burned_text TEXT NOT NULL DEFAULT '',
            section TEXT NOT NULL DEFAULT '',
            sublabel TEXT NOT NULL DEFAULT '',
            detector TEXT NOT NULL DEFAULT 'manual',
            score REAL NOT NULL DEFAULT 1.0,
            status TEXT NOT NULL DEFAULT 'proposed'
                CHECK (status IN ('proposed', 'accepted', 'rejected')),
            image_xref INTEGER NOT NULL DEFAULT 0,
            redactions TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            FOREIGN KEY (doc_id, page) REFERENCES pages(doc_id, idx) ON DELETE CASCADE
        );
        CREATE INDEX figures_page ON figures(doc_id, page);
        CREATE INDEX figures_status ON figures(status);
        CREATE TABLE records (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            figure_id INTEGER REFERENCES figures(id) ON DELETE SET NULL,
            doc_id INTEGER REFERENCES documents(id) ON DELETE SET NULL,
            page INTEGER,
            kind TEXT NOT NULL CHECK (kind IN ('qa', 'vqa', 'mcq')),
            reasoning INTEGER NOT NULL DEFAULT 0,
            language TEXT NOT NULL DEFAULT 'en',
            question TEXT NOT NULL,
            thinking TEXT NOT NULL DEFAULT '',
            answer TEXT NOT NULL,
            options TEXT NOT NULL DEFAULT '[]',
            correct TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'accepted', 'rejected')),
            score REAL,
            synthesizer TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            prompt_version TEXT NOT NULL DEFAULT '',
            flags TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            edited_at TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX records_figure ON records(figure_id);
        CREATE INDEX records_status ON records(status, kind, language);
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL DEFAULT '',
            synthesizer TEXT NOT NULL,
            model TEXT NOT NULL,
            settings TEXT NOT NULL DEFAULT '{}',
            state TEXT NOT NULL DEFAULT 'pending',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE job_items (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            idem_key TEXT NOT NULL UNIQUE,
            figure_id INTEGER REFERENCES figures(id) ON DELETE SET NULL,
            kind TEXT NOT NULL,
            language TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            raw_response TEXT NOT NULL DEFAULT '',
            error TEXT NOT NULL DEFAULT '',
            tokens_in INTEGER NOT NULL DEFAULT 0,
            tokens_out INTEGER NOT NULL DEFAULT 0,
            cost REAL NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX job_items_job ON job_items(job_id, state);
        CREATE TABLE chat_sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            settings TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE chat_messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL DEFAULT '',
            thinking TEXT NOT NULL DEFAULT '',
            image_path TEXT NOT NULL DEFAULT '',
            stats TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        CREATE INDEX chat_messages_session ON chat_messages(session_id, id);
        CREATE TABLE edit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id INTEGER NOT NULL,
            action TEXT NOT NULL,
            before TEXT NOT NULL DEFAULT '',
            after TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX edit_log_entity ON edit_log(entity, entity_id);
        """
    )


def _v2_search(db: sqlite_utils.Database) -> None:
    """Full-text search over figure text and record text (kept by engine.store.search)."""
    db.executescript(
        """
        CREATE VIRTUAL TABLE search_index USING fts5(
            body, entity UNINDEXED, entity_id UNINDEXED, tokenize = 'unicode61', prefix = '2 3 4'
        );
        """
    )
    # Index what a version-1 project already holds.
    for row in db.execute("SELECT id FROM figures").fetchall():
        search.reindex_figure(db, row[0])
    for row in db.execute("SELECT id FROM records").fetchall():
        search.reindex_record(db, row[0])


def _v3_ocr_cache(db: sqlite_utils.Database) -> None:
    """OCR of a page is slow (about a second): each page is read once and kept."""
    db.executescript(
        """
        CREATE TABLE page_ocr (
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            page INTEGER NOT NULL,
            area TEXT NOT NULL,
            dpi INTEGER NOT NULL,
            engine TEXT NOT NULL,
            lines TEXT NOT NULL,
            PRIMARY KEY (doc_id, page, area, dpi, engine)
        );
        """
    )


def _v4_synth_jobs(db: sqlite_utils.Database) -> None:
    """Durable synthesis jobs (engine.store.jobs): what each item needs to be sent again
    after a crash, and which records it wrote, so nothing is paid for or stored twice."""
    db.executescript(
        """
        ALTER TABLE jobs ADD COLUMN message TEXT NOT NULL DEFAULT '';
        ALTER TABLE job_items ADD COLUMN reasoning INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE job_items ADD COLUMN prompt_version TEXT NOT NULL DEFAULT '';
        ALTER TABLE job_items ADD COLUMN doc_id INTEGER;
        ALTER TABLE job_items ADD COLUMN page INTEGER;
        ALTER TABLE job_items ADD COLUMN passage TEXT NOT NULL DEFAULT '';
        ALTER TABLE job_items ADD COLUMN record_ids TEXT NOT NULL DEFAULT '[]';
        CREATE INDEX job_items_state ON job_items(state);
        """
    )


def _v5_synth_batches(db: sqlite_utils.Database) -> None:
    """Provider batch submissions of synthesis jobs (OpenAI Batch, Gemini batch mode): the
    provider's batch id is kept, and each item sent in a batch points at its submission, so
    a restarted process polls the same batch again instead of sending (and paying) twice."""
    db.executescript(
        """
        CREATE TABLE job_batches (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            provider TEXT NOT NULL,
            submission TEXT NOT NULL UNIQUE,
            batch_id TEXT NOT NULL DEFAULT '',
            input_file TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'submitting',
            status TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX job_batches_job ON job_batches(job_id, state);
        ALTER TABLE job_items ADD COLUMN batch INTEGER REFERENCES job_batches(id);
        CREATE INDEX job_items_batch ON job_items(batch);
        """
    )


def _v6_page_text(db: sqlite_utils.Database) -> None:
    """Which boxes of a page had their text read last (a key of their ids and rectangles), so a later
    run skips pages that did not change."""
    db.executescript(
        """
        CREATE TABLE page_text (
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            page INTEGER NOT NULL,
            boxes TEXT NOT NULL,
            PRIMARY KEY (doc_id, page)
        );
        """
    )


def _v7_page_failures(db: sqlite_utils.Database) -> None:
    """Pages where native code crashed (detection, OCR): later runs leave them out unless asked to retry."""
    db.executescript(
        """
        CREATE TABLE page_failures (
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            page INTEGER NOT NULL,
            work TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (doc_id, page, work)
        );
        """
    )


def _v8_team(db: sqlite_utils.Database) -> None:
    """Team work (engine.store.handout, engine.store.merge): identity that survives a hand-out and a merge.

    Figures, records, jobs, conversations, their messages and edit-log entries get a stable `uid` (set on
    insert when none is given, kept through a split and a merge), the project an id of its own, the
    edit log an `origin` (the hand-out or project an entry was merged from). `handouts` says which parts
    were handed out (in the parent) or where this project came from (in a part); `merges` keeps each
    merge's report and the copy of the source it merged (the base of the next merge of that source).
    Statements run one by one (executescript would commit the upgrade's transaction halfway)."""
    statements: list[str] = []
    for table in ("figures", "records", "jobs", "chat_sessions", "chat_messages", "edit_log"):
        statements += [
            f"ALTER TABLE {table} ADD COLUMN uid TEXT",
            f"UPDATE {table} SET uid = lower(hex(randomblob(16)))",
            f"CREATE UNIQUE INDEX {table}_uid ON {table}(uid)",
            f"CREATE TRIGGER {table}_uid_on_insert AFTER INSERT ON {table} WHEN NEW.uid IS NULL BEGIN "
            f"UPDATE {table} SET uid = lower(hex(randomblob(16))) WHERE rowid = NEW.rowid; END",
        ]
    statements += [
        "ALTER TABLE edit_log ADD COLUMN origin TEXT NOT NULL DEFAULT ''",
        "CREATE TABLE project_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "INSERT INTO project_meta(key, value) VALUES ('uid', lower(hex(randomblob(16))))",
        """CREATE TABLE handouts (
            uid TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('given', 'received')),
            name TEXT NOT NULL,
            assignee TEXT NOT NULL DEFAULT '',
            parent_uid TEXT NOT NULL,
            parent_path TEXT NOT NULL,
            project_uid TEXT NOT NULL,
            path TEXT NOT NULL,
            pages TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE merges (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source_key TEXT NOT NULL,
            source_name TEXT NOT NULL,
            source_path TEXT NOT NULL,
            base_file TEXT NOT NULL,
            at TEXT NOT NULL,
            report TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX merges_source ON merges(source_key, id)",
    ]
    for sql in statements:
        db.execute(sql)


MIGRATIONS: list[Migration] = [_v1_core, _v2_search, _v3_ocr_cache, _v4_synth_jobs, _v5_synth_batches, _v6_page_text,
                               _v7_page_failures, _v8_team]
SCHEMA_VERSION = len(MIGRATIONS)
