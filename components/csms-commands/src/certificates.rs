//! The certificates each station holds, as far as the CSMS knows: what it reported with
//! GetInstalledCertificateIds, what it accepted with InstallCertificate or CertificateSigned,
//! minus what it deleted. Rows are keyed by OCPP hash data (issuer name hash and serial
//! number); subject and expiry are known for the certificates the CSMS itself sent.

use csms_store::{Row, Sql, SqlValue, StoreError};
use serde::Serialize;
use serde_json::Value;

/// One certificate of a station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    pub charge_point_id: String,
    pub certificate_type: String,
    pub hash_algorithm: String,
    pub issuer_name_hash: String,
    pub issuer_key_hash: String,
    pub serial_number: String,
    pub subject: Option<String>,
    pub not_after: Option<String>,
    /// `reported`, `installed` or `signed`.
    pub source: String,
    pub updated_at: String,
}

/// OCPP `CertificateHashData` as sent or reported (hashes and serials compared lower-case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hash {
    pub hash_algorithm: String,
    pub issuer_name_hash: String,
    pub issuer_key_hash: String,
    pub serial_number: String,
}

impl Hash {
    /// From a `certificateHashData` object; `None` when a field is missing.
    pub fn from_json(value: &Value) -> Option<Self> {
        let text = |field: &str| value.get(field)?.as_str().map(str::to_ascii_lowercase);
        Some(Self {
            hash_algorithm: value.get("hashAlgorithm")?.as_str()?.to_owned(),
            issuer_name_hash: text("issuerNameHash")?,
            issuer_key_hash: text("issuerKeyHash")?,
            serial_number: serial(&text("serialNumber")?),
        })
    }
}

/// Serial numbers compare without leading zeroes, as the CSMS writes them: a station that
/// reports `0a1b` means the certificate recorded as `a1b`.
fn serial(hex: &str) -> String {
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() && !hex.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

impl From<&csms_pki::HashData> for Hash {
    fn from(data: &csms_pki::HashData) -> Self {
        Self {
            hash_algorithm: data.hash_algorithm.to_owned(),
            issuer_name_hash: data.issuer_name_hash.clone(),
            issuer_key_hash: data.issuer_key_hash.clone(),
            serial_number: data.serial_number.clone(),
        }
    }
}

/// What else is known of a certificate besides its hash data.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub subject: Option<String>,
    pub not_after: Option<String>,
}

/// Records that `cp` holds a certificate; what was known of it already stays unless `known`
/// says more.
pub fn hold(
    sql: &impl Sql,
    cp: &str,
    certificate_type: &str,
    hash: &Hash,
    known: &Known,
    source: &str,
    now: &str,
) -> Result<(), StoreError> {
    sql.execute(
        "INSERT INTO station_certificates (charge_point_id, certificate_type, hash_algorithm, \
         issuer_name_hash, issuer_key_hash, serial_number, subject, not_after, source, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (charge_point_id, issuer_name_hash, serial_number) DO UPDATE SET \
         certificate_type = excluded.certificate_type, \
         subject = COALESCE(excluded.subject, station_certificates.subject), \
         not_after = COALESCE(excluded.not_after, station_certificates.not_after), \
         source = CASE WHEN excluded.source = 'reported' THEN station_certificates.source ELSE excluded.source END, \
         updated_at = excluded.updated_at",
        &[
            cp.into(),
            certificate_type.into(),
            hash.hash_algorithm.as_str().into(),
            hash.issuer_name_hash.as_str().into(),
            hash.issuer_key_hash.as_str().into(),
            hash.serial_number.as_str().into(),
            known.subject.clone().into(),
            known.not_after.clone().into(),
            source.into(),
            now.into(),
        ],
    )
    .map(drop)
}

/// The station deleted this certificate.
pub fn forget(sql: &impl Sql, cp: &str, hash: &Hash) -> Result<(), StoreError> {
    delete(sql, cp, &hash.issuer_name_hash, &hash.serial_number)
}

fn delete(
    sql: &impl Sql,
    cp: &str,
    issuer_name_hash: &str,
    serial_number: &str,
) -> Result<(), StoreError> {
    sql.execute(
        "DELETE FROM station_certificates WHERE charge_point_id = ? AND issuer_name_hash = ? \
         AND serial_number = ?",
        &[cp.into(), issuer_name_hash.into(), serial_number.into()],
    )
    .map(drop)
}

/// A station's report of its certificates of `types`: what it did not name is gone.
pub fn replace_reported(
    sql: &impl Sql,
    cp: &str,
    types: &[String],
    reported: &[(String, Hash)],
    now: &str,
) -> Result<(), StoreError> {
    let held = list(sql, cp)?;
    for old in held.iter().filter(|h| types.contains(&h.certificate_type)) {
        let still = reported.iter().any(|(_, hash)| {
            hash.issuer_name_hash == old.issuer_name_hash && hash.serial_number == old.serial_number
        });
        if !still {
            delete(sql, cp, &old.issuer_name_hash, &old.serial_number)?;
        }
    }
    for (certificate_type, hash) in reported {
        hold(
            sql,
            cp,
            certificate_type,
            hash,
            &Known::default(),
            "reported",
            now,
        )?;
    }
    Ok(())
}

const COLUMNS: &str = "charge_point_id, certificate_type, hash_algorithm, issuer_name_hash, \
     issuer_key_hash, serial_number, subject, not_after, source, updated_at";

pub fn list(sql: &impl Sql, cp: &str) -> Result<Vec<Held>, StoreError> {
    sql.execute(
        &format!(
            "SELECT {COLUMNS} FROM station_certificates WHERE charge_point_id = ? \
             ORDER BY certificate_type, serial_number"
        ),
        &[cp.into()],
    )?
    .iter()
    .map(held)
    .collect()
}

/// Certificates of every station that expire before `before` (RFC 3339 UTC), soonest first.
pub fn expiring(sql: &impl Sql, before: &str, limit: i64) -> Result<Vec<Held>, StoreError> {
    sql.execute(
        &format!(
            "SELECT {COLUMNS} FROM station_certificates WHERE not_after IS NOT NULL \
             AND not_after < ? ORDER BY not_after, charge_point_id LIMIT ?"
        ),
        &[before.into(), SqlValue::Integer(limit)],
    )?
    .iter()
    .map(held)
    .collect()
}

fn held(row: &Row) -> Result<Held, StoreError> {
    const CTX: &str = "station_certificates";
    Ok(Held {
        charge_point_id: row.text(0, CTX)?,
        certificate_type: row.text(1, CTX)?,
        hash_algorithm: row.text(2, CTX)?,
        issuer_name_hash: row.text(3, CTX)?,
        issuer_key_hash: row.text(4, CTX)?,
        serial_number: row.text(5, CTX)?,
        subject: row.opt_text(6, CTX)?,
        not_after: row.opt_text(7, CTX)?,
        source: row.text(8, CTX)?,
        updated_at: row.text(9, CTX)?,
    })
}
