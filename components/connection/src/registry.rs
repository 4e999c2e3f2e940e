//! The charge point registry rows this component reads and creates.

use csms_store::{Sql, SqlValue, StoreError};

/// What the connection component needs to know about a charge point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargePoint {
    pub id: String,
    pub password_hash: Option<String>,
    /// A password sent to the station and not used yet ([`csms_commands::password`]).
    pub pending_password_hash: Option<String>,
    /// `Accepted`, `Pending` or `Rejected`, as BootNotification answers it.
    pub registration_status: String,
    /// The only version the operator lets this station speak, if pinned.
    pub ocpp_version_pin: Option<String>,
    /// OCPP security profile 0-3 ([`crate::security_profile`]).
    pub security_profile: i64,
    /// A higher profile an accepted SetNetworkProfile moves the station to once it connects
    /// so ([`csms_commands::operations`]).
    pub pending_security_profile: Option<i64>,
}

impl ChargePoint {
    pub fn is_accepted(&self) -> bool {
        self.registration_status == "Accepted"
    }

    pub fn is_pending(&self) -> bool {
        self.registration_status == "Pending"
    }
}

pub fn find(sql: &impl Sql, id: &str) -> Result<Option<ChargePoint>, StoreError> {
    let rows = sql.execute(
        "SELECT id, password_hash, registration_status, ocpp_version_pin, pending_password_hash, \
         security_profile, pending_security_profile FROM charge_points WHERE id = ?",
        &[id.into()],
    )?;
    rows.first()
        .map(|row| {
            Ok(ChargePoint {
                id: row.text(0, "charge_points.id")?,
                password_hash: row.opt_text(1, "charge_points.password_hash")?,
                registration_status: row.text(2, "charge_points.registration_status")?,
                ocpp_version_pin: row.opt_text(3, "charge_points.ocpp_version_pin")?,
                pending_password_hash: row.opt_text(4, "charge_points.pending_password_hash")?,
                security_profile: row.i64(5, "charge_points.security_profile")?,
                pending_security_profile: row
                    .opt_i64(6, "charge_points.pending_security_profile")?,
            })
        })
        .transpose()
}

/// Registers a charge point seen for the first time (no-op if it exists).
pub fn register(sql: &impl Sql, id: &str, status: &str, now: &str) -> Result<(), StoreError> {
    sql.execute(
        "INSERT INTO charge_points (id, registration_status, created_at, updated_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT(id) DO NOTHING",
        &[id.into(), status.into(), now.into(), SqlValue::from(now)],
    )?;
    Ok(())
}
