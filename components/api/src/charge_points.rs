//! `/api/v1/charge-points/{id}`: the charge point registry, plus what the connection
//! component recorded (boot information, live connection, connector statuses).
//!
//! PUT creates or updates (fields left out keep their value), always sets the registration
//! status to `Accepted`, and stores a password only as its salted hash: the view says
//! `has_password`, never the hash.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use csms_store::{KeyValue, Row, Sql, SqlValue};
use ocpp_protocol::timestamp::format_utc;
use serde::{Deserialize, Serialize};

use crate::json_body::{self, present};
use crate::problem::ApiError;
use crate::{tariffs, Reply};

/// chargeBoxIdentity is CiString48 in OCPP 1.6.
pub(crate) const MAX_ID_CHARS: usize = 48;
/// OCPP security profile 1: the AuthorizationKey (Basic auth password) is 16 to 40 characters.
const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 16..=40;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PutChargePoint {
    /// A value sets it, `null` removes it (the charge point then connects without Basic auth).
    #[serde(default, deserialize_with = "present")]
    password: Option<Option<String>>,
    /// IANA name; `null` or absent keeps the current one (`UTC` for a new charge point).
    #[serde(default)]
    time_zone: Option<String>,
    /// A tariff id assigns it, `null` unassigns.
    #[serde(default, deserialize_with = "present")]
    tariff_id: Option<Option<String>>,
    /// `ocpp1.6` or `ocpp2.0.1` pins the station to that version, `null` removes the pin.
    #[serde(default, deserialize_with = "present")]
    ocpp_version: Option<Option<String>>,
    /// What BootNotification answers; `Accepted` when absent.
    #[serde(default)]
    registration_status: Option<String>,
    /// OCPP security profile 0-3; absent keeps the current one (1 for a new charge point).
    /// `null` is refused: the document says an integer.
    #[serde(default, deserialize_with = "present")]
    security_profile: Option<Option<i64>>,
}

/// OCPP security profiles: 0 no authentication, 1 Basic, 2 Basic over TLS, 3 TLS with a
/// client certificate.
const SECURITY_PROFILES: std::ops::RangeInclusive<i64> = 0..=3;

