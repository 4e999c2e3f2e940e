//! The CSMS schema, created idempotently by whichever component runs first.
//!
//! Each migration runs once, recorded in `schema_migrations`, inside the same
//! transaction as its statements, so two components starting together on a
//! fresh database cannot both apply it. Money is TEXT holding a decimal (never
//! REAL), energy INTEGER Wh, times TEXT in RFC 3339 UTC with `Z`. Fractional
//! seconds are written only when non-zero, so times do not sort as text:
//! compare and order them with `julianday(...)`.

use crate::{Dialect, Sql, SqlValue, StoreError};

/// The newest migration; components compare it to decide whether to migrate.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const MIGRATIONS: &[&str] = &[
    // 1: registry, connectors, authorization, transactions, meter values,
    //    tariffs, charge detail records, station events, idempotency.
    r#"
    CREATE TABLE IF NOT EXISTS charge_points (
        id TEXT PRIMARY KEY,
        password_hash TEXT,
        time_zone TEXT NOT NULL DEFAULT 'UTC',
        tariff_id TEXT,
        registration_status TEXT NOT NULL DEFAULT 'Accepted',
        vendor TEXT, model TEXT, serial_number TEXT, charge_box_serial_number TEXT,
        firmware_version TEXT, iccid TEXT, imsi TEXT, meter_type TEXT, meter_serial_number TEXT,
        ocpp_version TEXT,
        last_boot_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS connectors (
        charge_point_id TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        error_code TEXT NOT NULL,
        info TEXT, vendor_id TEXT, vendor_error_code TEXT,
        status_at TEXT NOT NULL,
        PRIMARY KEY (charge_point_id, connector_id)
    );
    CREATE TABLE IF NOT EXISTS connector_status_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        charge_point_id TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        error_code TEXT NOT NULL,
        info TEXT, vendor_id TEXT, vendor_error_code TEXT,
        status_at TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS connector_status_history_by_cp
        ON connector_status_history (charge_point_id, connector_id, status_at);
    CREATE TABLE IF NOT EXISTS id_tags (
        id_tag TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        expiry_date TEXT,
        parent_id_tag TEXT,
        max_active_transactions INTEGER,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS transactions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        charge_point_id TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        id_tag TEXT NOT NULL,
        start_auth_status TEXT NOT NULL,
        flagged INTEGER NOT NULL DEFAULT 0,
        flag_reason TEXT,
        reservation_id INTEGER,
        meter_start_wh INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        meter_stop_wh INTEGER,
        stopped_at TEXT,
        stop_reason TEXT,
        stop_id_tag TEXT,
        energy_wh INTEGER,
        energy_check TEXT,
        closed_by TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (charge_point_id, connector_id, id_tag, started_at, meter_start_wh)
    );
    CREATE INDEX IF NOT EXISTS transactions_open
        ON transactions (charge_point_id, connector_id) WHERE stopped_at IS NULL;
    CREATE INDEX IF NOT EXISTS transactions_by_id_tag ON transactions (id_tag);
    CREATE TABLE IF NOT EXISTS meter_values (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        charge_point_id TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        transaction_id INTEGER,
        source TEXT NOT NULL,
        sampled_at TEXT NOT NULL,
        value TEXT NOT NULL,
        value_wh INTEGER,
        measurand TEXT NOT NULL,
        phase TEXT, unit TEXT, context TEXT, location TEXT, format TEXT,
        received_at TEXT NOT NULL,
        -- the transactionId the charge point sent when we know no such transaction
        -- (transaction_id is then NULL): such values are kept, never dropped
        reported_transaction_id INTEGER
    );
    CREATE INDEX IF NOT EXISTS meter_values_by_tx ON meter_values (transaction_id, sampled_at);
    CREATE TABLE IF NOT EXISTS unknown_transaction_stops (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        charge_point_id TEXT NOT NULL,
        transaction_id INTEGER NOT NULL,
        payload TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS tariffs (
        id TEXT PRIMARY KEY,
        definition TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS charge_detail_records (
        transaction_id INTEGER PRIMARY KEY,
        tariff_id TEXT,
        currency TEXT,
        energy_wh INTEGER NOT NULL,
        duration_s INTEGER NOT NULL,
        charging_s INTEGER NOT NULL,
        idle_s INTEGER NOT NULL,
        total_excl_vat TEXT,
        vat_amount TEXT,
        total_incl_vat TEXT,
        priced TEXT,
        pricing_error TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS station_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        charge_point_id TEXT NOT NULL,
        action TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS processed_messages (
        charge_point_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        action TEXT NOT NULL,
        response TEXT NOT NULL,
        processed_at TEXT NOT NULL,
        PRIMARY KEY (charge_point_id, message_id)
    );
    "#,
    // 2: CSMS-initiated commands and the configuration charge points report.
    //    At most one command per charge point is `sent` (outstanding) at a time:
    //    the partial unique index makes claiming the next one race-free.
    r#"
    CREATE TABLE IF NOT EXISTS commands (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        charge_point_id TEXT NOT NULL,
        action TEXT NOT NULL,
        request TEXT NOT NULL,
        state TEXT NOT NULL,
        message_id TEXT,
        response TEXT,
        error_code TEXT,
        error_description TEXT,
        error_details TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        answered_at TEXT,
        finished_at TEXT
    );
    CREATE INDEX IF NOT EXISTS commands_by_cp ON commands (charge_point_id, state, id);
    CREATE UNIQUE INDEX IF NOT EXISTS commands_one_outstanding
        ON commands (charge_point_id) WHERE state = 'sent';
    CREATE TABLE IF NOT EXISTS charge_point_configuration (
        charge_point_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT,
        readonly INTEGER,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (charge_point_id, key)
    );
    "#,
    // 3: reservations, the local authorization list each charge point holds, and which
    //    RemoteStartTransaction became which transaction; indexes for the operator API's
    //    lists, which filter and page by julianday() of their times.
    //    A reservation is `active` until used, cancelled or expired. Expiry is lazy: a row
    //    still `active` past its expiry_date is expired to every reader, and is written
    //    `expired` when a later ReserveNow of the same charge point is accepted (so the
    //    reservation id can be reused without rewriting history). The partial unique index
    //    keeps one active reservation per reservation id, which OCPP 1.6 replaces in place.
    r#"
    CREATE TABLE IF NOT EXISTS reservations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        charge_point_id TEXT NOT NULL,
        reservation_id INTEGER NOT NULL,
        connector_id INTEGER NOT NULL,
        id_tag TEXT NOT NULL,
        parent_id_tag TEXT,
        expiry_date TEXT NOT NULL,
        state TEXT NOT NULL,
        transaction_id INTEGER,
        command_id INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS reservations_one_active
        ON reservations (charge_point_id, reservation_id) WHERE state = 'active';
    CREATE INDEX IF NOT EXISTS reservations_by_cp ON reservations (charge_point_id, state, connector_id);
    CREATE TABLE IF NOT EXISTS local_list_versions (
        charge_point_id TEXT PRIMARY KEY,
        accepted_version INTEGER,
        accepted_at TEXT,
        accepted_command_id INTEGER,
        reported_version INTEGER,
        reported_at TEXT
    );
    CREATE TABLE IF NOT EXISTS local_list_entries (
        charge_point_id TEXT NOT NULL,
        id_tag TEXT NOT NULL,
        status TEXT NOT NULL,
        expiry_date TEXT,
        parent_id_tag TEXT,
        PRIMARY KEY (charge_point_id, id_tag)
    );
    ALTER TABLE transactions ADD COLUMN remote_start_command_id INTEGER;
    CREATE UNIQUE INDEX IF NOT EXISTS transactions_by_remote_start
        ON transactions (remote_start_command_id) WHERE remote_start_command_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS transactions_by_start ON transactions (julianday(started_at), id);
    CREATE INDEX IF NOT EXISTS transactions_by_id_tag_nocase ON transactions (id_tag COLLATE NOCASE);
    CREATE INDEX IF NOT EXISTS charge_points_by_tariff ON charge_points (tariff_id);
    CREATE INDEX IF NOT EXISTS meter_values_by_tx_time
        ON meter_values (transaction_id, julianday(sampled_at), id);
    CREATE INDEX IF NOT EXISTS connector_status_history_by_time
        ON connector_status_history (charge_point_id, connector_id, julianday(status_at), id)
    "#,
    // 4: an operator's close that the charge point's own StopTransaction later replaced
    //    (JSON of the replaced stop), the CDR's revision time, and the digest that tells a
    //    retransmission from a message id reused after a reboot.
    r#"
    ALTER TABLE transactions ADD COLUMN replaced_close TEXT;
    ALTER TABLE charge_detail_records ADD COLUMN revised_at TEXT;
    ALTER TABLE processed_messages ADD COLUMN request_digest TEXT
    "#,
    // 5: one model for OCPP 1.6 and 2.0.1.
    //    - A connector is (EVSE, connector on that EVSE): `connector_id` stays the EVSE id
    //      (1.6 connector N is EVSE N) and `evse_connector_id` is the connector on it (1 for
    //      1.6; 0 with EVSE 0 for the station itself), so `connectors` is rebuilt with the
    //      wider key.
    //    - A transaction keeps the version it was reported in and the station's own id
    //      (2.0.1 `transactionId`, a string); the 1.6 id is the integer `id` itself. A 2.0.1
    //      start may come before any meter reading: `meter_start_pending` says the start
    //      value is not known yet and is taken from the first register reading.
    //    - Every 2.0.1 TransactionEvent is kept (seqNo, chargingState timeline).
    //    - Id tokens carry an optional type (2.0.1 IdTokenType; NULL matches any type).
    //    - An operator may pin a charge point to one OCPP version.
    //    - The device model a station reports (NotifyReport, GetVariables).
    r#"
    CREATE TABLE connectors_v5 (
        charge_point_id TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        evse_connector_id INTEGER NOT NULL DEFAULT 1,
        status TEXT NOT NULL,
        error_code TEXT NOT NULL,
        info TEXT, vendor_id TEXT, vendor_error_code TEXT,
        status_at TEXT NOT NULL,
        PRIMARY KEY (charge_point_id, connector_id, evse_connector_id)
    );
    INSERT INTO connectors_v5 (charge_point_id, connector_id, evse_connector_id, status, error_code,
        info, vendor_id, vendor_error_code, status_at)
        SELECT charge_point_id, connector_id, CASE WHEN connector_id = 0 THEN 0 ELSE 1 END, status,
        error_code, info, vendor_id, vendor_error_code, status_at FROM connectors;
    DROP TABLE connectors;
    ALTER TABLE connectors_v5 RENAME TO connectors;
    ALTER TABLE connector_status_history ADD COLUMN evse_connector_id INTEGER NOT NULL DEFAULT 1;
    UPDATE connector_status_history SET evse_connector_id = 0 WHERE connector_id = 0;
    ALTER TABLE transactions ADD COLUMN ocpp_version TEXT NOT NULL DEFAULT 'ocpp1.6';
    ALTER TABLE transactions ADD COLUMN station_transaction_id TEXT;
    ALTER TABLE transactions ADD COLUMN evse_connector_id INTEGER;
    ALTER TABLE transactions ADD COLUMN meter_start_pending INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE transactions ADD COLUMN charging_state TEXT;
    CREATE UNIQUE INDEX IF NOT EXISTS transactions_by_station_id
        ON transactions (charge_point_id, station_transaction_id) WHERE station_transaction_id IS NOT NULL;
    CREATE TABLE IF NOT EXISTS transaction_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        transaction_id INTEGER NOT NULL,
        seq_no INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        trigger_reason TEXT NOT NULL,
        event_at TEXT NOT NULL,
        charging_state TEXT,
        offline INTEGER NOT NULL DEFAULT 0,
        id_token TEXT,
        received_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS transaction_events_by_tx ON transaction_events (transaction_id, seq_no);
    ALTER TABLE id_tags ADD COLUMN token_type TEXT;
    ALTER TABLE charge_points ADD COLUMN ocpp_version_pin TEXT;
    CREATE TABLE IF NOT EXISTS device_model (
        charge_point_id TEXT NOT NULL,
        component TEXT NOT NULL,
        component_instance TEXT NOT NULL DEFAULT '',
        evse_id INTEGER NOT NULL DEFAULT -1,
        connector_id INTEGER NOT NULL DEFAULT -1,
        variable TEXT NOT NULL,
        variable_instance TEXT NOT NULL DEFAULT '',
        attribute_type TEXT NOT NULL DEFAULT 'Actual',
        value TEXT,
        mutability TEXT,
        characteristics TEXT,
        source TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (charge_point_id, component, component_instance, evse_id, connector_id,
                     variable, variable_instance, attribute_type)
    );
    CREATE TABLE IF NOT EXISTS device_model_reports (
        charge_point_id TEXT NOT NULL,
        request_id INTEGER NOT NULL,
        parts INTEGER NOT NULL,
        entries INTEGER NOT NULL,
        last_seq_no INTEGER NOT NULL,
        complete INTEGER NOT NULL,
        generated_at TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (charge_point_id, request_id)
    )
    "#,
    // 6: commands are written in the version the station speaks; a remote start's
    //    transaction is found by the 2.0.1 remoteStartId as well.
    r#"
    ALTER TABLE commands ADD COLUMN ocpp_version TEXT NOT NULL DEFAULT 'ocpp1.6'
    "#,
    // 7: a password sent to a station (rotation) is valid next to the current one until the
    //    station connects with it; the notifications that follow a command (firmware, log,
    //    customer information, ...) are found by the `requestId` they carry; the charging
    //    profiles each station holds; when a session last got a CostUpdated.
    r#"
    ALTER TABLE charge_points ADD COLUMN pending_password_hash TEXT;
    ALTER TABLE station_events ADD COLUMN request_id INTEGER;
    ALTER TABLE transactions ADD COLUMN cost_updated_at TEXT;
    CREATE INDEX IF NOT EXISTS station_events_by_action ON station_events (charge_point_id, action, id);
    CREATE TABLE IF NOT EXISTS charging_profiles (
        charge_point_id TEXT NOT NULL,
        profile_id INTEGER NOT NULL,
        evse_id INTEGER NOT NULL,
        stack_level INTEGER NOT NULL,
        purpose TEXT NOT NULL,
        transaction_id TEXT,
        profile TEXT NOT NULL,
        ocpp_version TEXT NOT NULL,
        source TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (charge_point_id, profile_id)
    )
    "#,
    // 8: operator API tokens with roles, stored as digests, kept after revocation so the
    //    audit log's names stay unambiguous; the audit log; each station's security profile
    //    (and the higher one an accepted SetNetworkProfile moves it to once it connects so);
    //    the certificates each station holds.
    r#"
    CREATE TABLE IF NOT EXISTS api_tokens (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        token_digest TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT
    );
    CREATE TABLE IF NOT EXISTS audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        status INTEGER,
        reference TEXT
    );
    CREATE INDEX IF NOT EXISTS audit_log_by_actor ON audit_log (actor, id);
    ALTER TABLE charge_points ADD COLUMN security_profile INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE charge_points ADD COLUMN pending_security_profile INTEGER;
    CREATE TABLE IF NOT EXISTS station_certificates (
        charge_point_id TEXT NOT NULL,
        certificate_type TEXT NOT NULL,
        hash_algorithm TEXT NOT NULL,
        issuer_name_hash TEXT NOT NULL,
        issuer_key_hash TEXT NOT NULL,
        serial_number TEXT NOT NULL,
        subject TEXT,
        not_after TEXT,
        source TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (charge_point_id, issuer_name_hash, serial_number)
    );
    CREATE INDEX IF NOT EXISTS station_certificates_by_expiry ON station_certificates (not_after)
    "#,
    // 9: what the network overview reads network-wide, newest first, without a table scan:
    //    events by kind, faults, sessions by their stop.
    r#"
    CREATE INDEX IF NOT EXISTS station_events_by_kind ON station_events (action, id);
    CREATE INDEX IF NOT EXISTS connector_status_faults ON connector_status_history (id)
        WHERE status = 'Faulted' OR error_code <> 'NoError';
    CREATE INDEX IF NOT EXISTS transactions_by_stop ON transactions (julianday(stopped_at))
    "#,
];

/// Brings the database to [`SCHEMA_VERSION`]. Cheap when already there: one read of
/// `schema_migrations`, on the path of every request (each request is a new instance, and on
/// Spin a new connection, so nothing can remember that the schema was checked).
///
/// A database that is to be migrated (a new one, or one a new release brings a migration
/// for) is switched to WAL first. Spin opens its files with SQLite's defaults
/// (rollback journal, `synchronous=FULL`), which costs several syncs per commit; the journal
/// mode is kept in the file, so setting it once is enough for every later connection.
pub fn migrate(db: &impl Sql) -> Result<(), StoreError> {
    let dialect = db.dialect();
    let current = match current_version(db) {
        Ok(current) => current,
        // Only a database that never saw a migration has no `schema_migrations`.
        Err(StoreError::Sql(message)) if crate::dialect::is_missing_table(&message) => {
            let created = db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
                &[],
            );
            // PostgreSQL fails one of two concurrent `IF NOT EXISTS` creations of one table;
            // the other one's table is as good.
            if let Err(error) = created {
                if current_version(db).is_err() {
                    return Err(error);
                }
            }
            0
        }
        Err(error) => return Err(error),
    };
    if current >= SCHEMA_VERSION {
        return Ok(());
    }
    if dialect == Dialect::Sqlite {
        // Best effort, before the migration's transaction (the journal mode cannot change
        // inside one): it fails only while another connection uses the file, and that
        // connection's request then tries too; the journal changes speed, not meaning.
        let _ = db.execute("PRAGMA journal_mode = WAL", &[]);
    }
    db.transaction_begun_by(dialect.migration_begin(), |db| {
        if let Some(lock) = dialect.migration_lock() {
            db.execute(lock, &[])?;
        }
        // Re-read under the write lock: another instance may have won the race.
        let current = current_version(db)?;
        if current >= SCHEMA_VERSION {
            return Ok(());
        }
        // Every statement of the prelude replaces itself, so a release that changes one
        // brings it along with its migration.
        for statement in dialect.prelude() {
            db.execute(statement, &[])?;
        }
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let version = index as i64 + 1;
            if version <= current {
                continue;
            }
            for statement in migration
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                db.execute(&dialect.schema_statement(statement), &[])?;
            }
            db.execute(
                &format!(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, {})",
                    dialect.now()
                ),
                &[SqlValue::Integer(version)],
            )?;
        }
        Ok::<(), StoreError>(())
    })
}

