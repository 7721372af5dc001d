namespace CoordBot.Data;

/// <summary>
/// Every schema change, oldest first. Never edit a released migration; add a new one. Every table
/// carries <c>workspace_id</c> and every query filters by it.
/// </summary>
public static class Migrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "workspaces, users, allies, touchpoints, links, outbox, local messages", V1, PostgresDdl.Translate(V1) + V1PostgresSearch),

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
        // Quartz.NET 4.7.3's job store (Scheduling/), prefix QRTZ_. This is the SQLite schema the
        // Quartz 4.7.3 assembly itself provisions (its embedded create_sqlite.sql), not the older
        // database/tables/tables_sqlite.sql: Quartz 4.7 validates every column at start-up and refuses a
        // table that lacks one. A Quartz upgrade that changes the schema gets a migration of its own.
        new(5, "quartz.net 4.7 job store (QRTZ_ tables)", """
            CREATE TABLE QRTZ_JOB_DETAILS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              JOB_NAME NVARCHAR(150) NOT NULL,
              JOB_GROUP NVARCHAR(150) NOT NULL,
              DESCRIPTION NVARCHAR(250) NULL,
              JOB_CLASS_NAME NVARCHAR(250) NOT NULL,
              IS_DURABLE BIT NOT NULL,
              IS_NONCONCURRENT BIT NOT NULL,
              IS_UPDATE_DATA BIT NOT NULL,
              REQUESTS_RECOVERY BIT NOT NULL,
              JOB_DATA BLOB NULL,
              PRIMARY KEY (SCHED_NAME,JOB_NAME,JOB_GROUP)
            );

            CREATE TABLE QRTZ_TRIGGERS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              TRIGGER_NAME NVARCHAR(150) NOT NULL,
              TRIGGER_GROUP NVARCHAR(150) NOT NULL,
              JOB_NAME NVARCHAR(150) NOT NULL,
              JOB_GROUP NVARCHAR(150) NOT NULL,
              DESCRIPTION NVARCHAR(250) NULL,
              NEXT_FIRE_TIME BIGINT NULL,
              PREV_FIRE_TIME BIGINT NULL,
              PRIORITY INTEGER NULL,
              TRIGGER_STATE NVARCHAR(16) NOT NULL,
              TRIGGER_TYPE NVARCHAR(8) NOT NULL,
              START_TIME BIGINT NOT NULL,
              END_TIME BIGINT NULL,
              CALENDAR_NAME NVARCHAR(200) NULL,
              MISFIRE_INSTR INTEGER NULL,
              MISFIRE_ORIG_FIRE_TIME INTEGER NULL,
              EXECUTION_GROUP NVARCHAR(200) NULL,
              PREFERRED_NODE NVARCHAR(200) NULL,
              PREFERRED_NODE_AUTO BIT NOT NULL DEFAULT 0,
              RETRY_POLICY NVARCHAR(250) NULL,
              RETRY_ATTEMPT INTEGER NULL,
              CONTINUES_TRIGGER_NAME NVARCHAR(150) NULL,
              CONTINUES_TRIGGER_GROUP NVARCHAR(150) NULL,
              CONTINUATION_CONDITION INTEGER NULL,
              OVERLAP_POLICY INTEGER NULL,
              PAUSE_REASON NVARCHAR(250) NULL,
              PAUSED_BY NVARCHAR(200) NULL,
              PAUSED_AT BIGINT NULL,
              MISFIRE_THRESHOLD BIGINT NULL,
              FIXED_DELAY BIT NULL,
              JOB_DATA BLOB NULL,
              PRIMARY KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP),
              FOREIGN KEY (SCHED_NAME,JOB_NAME,JOB_GROUP) REFERENCES QRTZ_JOB_DETAILS (SCHED_NAME,JOB_NAME,JOB_GROUP)
            );

            CREATE TABLE QRTZ_SIMPLE_TRIGGERS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              TRIGGER_NAME NVARCHAR(150) NOT NULL,
              TRIGGER_GROUP NVARCHAR(150) NOT NULL,
              REPEAT_COUNT BIGINT NOT NULL,
              REPEAT_INTERVAL BIGINT NOT NULL,
              TIMES_TRIGGERED BIGINT NOT NULL,
              PRIMARY KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP),
              FOREIGN KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) REFERENCES QRTZ_TRIGGERS (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) ON DELETE CASCADE
            );

            CREATE TABLE QRTZ_CRON_TRIGGERS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              TRIGGER_NAME NVARCHAR(150) NOT NULL,
              TRIGGER_GROUP NVARCHAR(150) NOT NULL,
              CRON_EXPRESSION NVARCHAR(250) NOT NULL,
              TIME_ZONE_ID NVARCHAR(80),
              PRIMARY KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP),
              FOREIGN KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) REFERENCES QRTZ_TRIGGERS (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) ON DELETE CASCADE
            );

            CREATE TABLE QRTZ_SIMPROP_TRIGGERS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              TRIGGER_NAME NVARCHAR(150) NOT NULL,
              TRIGGER_GROUP NVARCHAR(150) NOT NULL,
              STR_PROP_1 NVARCHAR(512) NULL,
              STR_PROP_2 NVARCHAR(512) NULL,
              STR_PROP_3 NVARCHAR(512) NULL,
              INT_PROP_1 INT NULL,
              INT_PROP_2 INT NULL,
              LONG_PROP_1 BIGINT NULL,
              LONG_PROP_2 BIGINT NULL,
              DEC_PROP_1 NUMERIC NULL,
              DEC_PROP_2 NUMERIC NULL,
              BOOL_PROP_1 BIT NULL,
              BOOL_PROP_2 BIT NULL,
              TIME_ZONE_ID NVARCHAR(80) NULL,
              PRIMARY KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP),
              FOREIGN KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) REFERENCES QRTZ_TRIGGERS (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) ON DELETE CASCADE
            );

            CREATE TABLE QRTZ_BLOB_TRIGGERS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              TRIGGER_NAME NVARCHAR(150) NOT NULL,
              TRIGGER_GROUP NVARCHAR(150) NOT NULL,
              BLOB_DATA BLOB NULL,
              PRIMARY KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP),
              FOREIGN KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) REFERENCES QRTZ_TRIGGERS (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) ON DELETE CASCADE
            );

            CREATE TABLE QRTZ_CALENDARS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              CALENDAR_NAME NVARCHAR(200) NOT NULL,
              CALENDAR BLOB NOT NULL,
              PRIMARY KEY (SCHED_NAME,CALENDAR_NAME)
            );

            CREATE TABLE QRTZ_PAUSED_TRIGGER_GRPS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              TRIGGER_GROUP NVARCHAR(150) NOT NULL,
              PAUSE_REASON NVARCHAR(250) NULL,
              PAUSED_BY NVARCHAR(200) NULL,
              PAUSED_AT BIGINT NULL,
              PRIMARY KEY (SCHED_NAME,TRIGGER_GROUP)
            );

            CREATE TABLE QRTZ_PAUSED_JOB_GRPS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              JOB_GROUP NVARCHAR(150) NOT NULL,
              PAUSE_REASON NVARCHAR(250) NULL,
              PAUSED_BY NVARCHAR(200) NULL,
              PAUSED_AT BIGINT NULL,
              PRIMARY KEY (SCHED_NAME,JOB_GROUP)
            );

            CREATE TABLE QRTZ_FIRED_TRIGGERS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              ENTRY_ID NVARCHAR(140) NOT NULL,
              TRIGGER_NAME NVARCHAR(150) NOT NULL,
              TRIGGER_GROUP NVARCHAR(150) NOT NULL,
              INSTANCE_NAME NVARCHAR(200) NOT NULL,
              FIRED_TIME BIGINT NOT NULL,
              SCHED_TIME BIGINT NOT NULL,
              PRIORITY INTEGER NOT NULL,
              STATE NVARCHAR(16) NOT NULL,
              JOB_NAME NVARCHAR(150) NULL,
              JOB_GROUP NVARCHAR(150) NULL,
              IS_NONCONCURRENT BIT NULL,
              REQUESTS_RECOVERY BIT NULL,
              EXECUTION_GROUP NVARCHAR(200) NULL,
              PROGRESS INTEGER NULL,
              PROGRESS_MESSAGE NVARCHAR(250) NULL,
              INTERRUPT_REQUESTED_TIME BIGINT NULL,
              PRIMARY KEY (SCHED_NAME,ENTRY_ID)
            );

            CREATE TABLE QRTZ_SCHEDULER_STATE (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              INSTANCE_NAME NVARCHAR(200) NOT NULL,
              LAST_CHECKIN_TIME BIGINT NOT NULL,
              CHECKIN_INTERVAL BIGINT NOT NULL,
              QUARTZ_VERSION NVARCHAR(20) NULL,
              PRIMARY KEY (SCHED_NAME,INSTANCE_NAME)
            );

            CREATE TABLE QRTZ_LOCKS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              LOCK_NAME NVARCHAR(40) NOT NULL,
              PRIMARY KEY (SCHED_NAME,LOCK_NAME)
            );

            CREATE TABLE QRTZ_EXECUTION_HISTORY (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              ENTRY_ID NVARCHAR(140) NOT NULL,
              INSTANCE_NAME NVARCHAR(200) NOT NULL,
              JOB_NAME NVARCHAR(150) NOT NULL,
              JOB_GROUP NVARCHAR(150) NOT NULL,
              TRIGGER_NAME NVARCHAR(150) NOT NULL,
              TRIGGER_GROUP NVARCHAR(150) NOT NULL,
              FIRED_TIME BIGINT NOT NULL,
              RUN_TIME BIGINT NOT NULL,
              SUCCEEDED BIT NOT NULL,
              ERROR_MESSAGE NVARCHAR(1000) NULL,
              RETRY_ATTEMPT INTEGER NOT NULL DEFAULT 0,
              RETRY_SCHEDULED BIT NOT NULL DEFAULT 0,
              EXECUTION_LOG TEXT NULL,
              RESULT INTEGER NULL,
              SUMMARY NVARCHAR(1000) NULL,
              METRICS TEXT NULL,
              MANUAL BIT NULL,
              FIRE_INSTANCE_ID NVARCHAR(140) NULL,
              JOB_INPUT TEXT NULL,
              JOB_INPUT_TOO_LARGE BIT NULL,
              PRIMARY KEY (SCHED_NAME,ENTRY_ID)
            );

            CREATE TABLE QRTZ_MISFIRE_HISTORY (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              ENTRY_ID NVARCHAR(140) NOT NULL,
              INSTANCE_NAME NVARCHAR(200) NOT NULL,
              TRIGGER_NAME NVARCHAR(150) NOT NULL,
              TRIGGER_GROUP NVARCHAR(150) NOT NULL,
              JOB_NAME NVARCHAR(150) NULL,
              JOB_GROUP NVARCHAR(150) NULL,
              MISFIRE_TIME BIGINT NOT NULL,
              SCHED_TIME BIGINT NULL,
              REASON INTEGER NULL,
              PRIMARY KEY (SCHED_NAME,ENTRY_ID)
            );

            CREATE TABLE QRTZ_JOB_STATUS (
              SCHED_NAME NVARCHAR(120) NOT NULL,
              JOB_GROUP NVARCHAR(150) NOT NULL,
              JOB_NAME NVARCHAR(150) NOT NULL,
              FIRST_FIRED_TIME BIGINT NOT NULL,
              LAST_FIRED_TIME BIGINT NOT NULL,
              LAST_RESULT INTEGER NOT NULL,
              LAST_RUN_TIME BIGINT NOT NULL,
              LAST_INSTANCE_NAME NVARCHAR(200) NOT NULL,
              LAST_ENTRY_ID NVARCHAR(140) NULL,
              LAST_SUMMARY NVARCHAR(1000) NULL,
              LAST_SUCCESS_TIME BIGINT NULL,
              LAST_FAILURE_TIME BIGINT NULL,
              LAST_FAILURE_MESSAGE NVARCHAR(1000) NULL,
              CONSECUTIVE_FAILURES INTEGER NOT NULL DEFAULT 0,
              RUN_COUNT BIGINT NOT NULL DEFAULT 0,
              FAILURE_COUNT BIGINT NOT NULL DEFAULT 0,
              PRIMARY KEY (SCHED_NAME,JOB_GROUP,JOB_NAME)
            );

            CREATE TRIGGER QRTZ_DELETE_SIMPLE_TRIGGER DELETE ON QRTZ_TRIGGERS
            BEGIN
              DELETE FROM QRTZ_SIMPLE_TRIGGERS WHERE SCHED_NAME=OLD.SCHED_NAME AND TRIGGER_NAME=OLD.TRIGGER_NAME AND TRIGGER_GROUP=OLD.TRIGGER_GROUP;
            END;

            CREATE TRIGGER QRTZ_DELETE_SIMPROP_TRIGGER DELETE ON QRTZ_TRIGGERS
            BEGIN
              DELETE FROM QRTZ_SIMPROP_TRIGGERS WHERE SCHED_NAME=OLD.SCHED_NAME AND TRIGGER_NAME=OLD.TRIGGER_NAME AND TRIGGER_GROUP=OLD.TRIGGER_GROUP;
            END;

            CREATE TRIGGER QRTZ_DELETE_CRON_TRIGGER DELETE ON QRTZ_TRIGGERS
            BEGIN
              DELETE FROM QRTZ_CRON_TRIGGERS WHERE SCHED_NAME=OLD.SCHED_NAME AND TRIGGER_NAME=OLD.TRIGGER_NAME AND TRIGGER_GROUP=OLD.TRIGGER_GROUP;
            END;

            CREATE TRIGGER QRTZ_DELETE_BLOB_TRIGGER DELETE ON QRTZ_TRIGGERS
            BEGIN
              DELETE FROM QRTZ_BLOB_TRIGGERS WHERE SCHED_NAME=OLD.SCHED_NAME AND TRIGGER_NAME=OLD.TRIGGER_NAME AND TRIGGER_GROUP=OLD.TRIGGER_GROUP;
            END;

            CREATE INDEX IDX_QRTZ_J_G_N ON QRTZ_JOB_DETAILS(SCHED_NAME,JOB_GROUP,JOB_NAME);

            CREATE INDEX IDX_QRTZ_T_J ON QRTZ_TRIGGERS(SCHED_NAME,JOB_NAME,JOB_GROUP);

            CREATE INDEX IDX_QRTZ_T_G_N ON QRTZ_TRIGGERS(SCHED_NAME,TRIGGER_GROUP,TRIGGER_NAME);

            CREATE INDEX IDX_QRTZ_T_C ON QRTZ_TRIGGERS(SCHED_NAME,CALENDAR_NAME);

            CREATE INDEX IDX_QRTZ_T_NFT_ST ON QRTZ_TRIGGERS(SCHED_NAME,TRIGGER_STATE,NEXT_FIRE_TIME ASC,PRIORITY DESC,MISFIRE_INSTR);

            CREATE INDEX IDX_QRTZ_FT_INST_JOB_REQ_RCVRY ON QRTZ_FIRED_TRIGGERS(SCHED_NAME,INSTANCE_NAME,REQUESTS_RECOVERY);

            CREATE INDEX IDX_QRTZ_FT_J_G ON QRTZ_FIRED_TRIGGERS(SCHED_NAME,JOB_NAME,JOB_GROUP);

            CREATE INDEX IDX_QRTZ_FT_T_G ON QRTZ_FIRED_TRIGGERS(SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP);

            CREATE INDEX IDX_QRTZ_EH_FIRED_TIME ON QRTZ_EXECUTION_HISTORY(SCHED_NAME,FIRED_TIME);

            CREATE INDEX IDX_QRTZ_EH_INST ON QRTZ_EXECUTION_HISTORY(SCHED_NAME,INSTANCE_NAME);

            CREATE INDEX IDX_QRTZ_MH_MISFIRE_TIME ON QRTZ_MISFIRE_HISTORY(SCHED_NAME,MISFIRE_TIME);

            CREATE INDEX IDX_QRTZ_MH_INST ON QRTZ_MISFIRE_HISTORY(SCHED_NAME,INSTANCE_NAME);

            CREATE INDEX IDX_QRTZ_EH_JOB_TIME ON QRTZ_EXECUTION_HISTORY(SCHED_NAME,JOB_GROUP,JOB_NAME,FIRED_TIME);

            CREATE INDEX IDX_QRTZ_EH_FIRE_INST ON QRTZ_EXECUTION_HISTORY(SCHED_NAME,FIRE_INSTANCE_ID);

            CREATE INDEX IDX_QRTZ_EH_TRIG_TIME ON QRTZ_EXECUTION_HISTORY(SCHED_NAME,TRIGGER_GROUP,TRIGGER_NAME,FIRED_TIME);
            """, Postgres: "SELECT 1"),

        new(6, "elections, reminder subscriptions, allies who left office", """
            CREATE TABLE elections (
                id INTEGER PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                ref_no INTEGER NOT NULL,
                jurisdiction TEXT NOT NULL,
                jurisdiction_key TEXT NOT NULL,
                election_date TEXT NOT NULL,
                name TEXT,
                kind TEXT,
                offices TEXT,
                takes_office TEXT,
                uid TEXT,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (workspace_id, ref_no));
            CREATE UNIQUE INDEX ix_elections_uid ON elections (workspace_id, uid) WHERE uid IS NOT NULL;
            CREATE INDEX ix_elections_date ON elections (workspace_id, election_date);

            CREATE TABLE election_subscriptions (
                workspace_id TEXT NOT NULL,
                channel_id TEXT NOT NULL,
                platform TEXT NOT NULL,
                leads TEXT NOT NULL,
                afters TEXT NOT NULL,
                jurisdiction_key TEXT,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, channel_id));

            ALTER TABLE allies ADD COLUMN left_office_on TEXT;
            """),

        new(7, "check-in initiatives and their members", """
            CREATE TABLE initiatives (
                id INTEGER PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                ref_no INTEGER NOT NULL,
                name TEXT NOT NULL,
                name_key TEXT NOT NULL,
                metrics TEXT NOT NULL,
                baseline REAL,
                target REAL,
                target_date TEXT,
                weekday INTEGER NOT NULL,
                at_time TEXT NOT NULL,
                time_zone TEXT NOT NULL,
                nudge_after_hours INTEGER NOT NULL DEFAULT 24,
                rules TEXT NOT NULL DEFAULT 'ppm',
                channel_id TEXT NOT NULL,
                platform TEXT NOT NULL,
                paused INTEGER NOT NULL DEFAULT 0,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (workspace_id, ref_no),
                UNIQUE (workspace_id, name_key));

            CREATE TABLE initiative_members (
                workspace_id TEXT NOT NULL,
                initiative_id INTEGER NOT NULL REFERENCES initiatives(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL,
                PRIMARY KEY (workspace_id, initiative_id, user_id));
            """),

        new(8, "weekly check-ins", """
            CREATE TABLE checkins (
                workspace_id TEXT NOT NULL,
                initiative_id INTEGER NOT NULL REFERENCES initiatives(id) ON DELETE CASCADE,
                week TEXT NOT NULL,
                member TEXT NOT NULL,
                metric_values TEXT NOT NULL,
                wins TEXT,
                barriers TEXT,
                next_steps TEXT,
                help_needed TEXT,
                submitted_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, initiative_id, week, member));
            """),

        new(9, "skipped check-in weeks, members away", """
            CREATE TABLE checkin_skips (
                workspace_id TEXT NOT NULL,
                initiative_id INTEGER NOT NULL REFERENCES initiatives(id) ON DELETE CASCADE,
                week TEXT NOT NULL,
                skipped_by TEXT NOT NULL,
                PRIMARY KEY (workspace_id, initiative_id, week));

            CREATE TABLE checkin_away (
                workspace_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                until TEXT NOT NULL,
                PRIMARY KEY (workspace_id, user_id));
            """),

        new(10, "posted check-in digests, host secrets", """
            CREATE TABLE checkin_digests (
                workspace_id TEXT NOT NULL,
                initiative_id INTEGER NOT NULL REFERENCES initiatives(id) ON DELETE CASCADE,
                week TEXT NOT NULL,
                posted_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, initiative_id, week));

            CREATE TABLE host_secrets (
                name TEXT PRIMARY KEY,
                protected_value TEXT NOT NULL,
                created_at TEXT NOT NULL);
            """),

        new(11, "data protection key ring (shared by the instances on PostgreSQL)", """
            CREATE TABLE data_protection_keys (
                name TEXT PRIMARY KEY,
                xml TEXT NOT NULL);
            """),

        new(12, "slack DM channel ids per user", """
            CREATE TABLE slack_dm_channels (
                workspace_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                channel_id TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, user_id));
            """),

        new(13, "outbox: tries begun, claim indexes without a sort, one sending instance per workspace", """
            ALTER TABLE outbox ADD COLUMN tried_at TEXT;
            DROP INDEX ix_outbox_due;
            CREATE INDEX ix_outbox_due ON outbox (status, not_before, id);
            CREATE INDEX ix_outbox_claims ON outbox (status, claimed_until, id);

            CREATE TABLE outbox_senders (
                platform TEXT NOT NULL,
                workspace_id TEXT NOT NULL,
                instance TEXT NOT NULL,
                held_until TEXT NOT NULL,
                PRIMARY KEY (platform, workspace_id));
            """),

        new(14, "outbox: when a message failed for good (coord status lists a week of them)", """
            ALTER TABLE outbox ADD COLUMN failed_at TEXT;
            CREATE INDEX ix_outbox_failed ON outbox (workspace_id, status, failed_at);
            """),

        // Every child row belongs to its parent's workspace, enforced by the schema: a touchpoint, link, member,
        // check-in, skip or digest names its parent by (workspace, id), so no store call, however wrong, can attach
        // one workspace's row to another's ally or initiative. Rows that already did (none can through the commands)
        // were invisible to both workspaces' queries and are not carried over.
        new(15, "child rows reference their parent within the same workspace (composite foreign keys)", """
            CREATE UNIQUE INDEX ux_allies_workspace_id ON allies (workspace_id, id);
            CREATE UNIQUE INDEX ux_initiatives_workspace_id ON initiatives (workspace_id, id);

            CREATE TABLE touchpoints_v15 (
                id INTEGER PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                ally_id INTEGER NOT NULL,
                on_date TEXT NOT NULL,
                via TEXT,
                note TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                FOREIGN KEY (workspace_id, ally_id) REFERENCES allies (workspace_id, id) ON DELETE CASCADE);
            INSERT INTO touchpoints_v15 (id, workspace_id, ally_id, on_date, via, note, created_by, created_at)
                SELECT id, workspace_id, ally_id, on_date, via, note, created_by, created_at FROM touchpoints t
                WHERE EXISTS (SELECT 1 FROM allies a WHERE a.workspace_id = t.workspace_id AND a.id = t.ally_id);
            DROP TABLE touchpoints;
            ALTER TABLE touchpoints_v15 RENAME TO touchpoints;
            CREATE INDEX ix_touchpoints_ally ON touchpoints (workspace_id, ally_id, on_date);

            CREATE TABLE ally_links_v15 (
                workspace_id TEXT NOT NULL,
                ally_a INTEGER NOT NULL,
                ally_b INTEGER NOT NULL,
                relation TEXT,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, ally_a, ally_b),
                CHECK (ally_a < ally_b),
                FOREIGN KEY (workspace_id, ally_a) REFERENCES allies (workspace_id, id) ON DELETE CASCADE,
                FOREIGN KEY (workspace_id, ally_b) REFERENCES allies (workspace_id, id) ON DELETE CASCADE);
            INSERT INTO ally_links_v15 (workspace_id, ally_a, ally_b, relation, created_by, created_at)
                SELECT workspace_id, ally_a, ally_b, relation, created_by, created_at FROM ally_links t
                WHERE EXISTS (SELECT 1 FROM allies a WHERE a.workspace_id = t.workspace_id AND a.id = t.ally_a)
                AND EXISTS (SELECT 1 FROM allies b WHERE b.workspace_id = t.workspace_id AND b.id = t.ally_b);
            DROP TABLE ally_links;
            ALTER TABLE ally_links_v15 RENAME TO ally_links;
            CREATE INDEX ix_ally_links_b ON ally_links (workspace_id, ally_b);

            CREATE TABLE initiative_members_v15 (
                workspace_id TEXT NOT NULL,
                initiative_id INTEGER NOT NULL,
                user_id TEXT NOT NULL,
                PRIMARY KEY (workspace_id, initiative_id, user_id),
                FOREIGN KEY (workspace_id, initiative_id) REFERENCES initiatives (workspace_id, id) ON DELETE CASCADE);
            INSERT INTO initiative_members_v15 (workspace_id, initiative_id, user_id)
                SELECT workspace_id, initiative_id, user_id FROM initiative_members t
                WHERE EXISTS (SELECT 1 FROM initiatives i WHERE i.workspace_id = t.workspace_id AND i.id = t.initiative_id);
            DROP TABLE initiative_members;
            ALTER TABLE initiative_members_v15 RENAME TO initiative_members;

            CREATE TABLE checkins_v15 (
                workspace_id TEXT NOT NULL,
                initiative_id INTEGER NOT NULL,
                week TEXT NOT NULL,
                member TEXT NOT NULL,
                metric_values TEXT NOT NULL,
                wins TEXT,
                barriers TEXT,
                next_steps TEXT,
                help_needed TEXT,
                submitted_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, initiative_id, week, member),
                FOREIGN KEY (workspace_id, initiative_id) REFERENCES initiatives (workspace_id, id) ON DELETE CASCADE);
            INSERT INTO checkins_v15 (workspace_id, initiative_id, week, member, metric_values, wins, barriers, next_steps, help_needed, submitted_at)
                SELECT workspace_id, initiative_id, week, member, metric_values, wins, barriers, next_steps, help_needed, submitted_at FROM checkins t
                WHERE EXISTS (SELECT 1 FROM initiatives i WHERE i.workspace_id = t.workspace_id AND i.id = t.initiative_id);
            DROP TABLE checkins;
            ALTER TABLE checkins_v15 RENAME TO checkins;

            CREATE TABLE checkin_skips_v15 (
                workspace_id TEXT NOT NULL,
                initiative_id INTEGER NOT NULL,
                week TEXT NOT NULL,
                skipped_by TEXT NOT NULL,
                PRIMARY KEY (workspace_id, initiative_id, week),
                FOREIGN KEY (workspace_id, initiative_id) REFERENCES initiatives (workspace_id, id) ON DELETE CASCADE);
            INSERT INTO checkin_skips_v15 (workspace_id, initiative_id, week, skipped_by)
                SELECT workspace_id, initiative_id, week, skipped_by FROM checkin_skips t
                WHERE EXISTS (SELECT 1 FROM initiatives i WHERE i.workspace_id = t.workspace_id AND i.id = t.initiative_id);
            DROP TABLE checkin_skips;
            ALTER TABLE checkin_skips_v15 RENAME TO checkin_skips;

            CREATE TABLE checkin_digests_v15 (
                workspace_id TEXT NOT NULL,
                initiative_id INTEGER NOT NULL,
                week TEXT NOT NULL,
                posted_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, initiative_id, week),
                FOREIGN KEY (workspace_id, initiative_id) REFERENCES initiatives (workspace_id, id) ON DELETE CASCADE);
            INSERT INTO checkin_digests_v15 (workspace_id, initiative_id, week, posted_at)
                SELECT workspace_id, initiative_id, week, posted_at FROM checkin_digests t
                WHERE EXISTS (SELECT 1 FROM initiatives i WHERE i.workspace_id = t.workspace_id AND i.id = t.initiative_id);
            DROP TABLE checkin_digests;
            ALTER TABLE checkin_digests_v15 RENAME TO checkin_digests;
            """, Postgres: """
            ALTER TABLE allies ADD CONSTRAINT ux_allies_workspace_id UNIQUE (workspace_id, id);
            ALTER TABLE initiatives ADD CONSTRAINT ux_initiatives_workspace_id UNIQUE (workspace_id, id);

            DELETE FROM touchpoints t WHERE NOT (EXISTS (SELECT 1 FROM allies a WHERE a.workspace_id = t.workspace_id AND a.id = t.ally_id));
            ALTER TABLE touchpoints
                DROP CONSTRAINT IF EXISTS touchpoints_ally_id_fkey,
                ADD CONSTRAINT fk_touchpoints_ally_id FOREIGN KEY (workspace_id, ally_id) REFERENCES allies (workspace_id, id) ON DELETE CASCADE;

            DELETE FROM ally_links t WHERE NOT (EXISTS (SELECT 1 FROM allies a WHERE a.workspace_id = t.workspace_id AND a.id = t.ally_a)
                AND EXISTS (SELECT 1 FROM allies b WHERE b.workspace_id = t.workspace_id AND b.id = t.ally_b));
            ALTER TABLE ally_links
                DROP CONSTRAINT IF EXISTS ally_links_ally_a_fkey,
                DROP CONSTRAINT IF EXISTS ally_links_ally_b_fkey,
                ADD CONSTRAINT fk_ally_links_ally_a FOREIGN KEY (workspace_id, ally_a) REFERENCES allies (workspace_id, id) ON DELETE CASCADE,
                ADD CONSTRAINT fk_ally_links_ally_b FOREIGN KEY (workspace_id, ally_b) REFERENCES allies (workspace_id, id) ON DELETE CASCADE;

            DELETE FROM initiative_members t WHERE NOT (EXISTS (SELECT 1 FROM initiatives i WHERE i.workspace_id = t.workspace_id AND i.id = t.initiative_id));
            ALTER TABLE initiative_members
                DROP CONSTRAINT IF EXISTS initiative_members_initiative_id_fkey,
                ADD CONSTRAINT fk_initiative_members_initiative_id FOREIGN KEY (workspace_id, initiative_id) REFERENCES initiatives (workspace_id, id) ON DELETE CASCADE;

            DELETE FROM checkins t WHERE NOT (EXISTS (SELECT 1 FROM initiatives i WHERE i.workspace_id = t.workspace_id AND i.id = t.initiative_id));
            ALTER TABLE checkins
                DROP CONSTRAINT IF EXISTS checkins_initiative_id_fkey,
                ADD CONSTRAINT fk_checkins_initiative_id FOREIGN KEY (workspace_id, initiative_id) REFERENCES initiatives (workspace_id, id) ON DELETE CASCADE;

            DELETE FROM checkin_skips t WHERE NOT (EXISTS (SELECT 1 FROM initiatives i WHERE i.workspace_id = t.workspace_id AND i.id = t.initiative_id));
            ALTER TABLE checkin_skips
                DROP CONSTRAINT IF EXISTS checkin_skips_initiative_id_fkey,
                ADD CONSTRAINT fk_checkin_skips_initiative_id FOREIGN KEY (workspace_id, initiative_id) REFERENCES initiatives (workspace_id, id) ON DELETE CASCADE;

            DELETE FROM checkin_digests t WHERE NOT (EXISTS (SELECT 1 FROM initiatives i WHERE i.workspace_id = t.workspace_id AND i.id = t.initiative_id));
            ALTER TABLE checkin_digests
                DROP CONSTRAINT IF EXISTS checkin_digests_initiative_id_fkey,
                ADD CONSTRAINT fk_checkin_digests_initiative_id FOREIGN KEY (workspace_id, initiative_id) REFERENCES initiatives (workspace_id, id) ON DELETE CASCADE;
            """),

        new(16, "initiatives: functional-zero goal (population, point-in-time count, set benchmark)", """
            ALTER TABLE initiatives ADD COLUMN population TEXT;
            ALTER TABLE initiatives ADD COLUMN pit_count REAL;
            ALTER TABLE initiatives ADD COLUMN fz_benchmark REAL;
            """),

        new(17, "run-chart phases of an initiative's metrics", """
            CREATE TABLE checkin_phases (
                id INTEGER PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                initiative_id INTEGER NOT NULL,
                metric TEXT,
                from_week TEXT NOT NULL,
                note TEXT,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                FOREIGN KEY (workspace_id, initiative_id) REFERENCES initiatives (workspace_id, id) ON DELETE CASCADE);
            CREATE INDEX ix_checkin_phases ON checkin_phases (workspace_id, initiative_id, id);
            """),

        // A member's own time zone (docs/features.md, "Each member's own time zone"): the one the platform reports
        // (Slack users.info tz, Teams clientInfo.timezone) and the one set by hand (checkin zone), kept apart so that
        // "checkin zone off" falls back to the platform's. A user need not be in users (a member mentioned at setup).
        new(18, "members' own time zones (from the platform, or set by hand)", """
            CREATE TABLE member_zones (
                workspace_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                platform_zone TEXT,
                own_zone TEXT,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, user_id));
            """),

        // The web dashboard (docs/security.md, "Dashboard"): sessions opened from a signed link, stored by the SHA-256 of their
        // random id (the cookie carries the id, the database only its hash), and each workspace's link generation, which
        // coord dashboard revoke moves on so that every link and session issued before it stops working.
        new(19, "dashboard sessions and each workspace's link generation", """
            CREATE TABLE dashboard_sessions (
                workspace_id TEXT NOT NULL,
                id_hash TEXT NOT NULL,
                user_id TEXT NOT NULL,
                generation INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, id_hash));
            CREATE INDEX ix_dashboard_sessions_expires ON dashboard_sessions (workspace_id, expires_at);
            CREATE TABLE dashboard_generations (
                workspace_id TEXT PRIMARY KEY,
                generation INTEGER NOT NULL,
                revoked_at TEXT NOT NULL,
                revoked_by TEXT NOT NULL);
            """),

        // Contact cadence (docs/features.md, "Contact cadence"): an ally's own interval (null: its level's, 0: none) and the
        // day it is due, kept up to date by AllyStore on every change so that "who is due" is one index range; a
        // workspace's intervals by level, where an admin changed them.
        new(20, "allies: contact cadence (own interval, due day, snooze), each workspace's intervals by level, nudge opt-outs", """
            ALTER TABLE allies ADD COLUMN contact_every INTEGER;
            ALTER TABLE allies ADD COLUMN due_on TEXT;
            ALTER TABLE allies ADD COLUMN snoozed_until TEXT;
            CREATE INDEX ix_allies_due ON allies (workspace_id, due_on, id, snoozed_until);
            CREATE INDEX ix_allies_keeper_due ON allies (workspace_id, COALESCE(owner, created_by), due_on, id, snoozed_until);
            CREATE TABLE workspace_cadences (
                workspace_id TEXT NOT NULL,
                level TEXT NOT NULL,
                days INTEGER NOT NULL,
                PRIMARY KEY (workspace_id, level));
            CREATE TABLE nudge_optouts (
                workspace_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, user_id));
            UPDATE allies SET due_on = date(COALESCE(last_contact, substr(created_at, 1, 10)),
                '+' || (CASE level WHEN 'elected' THEN 30 WHEN 'appointed' THEN 45 WHEN 'executive' THEN 60 ELSE 90 END) || ' days');
            """, """
            ALTER TABLE allies ADD COLUMN contact_every INTEGER;
            ALTER TABLE allies ADD COLUMN due_on TEXT;
            ALTER TABLE allies ADD COLUMN snoozed_until TEXT;
            CREATE INDEX ix_allies_due ON allies (workspace_id, due_on, id, snoozed_until);
            CREATE INDEX ix_allies_keeper_due ON allies (workspace_id, COALESCE(owner, created_by), due_on, id, snoozed_until);
            CREATE TABLE workspace_cadences (
                workspace_id TEXT NOT NULL,
                level TEXT NOT NULL,
                days INTEGER NOT NULL,
                PRIMARY KEY (workspace_id, level));
            CREATE TABLE nudge_optouts (
                workspace_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, user_id));
            UPDATE allies SET due_on = to_char(to_date(COALESCE(last_contact, substr(created_at, 1, 10)), 'YYYY-MM-DD') +
                (CASE level WHEN 'elected' THEN 30 WHEN 'appointed' THEN 45 WHEN 'executive' THEN 60 ELSE 90 END), 'YYYY-MM-DD')
            WHERE COALESCE(last_contact, substr(created_at, 1, 10)) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
            """),

        new(21, "slack chart uploads: how far each chart file of an outbox message got (files API, two steps)", """
            CREATE TABLE slack_chart_uploads (
                workspace_id TEXT NOT NULL,
                message_key TEXT NOT NULL,
                chart INTEGER NOT NULL,
                file_id TEXT NOT NULL,
                state TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (workspace_id, message_key, chart));
            """),

        // Role history (docs/features.md, "Role history"): an ally's earlier role, organization, level and jurisdiction, each
        // with the days it ran from and to; role_since is when the current one began (null: when the ally was added).
        new(22, "allies: role history (earlier roles with their dates) and when the current role began", """
            ALTER TABLE allies ADD COLUMN role_since TEXT;
            CREATE TABLE ally_roles (
                id INTEGER PRIMARY KEY,
                workspace_id TEXT NOT NULL,
                ally_id INTEGER NOT NULL,
                role TEXT, org TEXT, org_key TEXT, level TEXT, jurisdiction TEXT, jurisdiction_key TEXT,
                from_on TEXT NOT NULL,
                until_on TEXT NOT NULL,
                reason TEXT NOT NULL,
                created_at TEXT NOT NULL,
                FOREIGN KEY (workspace_id, ally_id) REFERENCES allies (workspace_id, id) ON DELETE CASCADE);
            CREATE INDEX ix_ally_roles_ally ON ally_roles (workspace_id, ally_id, until_on);
            CREATE INDEX ix_ally_roles_org ON ally_roles (workspace_id, org_key);
            CREATE INDEX ix_ally_roles_jurisdiction ON ally_roles (workspace_id, jurisdiction_key);
            """),

        // Officials from Open States (docs/features.md, "Officials from Open States"): the person's id in the
        // source (ocd-person/…), so importing again updates the ally, and the day the current term ends.
        new(23, "allies: an id in an outside source (Open States) and the day the current term ends", """
            ALTER TABLE allies ADD COLUMN external_id TEXT;
            ALTER TABLE allies ADD COLUMN term_ends TEXT;
            CREATE UNIQUE INDEX ux_allies_external ON allies (workspace_id, external_id);
            """),

        // ally list's total and the version its page cache checks (docs/performance.md, "Signed Slack slash commands under
        // load"), kept by the database itself so that every writer (any instance, any statement) keeps them right. A row is
        // never deleted: a version only grows, so a page cached under an old one can never match again.
        new(24, "ally counts: each workspace's number of allies and a version that every change of its allies or role history raises", """
            CREATE TABLE ally_counts (
                workspace_id TEXT PRIMARY KEY,
                allies INTEGER NOT NULL,
                version INTEGER NOT NULL);
            INSERT INTO ally_counts (workspace_id, allies, version) SELECT workspace_id, COUNT(*), 1 FROM allies GROUP BY workspace_id;
            CREATE TRIGGER ally_counts_insert AFTER INSERT ON allies BEGIN
                INSERT INTO ally_counts (workspace_id, allies, version) VALUES (new.workspace_id, 1, 1)
                ON CONFLICT (workspace_id) DO UPDATE SET allies = allies + 1, version = version + 1;
            END;
            CREATE TRIGGER ally_counts_delete AFTER DELETE ON allies BEGIN
                UPDATE ally_counts SET allies = allies - 1, version = version + 1 WHERE workspace_id = old.workspace_id;
            END;
            CREATE TRIGGER ally_counts_update AFTER UPDATE ON allies BEGIN
                UPDATE ally_counts SET version = version + 1 WHERE workspace_id IN (old.workspace_id, new.workspace_id);
            END;
            CREATE TRIGGER ally_roles_version_insert AFTER INSERT ON ally_roles BEGIN
                UPDATE ally_counts SET version = version + 1 WHERE workspace_id = new.workspace_id;
            END;
            CREATE TRIGGER ally_roles_version_delete AFTER DELETE ON ally_roles BEGIN
                UPDATE ally_counts SET version = version + 1 WHERE workspace_id = old.workspace_id;
            END;
            CREATE TRIGGER ally_roles_version_update AFTER UPDATE ON ally_roles BEGIN
                UPDATE ally_counts SET version = version + 1 WHERE workspace_id IN (old.workspace_id, new.workspace_id);
            END;
            """, Postgres: """
            CREATE TABLE ally_counts (
                workspace_id TEXT PRIMARY KEY,
                allies BIGINT NOT NULL,
                version BIGINT NOT NULL);
            INSERT INTO ally_counts (workspace_id, allies, version) SELECT workspace_id, COUNT(*), 1 FROM allies GROUP BY workspace_id;
            CREATE FUNCTION ally_counts_allies() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO ally_counts AS c (workspace_id, allies, version) VALUES (NEW.workspace_id, 1, 1)
                    ON CONFLICT (workspace_id) DO UPDATE SET allies = c.allies + 1, version = c.version + 1;
                ELSIF TG_OP = 'DELETE' THEN
                    UPDATE ally_counts SET allies = allies - 1, version = version + 1 WHERE workspace_id = OLD.workspace_id;
                ELSE
                    UPDATE ally_counts SET version = version + 1 WHERE workspace_id IN (OLD.workspace_id, NEW.workspace_id);
                END IF;
                RETURN NULL;
            END $$;
            CREATE FUNCTION ally_counts_roles() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    UPDATE ally_counts SET version = version + 1 WHERE workspace_id = NEW.workspace_id;
                ELSIF TG_OP = 'DELETE' THEN
                    UPDATE ally_counts SET version = version + 1 WHERE workspace_id = OLD.workspace_id;
                ELSE
                    UPDATE ally_counts SET version = version + 1 WHERE workspace_id IN (OLD.workspace_id, NEW.workspace_id);
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER ally_counts_allies AFTER INSERT OR UPDATE OR DELETE ON allies FOR EACH ROW EXECUTE FUNCTION ally_counts_allies();
            CREATE TRIGGER ally_counts_roles AFTER INSERT OR UPDATE OR DELETE ON ally_roles FOR EACH ROW EXECUTE FUNCTION ally_counts_roles();
            """),

        // Most allies have no outside id and no owner: indexes over those alone are written only for the allies that have one
        // (each index an add writes is a page more in its commit; docs/performance.md). Lookups by either name the value, so
        // SQLite and PostgreSQL use these as before.
        new(25, "allies: the outside-id and owner indexes cover only the allies that have one", """
            DROP INDEX ux_allies_external;
            CREATE UNIQUE INDEX ux_allies_external ON allies (workspace_id, external_id) WHERE external_id IS NOT NULL;
            DROP INDEX ix_allies_owner;
            CREATE INDEX ix_allies_owner ON allies (workspace_id, owner, last_contact, id) WHERE owner IS NOT NULL;
            """),
    ];

    private const string V1 = """
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
            """;

    /// <summary>
    /// PostgreSQL's full-text index for <c>ally find</c>, in place of SQLite's FTS5 table: a generated tsvector
    /// (simple configuration: no stemming, as FTS5's unicode61) over the accent-folded text, with a GIN index.
    /// <c>coordbot_fold</c> lower-cases and removes the accents of Latin letters, as <see cref="SqlDialect.Fold"/> does
    /// to the words searched for (FTS5's remove_diacritics on SQLite).
    /// </summary>
    private const string V1PostgresSearch = """

        CREATE FUNCTION coordbot_fold(t TEXT) RETURNS TEXT LANGUAGE SQL IMMUTABLE PARALLEL SAFE AS $$
            SELECT translate(lower(t),
                'àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňòóôõöøōŏőŕŗřśŝşšţťŧùúûüũūŭůűųŵýÿŷźżž',
                'aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnooooooooorrrsssstttuuuuuuuuuuwyyyzzz')
        $$;
        ALTER TABLE allies ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', coordbot_fold(
            coalesce(name, '') || ' ' || coalesce(org, '') || ' ' || coalesce(role, '') || ' ' ||
            coalesce(tags, '') || ' ' || coalesce(notes, '') || ' ' || coalesce(jurisdiction, '')))) STORED;
        CREATE INDEX ix_allies_search ON allies USING GIN (search);
        """;
}