/// The OCPP versions a station may be pinned to.
pub(crate) const OCPP_VERSIONS: [&str; 2] = ["ocpp1.6", "ocpp2.0.1"];
/// The registration states BootNotification answers.
const REGISTRATION_STATUSES: [&str; 3] = ["Accepted", "Pending", "Rejected"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PutTariff {
    /// Required; `null` unassigns.
    #[serde(deserialize_with = "present")]
    tariff_id: Option<Option<String>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ChargePointView {
    id: String,
    registration_status: String,
    has_password: bool,
    /// How the station must connect: 0 no authentication, 1 HTTP Basic, 2 Basic over TLS,
    /// 3 TLS with a client certificate for its id.
    security_profile: i64,
    /// The higher profile an accepted SetNetworkProfile moves the station to once it
    /// connects so; `null` when none is pending.
    pending_security_profile: Option<i64>,
    time_zone: String,
    tariff_id: Option<String>,
    /// The version of the live connection, else of the last boot.
    ocpp_version: Option<String>,
    /// The only version the station may speak, when the operator pinned one.
    ocpp_version_pin: Option<String>,
    /// From the key-value store; false when the charge point never connected.
    online: bool,
    last_heartbeat_at: Option<String>,
    connection: Option<ConnectionView>,
    boot: BootView,
    connectors: Vec<ConnectorView>,
    created_at: String,
    updated_at: String,
}

/// What BootNotification reported.
#[derive(Debug, Serialize)]
struct BootView {
    vendor: Option<String>,
    model: Option<String>,
    serial_number: Option<String>,
    charge_box_serial_number: Option<String>,
    firmware_version: Option<String>,
    iccid: Option<String>,
    imsi: Option<String>,
    meter_type: Option<String>,
    meter_serial_number: Option<String>,
    ocpp_version: Option<String>,
    last_boot_at: Option<String>,
}

/// `cp:{id}:connection` as the connection component writes it; read leniently (unknown
/// fields ignored, optional ones defaulted) because another component owns the format.
#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct ConnectionView {
    #[serde(default)]
    connection_id: Option<String>,
    #[serde(default)]
    pub(crate) ocpp_version: Option<String>,
    #[serde(default)]
    connected_at: Option<String>,
    #[serde(default)]
    last_seen_at: Option<String>,
    #[serde(default)]
    last_heartbeat_at: Option<String>,
    #[serde(default)]
    disconnected_at: Option<String>,
    #[serde(default)]
    pub(crate) online: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct ConnectorView {
    /// The 1.6 connector id, which is the EVSE id (0: the station itself).
    pub(crate) connector_id: i64,
    /// The EVSE (2.0.1 `evseId`; the 1.6 connector id).
    evse_id: i64,
    /// The connector on the EVSE (2.0.1 `connectorId`; 1 for a 1.6 connector, 0 for the
    /// station itself).
    pub(crate) evse_connector_id: i64,
    status: String,
    error_code: String,
    info: Option<String>,
    vendor_id: Option<String>,
    vendor_error_code: Option<String>,
    status_at: String,
}

pub(crate) fn get(sql: &impl Sql, kv: &impl KeyValue, id: &str) -> Result<Reply, ApiError> {
    Reply::ok(&view(sql, kv, id)?)
}

pub(crate) fn put(
    sql: &impl Sql,
    kv: &impl KeyValue,
    id: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    check_id(id)?;
    let request: PutChargePoint = if body.trim_ascii().is_empty() {
        PutChargePoint::default()
    } else {
        json_body::parse(body)?
    };
    if let Some(zone) = &request.time_zone {
        check_time_zone(zone)?;
    }
    if let Some(Some(version)) = &request.ocpp_version {
        if !OCPP_VERSIONS.contains(&version.as_str()) {
            return Err(ApiError::bad_request(format!(
                "ocpp_version {version:?} must be one of {} or null",
                OCPP_VERSIONS.join(", ")
            )));
        }
    }
    let registration_status = request.registration_status.as_deref().unwrap_or("Accepted");
    if !REGISTRATION_STATUSES.contains(&registration_status) {
        return Err(ApiError::bad_request(format!(
            "registration_status {registration_status:?} must be one of {}",
            REGISTRATION_STATUSES.join(", ")
        )));
    }
    let security_profile = match request.security_profile {
        None => None,
        Some(None) => {
            return Err(ApiError::bad_request(
                "invalid field `security_profile`: an integer from 0 to 3, or leave it out",
            ))
        }
        Some(Some(profile)) => Some(profile),
    };
    if let Some(profile) = security_profile {
        if !SECURITY_PROFILES.contains(&profile) {
            return Err(ApiError::bad_request(format!(
                "invalid field `security_profile`: {profile} is not an OCPP security profile (0 to 3)"
            )));
        }
    }
    let password_hash = match &request.password {
        None => None,
        Some(None) => Some(None),
        Some(Some(password)) => Some(Some(hash(password)?)),
    };
    let now = format_utc(now);
    let created = sql.transaction(|db| {
        if let Some(Some(tariff_id)) = &request.tariff_id {
            require_tariff(db, tariff_id)?;
        }
        let stored = stored_security(db, id)?;
        let exists = stored.is_some();
        let profile = security_profile
            .or(stored.map(|(profile, _)| profile))
            .unwrap_or(1);
        let has_password = match &password_hash {
            Some(hash) => hash.is_some(),
            None => stored.is_some_and(|(_, has)| has),
        };
        if profile == 2 && !has_password {
            return Err(ApiError::bad_request(
                "security profile 2 is HTTP Basic over TLS: give the charge point a `password`",
            ));
        }
        if exists {
            let mut sets = vec!["registration_status = ?", "security_profile = ?", "updated_at = ?"];
            if security_profile.is_some() {
                // The operator decides now; an upgrade still pending is forgotten.
                sets.push("pending_security_profile = NULL");
            }
            let mut params: Vec<SqlValue> = vec![
                registration_status.into(),
                profile.into(),
                now.as_str().into(),
            ];
            if let Some(pin) = &request.ocpp_version {
                sets.push("ocpp_version_pin = ?");
                params.push(pin.clone().into());
            }
            if let Some(hash) = &password_hash {
                sets.push("password_hash = ?");
                params.push(hash.clone().into());
            }
            if let Some(zone) = &request.time_zone {
                sets.push("time_zone = ?");
                params.push(zone.into());
            }
            if let Some(tariff_id) = &request.tariff_id {
                sets.push("tariff_id = ?");
                params.push(tariff_id.clone().into());
            }
            params.push(id.into());
            db.execute(
                &format!("UPDATE charge_points SET {} WHERE id = ?", sets.join(", ")),
                &params,
            )
            .with_context(|| format!("updating charge point {id:?}"))?;
        } else {
            db.execute(
                "INSERT INTO charge_points (id, password_hash, time_zone, tariff_id, registration_status, \
                 ocpp_version_pin, security_profile, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    id.into(),
                    password_hash.clone().flatten().into(),
                    request.time_zone.clone().unwrap_or_else(|| "UTC".to_owned()).into(),
                    request.tariff_id.clone().flatten().into(),
                    registration_status.into(),
                    request.ocpp_version.clone().flatten().into(),
                    profile.into(),
                    now.as_str().into(),
                    now.as_str().into(),
                ],
            )
            .with_context(|| format!("registering charge point {id:?}"))?;
        }
        Ok::<bool, ApiError>(!exists)
    })?;
    Reply::put(created, &view(sql, kv, id)?)
}

/// `PUT /api/v1/charge-points/{id}/tariff`: assigns (or with `null` unassigns) a tariff.
pub(crate) fn put_tariff(
    sql: &impl Sql,
    kv: &impl KeyValue,
    id: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let request: PutTariff = json_body::parse(body)?;
    let tariff_id = request.tariff_id.flatten();
    let now = format_utc(now);
    sql.transaction(|db| {
        if !exists(db, id)? {
            return Err(not_found(id));
        }
        if let Some(tariff_id) = &tariff_id {
            require_tariff(db, tariff_id)?;
        }
        db.execute(
            "UPDATE charge_points SET tariff_id = ?, updated_at = ? WHERE id = ?",
            &[tariff_id.clone().into(), now.as_str().into(), id.into()],
        )
        .with_context(|| format!("assigning a tariff to charge point {id:?}"))?;
        Ok(())
    })?;
    Reply::ok(&view(sql, kv, id)?)
}

pub(crate) fn check_id(id: &str) -> Result<(), ApiError> {
    if id.trim().is_empty() || id.chars().count() > MAX_ID_CHARS || id.contains('/') {
        return Err(ApiError::bad_request(format!(
            "charge point id {id:?} must be 1 to {MAX_ID_CHARS} characters without `/` \
             (it is the last segment of the charge point's WebSocket URL)"
        )));
    }
    Ok(())
}

fn check_time_zone(zone: &str) -> Result<(), ApiError> {
    zone.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
        ApiError::bad_request(format!(
            "invalid field `time_zone`: {zone:?} is not an IANA time zone name (such as \"Europe/Stockholm\" or \"UTC\")"
        ))
    })
}