fn current_version(db: &impl Sql) -> Result<i64, StoreError> {
    let rows = db.execute(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        &[],
    )?;
    match rows.first() {
        Some(row) => row.i64(0, "schema_migrations"),
        None => Ok(0),
    }
}

#[cfg(all(test, feature = "native"))]
mod tests {
    use super::*;
    use crate::native::NativeSql;
    use crate::Dialect;

    /// Whether the column can be read: the same question on both engines, without their
    /// catalogues.
    fn has_column(db: &NativeSql, table: &str, column: &str) -> bool {
        db.execute(&format!("SELECT {column} FROM {table} LIMIT 0"), &[])
            .is_ok()
    }

    #[test]
    fn migrating_twice_is_harmless_and_records_the_version() {
        let dir = std::env::temp_dir().join(format!("csms-store-migrate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        let db = NativeSql::open(&path).unwrap();
        migrate(&db).unwrap();
        migrate(&db).unwrap();
        let again = NativeSql::open(&path).unwrap();
        migrate(&again).unwrap();
        assert_eq!(current_version(&again).unwrap(), SCHEMA_VERSION);
        assert!(has_column(&again, "transactions", "id"));
        if again.dialect() == Dialect::Sqlite {
            // The file was switched to WAL once, and every later connection finds it so.
            let mode = again.execute("PRAGMA journal_mode", &[]).unwrap();
            assert_eq!(mode[0].text(0, "journal_mode").unwrap(), "wal");
        }
    }

    #[test]
    fn migration_3_adds_reservations_local_lists_and_the_remote_start_link() {
        let dir = std::env::temp_dir().join(format!("csms-store-m3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        let db = NativeSql::open(&path).unwrap();
        migrate(&db).unwrap();
        for (table, column) in [
            ("reservations", "id"),
            ("local_list_versions", "charge_point_id"),
            ("local_list_entries", "id_tag"),
            ("transactions", "remote_start_command_id"),
        ] {
            assert!(has_column(&db, table, column), "{table}.{column}");
        }
    }

    #[test]
    fn migration_4_keeps_room_for_a_replaced_operator_close() {
        let dir = std::env::temp_dir().join(format!("csms-store-m4-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        let db = NativeSql::open(&path).unwrap();
        migrate(&db).unwrap();
        for (table, column) in [
            ("transactions", "replaced_close"),
            ("charge_detail_records", "revised_at"),
        ] {
            assert!(has_column(&db, table, column), "{table}.{column}");
        }
    }

    /// Every request may be the first on a new database: concurrent migrators wait for each
    /// other and each finds the schema current.
    #[test]
    fn concurrent_first_migrations_all_succeed() {
        let dir = std::env::temp_dir().join(format!("csms-store-race-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        drop(NativeSql::open(&path).unwrap());
        let migrators: Vec<_> = (0..6)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || migrate(&NativeSql::open(&path).unwrap()))
            })
            .collect();
        for migrator in migrators {
            migrator.join().unwrap().unwrap();
        }
        let db = NativeSql::open(&path).unwrap();
        assert_eq!(current_version(&db).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn a_failed_transaction_leaves_nothing_behind() {
        let dir = std::env::temp_dir().join(format!("csms-store-tx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        let db = NativeSql::open(&path).unwrap();
        migrate(&db).unwrap();
        let result: Result<(), StoreError> = db.transaction(|db| {
            db.execute(
                "INSERT INTO tariffs (id, definition, updated_at) VALUES ('t', '{}', 'now')",
                &[],
            )?;
            Err(StoreError::Sql("simulated failure".into()))
        });
        assert!(result.is_err());
        let rows = db.execute("SELECT count(*) FROM tariffs", &[]).unwrap();
        assert_eq!(rows[0].i64(0, "count").unwrap(), 0);
    }
}
