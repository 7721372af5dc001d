namespace CoordBot.Data;

/// <summary>
/// Every schema change, oldest first. Never edit a released migration; add a new one. Every table
/// carries <c>workspace_id</c> and every query filters by it.
/// </summary>
public static class Migrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "workspaces, users, allies, touchpoints, links, outbox, local messages", """
            CREATE TABLE workspaces (
                workspace_id TEXT PRIMARY KEY,
                platform TEXT NOT NULL,
                time_zone TEXT NOT NULL DEFAULT 'UTC',
                created_at TEXT NOT NULL);

            CREATE TABLE users (
                workspace_id TEXT NOT NULL REFERENCES workspaces(workspace_id),
                user_id TEXT NOT NULL,
                display_name TEXT,
                is_admin INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, user_id));

            CREATE TABLE ref_counters (
                workspace_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                last_value INTEGER NOT NULL,
                PRIMARY KEY (workspace_id, kind));

            CREATE TABLE allies (
                id INTEGER PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                ref_no INTEGER NOT NULL,
                name TEXT NOT NULL,
                name_key TEXT NOT NULL,
                org TEXT, org_key TEXT,
                role TEXT,
                sector TEXT,
                level TEXT,
                jurisdiction TEXT, jurisdiction_key TEXT,
                stance TEXT NOT NULL DEFAULT 'unknown',
                email TEXT, phone TEXT,
                tags TEXT,
                owner TEXT,
                notes TEXT,
                last_contact TEXT,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (workspace_id, ref_no));
            CREATE INDEX ix_allies_name ON allies (workspace_id, name_key);
            CREATE INDEX ix_allies_contact ON allies (workspace_id, last_contact, id);
            CREATE INDEX ix_allies_sector ON allies (workspace_id, sector, last_contact, id);
            CREATE INDEX ix_allies_level ON allies (workspace_id, level, last_contact, id);
            CREATE INDEX ix_allies_org ON allies (workspace_id, org_key, last_contact, id);
            CREATE INDEX ix_allies_jurisdiction ON allies (workspace_id, jurisdiction_key, last_contact, id);
            CREATE INDEX ix_allies_owner ON allies (workspace_id, owner, last_contact, id);

            CREATE VIRTUAL TABLE allies_fts USING fts5(
                name, org, role, tags, notes, jurisdiction,
                content = 'allies', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
            CREATE TRIGGER allies_fts_insert AFTER INSERT ON allies BEGIN
                INSERT INTO allies_fts (rowid, name, org, role, tags, notes, jurisdiction)
                VALUES (new.id, new.name, new.org, new.role, new.tags, new.notes, new.jurisdiction);
            END;
            CREATE TRIGGER allies_fts_delete AFTER DELETE ON allies BEGIN
                INSERT INTO allies_fts (allies_fts, rowid, name, org, role, tags, notes, jurisdiction)
                VALUES ('delete', old.id, old.name, old.org, old.role, old.tags, old.notes, old.jurisdiction);
            END;
            CREATE TRIGGER allies_fts_update AFTER UPDATE OF name, org, role, tags, notes, jurisdiction ON allies BEGIN
                INSERT INTO allies_fts (allies_fts, rowid, name, org, role, tags, notes, jurisdiction)
                VALUES ('delete', old.id, old.name, old.org, old.role, old.tags, old.notes, old.jurisdiction);
                INSERT INTO allies_fts (rowid, name, org, role, tags, notes, jurisdiction)
                VALUES (new.id, new.name, new.org, new.role, new.tags, new.notes, new.jurisdiction);
            END;

            CREATE TABLE touchpoints (
                id INTEGER PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                ally_id INTEGER NOT NULL REFERENCES allies(id) ON DELETE CASCADE,
                on_date TEXT NOT NULL,
                via TEXT,
                note TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL);
            CREATE INDEX ix_touchpoints_ally ON touchpoints (workspace_id, ally_id, on_date);

            CREATE TABLE ally_links (
                workspace_id TEXT NOT NULL,
                ally_a INTEGER NOT NULL REFERENCES allies(id) ON DELETE CASCADE,
                ally_b INTEGER NOT NULL REFERENCES allies(id) ON DELETE CASCADE,
                relation TEXT,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, ally_a, ally_b),
                CHECK (ally_a < ally_b));
            CREATE INDEX ix_ally_links_b ON ally_links (workspace_id, ally_b);

            CREATE TABLE outbox (
                id INTEGER PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                idempotency_key TEXT NOT NULL,
                platform TEXT NOT NULL,
                destination TEXT NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                not_before TEXT NOT NULL,
                claimed_until TEXT,
                last_error TEXT,
                created_at TEXT NOT NULL,
                sent_at TEXT,
                UNIQUE (workspace_id, idempotency_key));
            CREATE INDEX ix_outbox_due ON outbox (status, not_before);

            CREATE TABLE local_messages (
                id INTEGER PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                destination TEXT NOT NULL,
                idempotency_key TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (workspace_id, idempotency_key));
            CREATE INDEX ix_local_messages_destination ON local_messages (workspace_id, destination, id);
            """),

        new(2, "indexes for ally list --sector --level and ally map", """
            CREATE INDEX ix_allies_sector_level ON allies (workspace_id, sector, level, last_contact, id);
            CREATE INDEX ix_allies_sector_org ON allies (workspace_id, sector, org_key, level, org);
            """),

        new(3, "slack installations and seen events", """
            CREATE TABLE slack_installations (
                workspace_id TEXT PRIMARY KEY,
                team_id TEXT,
                enterprise_id TEXT,
                is_enterprise_install INTEGER NOT NULL DEFAULT 0,
                team_name TEXT,
                app_id TEXT,
                bot_user_id TEXT,
                bot_token TEXT,
                scopes TEXT,
                installed_by TEXT,
                installed_at TEXT NOT NULL,
                active INTEGER NOT NULL DEFAULT 1,
                deactivated_at TEXT);

            CREATE TABLE slack_events (
                workspace_id TEXT NOT NULL,
                event_id TEXT NOT NULL,
                received_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, event_id));
            CREATE INDEX ix_slack_events_received ON slack_events (received_at);
            """),

        new(4, "teams conversation references, download links", """
            CREATE TABLE teams_conversations (
                workspace_id TEXT NOT NULL,
                conversation_id TEXT NOT NULL,
                conversation_type TEXT NOT NULL,
                service_url TEXT NOT NULL,
                bot_id TEXT NOT NULL,
                user_id TEXT,
                team_id TEXT,
                active INTEGER NOT NULL DEFAULT 1,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, conversation_id));
            CREATE INDEX ix_teams_conversations_user ON teams_conversations (workspace_id, user_id, conversation_type);

            CREATE TABLE downloads (
                token TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                file_name TEXT NOT NULL,
                media_type TEXT NOT NULL,
                content TEXT NOT NULL,
                expires_at TEXT NOT NULL);
            CREATE INDEX ix_downloads_expires ON downloads (expires_at);
            """),
    ];
}