pub(crate) fn hash(password: &str) -> Result<String, ApiError> {
    if !PASSWORD_CHARS.contains(&password.chars().count()) {
        return Err(ApiError::bad_request(format!(
            "invalid field `password`: must be {} to {} characters (OCPP AuthorizationKey)",
            PASSWORD_CHARS.start(),
            PASSWORD_CHARS.end()
        )));
    }
    csms_store::credentials::hash_password(password)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("salting the password hash: {e}")))
}

fn require_tariff(sql: &impl Sql, tariff_id: &str) -> Result<(), ApiError> {
    if tariffs::exists(sql, tariff_id)? {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "invalid field `tariff_id`: tariff {tariff_id:?} does not exist; create it first with PUT /api/v1/tariffs/{{id}}"
        )))
    }
}

pub(crate) fn exists(sql: &impl Sql, id: &str) -> Result<bool, ApiError> {
    Ok(!sql
        .execute("SELECT 1 FROM charge_points WHERE id = ?", &[id.into()])
        .with_context(|| format!("looking up charge point {id:?}"))?
        .is_empty())
}

pub(crate) fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("charge point {id:?} does not exist"))
}

/// The security profile of a registered charge point, and whether it has a password.
fn stored_security(sql: &impl Sql, id: &str) -> Result<Option<(i64, bool)>, ApiError> {
    let rows = sql
        .execute(
            "SELECT security_profile, password_hash IS NOT NULL FROM charge_points WHERE id = ?",
            &[id.into()],
        )
        .with_context(|| format!("loading charge point {id:?}"))?;
    rows.first()
        .map(|row| {
            Ok::<_, csms_store::StoreError>((
                row.i64(0, "charge_points")?,
                row.i64(1, "charge_points")? != 0,
            ))
        })
        .transpose()
        .with_context(|| format!("reading charge point {id:?}"))
        .map_err(ApiError::from)
}

/// 404 unless charge point `id` is registered: the routes under `/charge-points/{id}/...`.
pub(crate) fn require(sql: &impl Sql, id: &str) -> Result<(), ApiError> {
    if exists(sql, id)? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// The `charge_points` columns [`read_view`] reads, in its order.
pub(crate) const COLUMNS: &str =
    "id, registration_status, password_hash IS NOT NULL, time_zone, tariff_id, \
     vendor, model, serial_number, charge_box_serial_number, firmware_version, iccid, imsi, \
     meter_type, meter_serial_number, ocpp_version, last_boot_at, created_at, updated_at, \
     ocpp_version_pin, security_profile, pending_security_profile";

fn view(sql: &impl Sql, kv: &impl KeyValue, id: &str) -> Result<ChargePointView, ApiError> {
    let rows = sql
        .execute(
            &format!("SELECT {COLUMNS} FROM charge_points WHERE id = ?"),
            &[id.into()],
        )
        .with_context(|| format!("loading charge point {id:?}"))?;
    let row = rows.first().ok_or_else(|| not_found(id))?;
    let connection = connection(kv, id)?;
    let connectors = connectors(sql, id)?;
    read_view(row, connection, connectors)
        .with_context(|| format!("reading charge point {id:?}"))
        .map_err(ApiError::from)
}

/// A charge point from a row of [`COLUMNS`] and what is kept elsewhere about it.
pub(crate) fn read_view(
    row: &Row,
    connection: Option<ConnectionView>,
    connectors: Vec<ConnectorView>,
) -> Result<ChargePointView, csms_store::StoreError> {
    const CTX: &str = "charge_points";
    let text = |i| row.opt_text(i, CTX);
    Ok(ChargePointView {
        id: row.text(0, CTX)?,
        registration_status: row.text(1, CTX)?,
        has_password: row.i64(2, CTX)? != 0,
        security_profile: row.i64(19, CTX)?,
        pending_security_profile: row.opt_i64(20, CTX)?,
        time_zone: row.text(3, CTX)?,
        tariff_id: text(4)?,
        ocpp_version: connection
            .as_ref()
            .filter(|c| c.online)
            .and_then(|c| c.ocpp_version.clone())
            .or(text(14)?),
        ocpp_version_pin: text(18)?,
        online: connection.as_ref().is_some_and(|c| c.online),
        last_heartbeat_at: connection
            .as_ref()
            .and_then(|c| c.last_heartbeat_at.clone()),
        connection,
        boot: BootView {
            vendor: text(5)?,
            model: text(6)?,
            serial_number: text(7)?,
            charge_box_serial_number: text(8)?,
            firmware_version: text(9)?,
            iccid: text(10)?,
            imsi: text(11)?,
            meter_type: text(12)?,
            meter_serial_number: text(13)?,
            ocpp_version: text(14)?,
            last_boot_at: text(15)?,
        },
        connectors,
        created_at: row.text(16, CTX)?,
        updated_at: row.text(17, CTX)?,
    })
}

/// The live state; unreadable JSON counts as "never connected", as the connection component
/// itself treats it.
pub(crate) fn connection(kv: &impl KeyValue, id: &str) -> Result<Option<ConnectionView>, ApiError> {
    let bytes = kv
        .get(&format!("cp:{id}:connection"))
        .with_context(|| format!("reading the connection state of charge point {id:?}"))?;
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}

fn connectors(sql: &impl Sql, id: &str) -> Result<Vec<ConnectorView>, ApiError> {
    let rows = sql
        .execute(
            &format!(
                "SELECT {CONNECTOR_COLUMNS} FROM connectors WHERE charge_point_id = ? ORDER BY connector_id, evse_connector_id"
            ),
            &[id.into()],
        )
        .with_context(|| format!("loading the connectors of charge point {id:?}"))?;
    rows.iter()
        .map(read_connector)
        .collect::<Result<_, csms_store::StoreError>>()
        .with_context(|| format!("reading the connectors of charge point {id:?}"))
        .map_err(ApiError::from)
}

/// The `connectors` columns [`read_connector`] reads, in its order.
pub(crate) const CONNECTOR_COLUMNS: &str =
    "connector_id, status, error_code, info, vendor_id, vendor_error_code, status_at, evse_connector_id";

pub(crate) fn read_connector(row: &Row) -> Result<ConnectorView, csms_store::StoreError> {
    const CTX: &str = "connectors";
    Ok(ConnectorView {
        connector_id: row.i64(0, CTX)?,
        evse_id: row.i64(0, CTX)?,
        evse_connector_id: row.i64(7, CTX)?,
        status: row.text(1, CTX)?,
        error_code: row.text(2, CTX)?,
        info: row.opt_text(3, CTX)?,
        vendor_id: row.opt_text(4, CTX)?,
        vendor_error_code: row.opt_text(5, CTX)?,
        status_at: row.text(6, CTX)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;

    const TARIFF: &str = r#"{"currency":"EUR","vat_percent":"25","elements":[{"price_components":[{"type":"ENERGY","price":"0.30"}]}]}"#;

    #[test]
    fn put_creates_then_updates_keeping_omitted_fields() {
        let bench = Bench::new();
        let created = bench.call(
            "PUT",
            "/api/v1/charge-points/CP1",
            r#"{"time_zone":"Europe/Stockholm","password":"0123456789abcdef"}"#,
        );
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.body["id"], "CP1");
        assert_eq!(created.body["registration_status"], "Accepted");
        assert_eq!(created.body["time_zone"], "Europe/Stockholm");
        assert_eq!(created.body["has_password"], true);
        assert_eq!(created.body["created_at"], "2026-11-23T20:15:00Z");

        let updated = bench.call("PUT", "/api/v1/charge-points/CP1", "{}");
        assert_eq!(updated.status, 200);
        assert_eq!(updated.body["time_zone"], "Europe/Stockholm");
        assert_eq!(updated.body["has_password"], true);

        let empty_body = bench.call("PUT", "/api/v1/charge-points/CP2", "");
        assert_eq!(empty_body.status, 201);
        assert_eq!(empty_body.body["time_zone"], "UTC");
        assert_eq!(empty_body.body["has_password"], false);
    }

    #[test]
    fn password_is_stored_hashed_and_never_returned() {
        let bench = Bench::new();
        let password = "s3cret-AuthorizationKey";
        let put = bench.call(
            "PUT",
            "/api/v1/charge-points/CP1",
            &format!(r#"{{"password":"{password}"}}"#),
        );
        let get = bench.call("GET", "/api/v1/charge-points/CP1", "");
        for answer in [&put, &get] {
            let text = String::from_utf8(answer.response.body.clone()).unwrap();
            assert!(!text.contains(password), "{text}");
            assert!(!text.contains("pbkdf2"), "{text}");
            assert!(answer.body.get("password_hash").is_none());
            assert_eq!(answer.body["has_password"], true);
        }
        let rows = csms_store::Sql::execute(
            &bench.sql,
            "SELECT password_hash FROM charge_points WHERE id = 'CP1'",
            &[],
        )
        .unwrap();
        let stored = rows[0].text(0, "hash").unwrap();
        assert_ne!(stored, password);
        assert!(csms_store::credentials::verify_password(password, &stored));

        let removed = bench.call("PUT", "/api/v1/charge-points/CP1", r#"{"password":null}"#);
        assert_eq!(removed.body["has_password"], false);
    }

    #[test]
    fn security_profiles_are_0_to_3_and_profile_2_needs_a_password() {
        let bench = Bench::new();
        let put = |body: &str| bench.call("PUT", "/api/v1/charge-points/CP1", body);
        assert_eq!(put("{}").body["security_profile"], 1);
        for body in [
            r#"{"security_profile":4}"#,
            r#"{"security_profile":-1}"#,
            r#"{"security_profile":null}"#,
        ] {
            assert!(
                put(body).problem(400).contains("security_profile"),
                "{body}"
            );
        }
        assert!(put(r#"{"security_profile":2}"#)
            .problem(400)
            .contains("password"));
        let two = put(r#"{"security_profile":2,"password":"0123456789abcdef"}"#);
        assert_eq!(two.body["security_profile"], 2);
        // Kept when not given; the password may not go while the profile needs it.
        assert_eq!(put("{}").body["security_profile"], 2);
        put(r#"{"password":null}"#).problem(400);
        assert_eq!(
            put(r#"{"security_profile":3,"password":null}"#).body["security_profile"],
            3
        );
    }

    #[test]
    fn short_password_is_400() {
        let bench = Bench::new();
        let detail = bench
            .call(
                "PUT",
                "/api/v1/charge-points/CP1",
                r#"{"password":"short"}"#,
            )
            .problem(400);
        assert!(detail.contains("`password`"), "{detail}");
        bench
            .call("GET", "/api/v1/charge-points/CP1", "")
            .problem(404);
    }

    #[test]
    fn invalid_time_zone_is_400() {
        let bench = Bench::new();
        for zone in ["Europe/Stockholmm", "CEST", "europe/stockholm", ""] {
            let detail = bench
                .call(
                    "PUT",
                    "/api/v1/charge-points/CP1",
                    &format!(r#"{{"time_zone":"{zone}"}}"#),
                )
                .problem(400);
            assert!(detail.contains("time_zone"), "{detail}");
        }
        bench
            .call("GET", "/api/v1/charge-points/CP1", "")
            .problem(404);
    }

    #[test]
    fn unknown_field_is_400_naming_it() {
        let bench = Bench::new();
        let detail = bench
            .call("PUT", "/api/v1/charge-points/CP1", r#"{"timezone":"UTC"}"#)
            .problem(400);
        assert!(detail.contains("`timezone`"), "{detail}");
        let detail = bench
            .call("PUT", "/api/v1/charge-points/CP1", r#"{"time_zone":"UTC","#)
            .problem(400);
        assert!(detail.contains("not valid JSON"), "{detail}");
        let detail = bench
            .call("PUT", "/api/v1/charge-points/CP1", r#"{"tariff_id":7}"#)
            .problem(400);
        assert!(detail.contains("`tariff_id`"), "{detail}");
    }

    #[test]
    fn unusable_charge_point_ids_are_400() {
        let bench = Bench::new();
        bench
            .call(
                "PUT",
                &format!("/api/v1/charge-points/{}", "x".repeat(49)),
                "{}",
            )
            .problem(400);
        bench
            .call("PUT", "/api/v1/charge-points/a%2Fb", "{}")
            .problem(400);
    }

    #[test]
    fn unknown_charge_point_is_404() {
        let bench = Bench::new();
        let detail = bench
            .call("GET", "/api/v1/charge-points/CP9", "")
            .problem(404);
        assert!(detail.contains("CP9"), "{detail}");
    }

    #[test]
    fn put_accepts_a_charge_point_that_registered_itself_as_pending() {
        let bench = Bench::new();
        bench.exec(
            "INSERT INTO charge_points (id, registration_status, created_at, updated_at) \
             VALUES ('CP1', 'Pending', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')",
        );
        let answer = bench.call("PUT", "/api/v1/charge-points/CP1", "{}");
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body["registration_status"], "Accepted");
        assert_eq!(answer.body["created_at"], "2026-11-01T00:00:00Z");
        assert_eq!(answer.body["updated_at"], "2026-11-23T20:15:00Z");
    }

    #[test]
    fn view_has_boot_info_connection_state_and_connectors() {
        let bench = Bench::new();
        bench.call("PUT", "/api/v1/charge-points/CP%201", "{}");
        bench.exec(
            "UPDATE charge_points SET vendor = 'ACME', model = 'Volt 22', firmware_version = '1.2.3', \
             ocpp_version = 'ocpp1.6', last_boot_at = '2026-11-23T19:00:00Z' WHERE id = 'CP 1';\n\
             INSERT INTO connectors (charge_point_id, connector_id, status, error_code, status_at) \
             VALUES ('CP 1', 2, 'Charging', 'NoError', '2026-11-23T19:05:00Z');\n\
             INSERT INTO connectors (charge_point_id, connector_id, status, error_code, info, status_at) \
             VALUES ('CP 1', 1, 'Faulted', 'GroundFailure', 'RCD tripped', '2026-11-23T19:04:00Z')",
        );
        let offline = bench.call("GET", "/api/v1/charge-points/CP%201", "");
        assert_eq!(offline.body["online"], false);
        assert_eq!(offline.body["connection"], serde_json::Value::Null);
        assert_eq!(offline.body["last_heartbeat_at"], serde_json::Value::Null);

        bench.set_kv(
            "cp:CP 1:connection",
            r#"{"connection_id":"c-1","ocpp_version":"ocpp1.6","connected_at":"2026-11-23T19:00:00Z",
                "last_seen_at":"2026-11-23T20:10:00Z","last_heartbeat_at":"2026-11-23T20:09:00Z","online":true}"#,
        );
        let view = bench.call("GET", "/api/v1/charge-points/CP%201", "").body;
        assert_eq!(view["id"], "CP 1");
        assert_eq!(view["online"], true);
        assert_eq!(view["last_heartbeat_at"], "2026-11-23T20:09:00Z");
        assert_eq!(view["connection"]["last_seen_at"], "2026-11-23T20:10:00Z");
        assert_eq!(view["connection"]["ocpp_version"], "ocpp1.6");
        assert_eq!(view["boot"]["vendor"], "ACME");
        assert_eq!(view["boot"]["model"], "Volt 22");
        assert_eq!(view["boot"]["firmware_version"], "1.2.3");
        assert_eq!(view["boot"]["last_boot_at"], "2026-11-23T19:00:00Z");
        let connectors = view["connectors"].as_array().unwrap();
        assert_eq!(connectors.len(), 2);
        assert_eq!(connectors[0]["connector_id"], 1);
        assert_eq!(connectors[0]["status"], "Faulted");
        assert_eq!(connectors[0]["error_code"], "GroundFailure");
        assert_eq!(connectors[0]["info"], "RCD tripped");
        assert_eq!(connectors[1]["status"], "Charging");

        bench.set_kv(
            "cp:CP 1:connection",
            r#"{"connection_id":"c-1","ocpp_version":"ocpp1.6","connected_at":"2026-11-23T19:00:00Z",
                "last_seen_at":"2026-11-23T20:11:00Z","online":false}"#,
        );
        let closed = bench.call("GET", "/api/v1/charge-points/CP%201", "").body;
        assert_eq!(closed["online"], false);
        assert_eq!(closed["connection"]["last_seen_at"], "2026-11-23T20:11:00Z");
    }

    #[test]
    fn tariff_is_assigned_only_when_it_exists() {
        let bench = Bench::new();
        let detail = bench
            .call("PUT", "/api/v1/charge-points/CP1", r#"{"tariff_id":"t1"}"#)
            .problem(400);
        assert!(detail.contains("\"t1\" does not exist"), "{detail}");
        bench
            .call("GET", "/api/v1/charge-points/CP1", "")
            .problem(404);

        assert_eq!(bench.call("PUT", "/api/v1/tariffs/t1", TARIFF).status, 201);
        let answer = bench.call("PUT", "/api/v1/charge-points/CP1", r#"{"tariff_id":"t1"}"#);
        assert_eq!(answer.status, 201);
        assert_eq!(answer.body["tariff_id"], "t1");
        let cleared = bench.call("PUT", "/api/v1/charge-points/CP1", r#"{"tariff_id":null}"#);
        assert_eq!(cleared.body["tariff_id"], serde_json::Value::Null);
    }

    #[test]
    fn tariff_subresource_assigns_and_unassigns() {
        let bench = Bench::new();
        bench
            .call(
                "PUT",
                "/api/v1/charge-points/CP1/tariff",
                r#"{"tariff_id":"t1"}"#,
            )
            .problem(404);
        bench.call("PUT", "/api/v1/charge-points/CP1", "{}");
        bench
            .call(
                "PUT",
                "/api/v1/charge-points/CP1/tariff",
                r#"{"tariff_id":"t1"}"#,
            )
            .problem(400);
        bench.call("PUT", "/api/v1/tariffs/t1", TARIFF);
        let assigned = bench.call(
            "PUT",
            "/api/v1/charge-points/CP1/tariff",
            r#"{"tariff_id":"t1"}"#,
        );
        assert_eq!(assigned.status, 200);
        assert_eq!(assigned.body["tariff_id"], "t1");
        let detail = bench
            .call("PUT", "/api/v1/charge-points/CP1/tariff", "{}")
            .problem(400);
        assert!(detail.contains("missing field `tariff_id`"), "{detail}");
        let cleared = bench.call(
            "PUT",
            "/api/v1/charge-points/CP1/tariff",
            r#"{"tariff_id":null}"#,
        );
        assert_eq!(cleared.body["tariff_id"], serde_json::Value::Null);
    }
}
