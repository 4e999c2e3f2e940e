//! Every OCPP error code the payload validation can produce, from real payloads,
//! in both versions' spellings.

// Test helpers state expectations by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use ocpp_protocol::messages::{v16, v201};
use ocpp_protocol::{check_supported, ErrorCode, OcppVersion, PayloadError};
use serde_json::{json, Value};

fn v16_request_error(action: &str, payload: Value) -> PayloadError {
    match v16::Request::decode(action, &payload) {
        Err(e) => e,
        Ok(m) => panic!("{action} {payload} was accepted as {m:?}"),
    }
}

fn v201_request_error(action: &str, payload: Value) -> PayloadError {
    match v201::Request::decode(action, &payload) {
        Err(e) => e,
        Ok(m) => panic!("{action} {payload} was accepted as {m:?}"),
    }
}

fn start_transaction() -> Value {
    json!({"connectorId": 1, "idTag": "04E91C5A123456", "meterStart": 12345,
           "timestamp": "2026-11-23T08:00:00.000+01:00"})
}

#[test]
fn a_valid_start_transaction_decodes_to_its_typed_message() {
    let v16::Request::StartTransaction(start) =
        v16::Request::decode("StartTransaction", &start_transaction()).unwrap()
    else {
        panic!("wrong variant")
    };
    assert_eq!(start.connector_id, 1);
    assert_eq!(start.meter_start, 12345);
    assert_eq!(
        ocpp_protocol::timestamp::format_utc(ocpp_protocol::timestamp::to_utc(start.timestamp)),
        "2026-11-23T07:00:00Z"
    );
}

#[test]
fn missing_required_field_is_an_occurrence_violation_naming_the_field() {
    let mut payload = start_transaction();
    payload.as_object_mut().unwrap().remove("idTag");
    let e = v16_request_error("StartTransaction", payload);
    assert_eq!(
        e.code.as_str(OcppVersion::V16),
        "OccurenceConstraintViolation"
    );
    assert!(e.description.contains("idTag"), "{}", e.description);

    let e = v201_request_error("Heartbeat", json!({"customData": {}}));
    assert_eq!(
        e.code.as_str(OcppVersion::V201),
        "OccurrenceConstraintViolation"
    );
    assert!(
        e.description.contains("customData.vendorId"),
        "{}",
        e.description
    );
}

#[test]
fn missing_nested_field_names_its_path() {
    let payload = json!({"connectorId": 1, "meterValue": [{"timestamp": "2026-11-23T08:00:00Z",
        "sampledValue": [{"unit": "Wh"}]}]});
    let e = v16_request_error("MeterValues", payload);
    assert_eq!(e.code, ErrorCode::OccurrenceConstraintViolation);
    assert!(
        e.description
            .contains("meterValue[0].sampledValue[0].value"),
        "{}",
        e.description
    );
}

#[test]
fn wrong_json_type_is_a_type_constraint_violation() {
    let mut payload = start_transaction();
    payload["meterStart"] = json!("12345");
    let e = v16_request_error("StartTransaction", payload);
    assert_eq!(e.code.as_str(OcppVersion::V16), "TypeConstraintViolation");
    assert!(e.description.contains("meterStart"), "{}", e.description);

    let mut payload = start_transaction();
    payload["connectorId"] = json!(1.5);
    assert_eq!(
        v16_request_error("StartTransaction", payload).code,
        ErrorCode::TypeConstraintViolation
    );
}

#[test]
fn null_for_an_optional_field_is_a_type_constraint_violation() {
    let mut payload = start_transaction();
    payload["reservationId"] = Value::Null;
    let e = v16_request_error("StartTransaction", payload);
    assert_eq!(e.code, ErrorCode::TypeConstraintViolation);
    assert!(e.description.contains("reservationId"), "{}", e.description);
}

#[test]
fn string_too_long_is_a_property_constraint_violation() {
    let mut payload = start_transaction();
    payload["idTag"] = json!("X".repeat(21));
    let e = v16_request_error("StartTransaction", payload);
    assert_eq!(
        e.code.as_str(OcppVersion::V16),
        "PropertyConstraintViolation"
    );
    assert!(e.description.contains("idTag"), "{}", e.description);
}

#[test]
fn enum_value_not_allowed_is_a_property_constraint_violation() {
    let payload = json!({"connectorId": 1, "errorCode": "Melted", "status": "Available"});
    let e = v16_request_error("StatusNotification", payload);
    assert_eq!(e.code, ErrorCode::PropertyConstraintViolation);
    assert!(e.description.contains("errorCode"), "{}", e.description);

    let payload =
        json!({"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}});
    assert!(v201::Request::decode("BootNotification", &payload).is_ok());
    let payload =
        json!({"reason": "Tuesday", "chargingStation": {"model": "M", "vendorName": "V"}});
    assert_eq!(
        v201_request_error("BootNotification", payload).code,
        ErrorCode::PropertyConstraintViolation
    );
}

#[test]
fn malformed_timestamp_is_a_property_constraint_violation() {
    let mut payload = start_transaction();
    payload["timestamp"] = json!("23/11/2026 08:00");
    let e = v16_request_error("StartTransaction", payload);
    assert_eq!(e.code, ErrorCode::PropertyConstraintViolation);
    assert!(e.description.contains("timestamp"), "{}", e.description);
}

#[test]
fn value_out_of_range_is_a_property_constraint_violation() {
    // 2.0.1 bounds evse.id below by 0 in the type (unsigned) and
    // numberPhases by 0..=3 in the schema.
    let payload = json!({"id": -1});
    let e = match v201::Response::decode("Heartbeat", &payload) {
        Err(e) => e,
        Ok(_) => panic!("accepted"),
    };
    // Heartbeat's response has currentTime, not id: an occurrence problem first.
    assert_eq!(e.code, ErrorCode::OccurrenceConstraintViolation);

    // 1.6 charging limits are a multipleOf 0.1.
    let payload = json!({"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 1,
        "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16.0}, {"startPeriod": 60, "limit": 10.05}]}}});
    let e = v16_request_error("SetChargingProfile", payload);
    assert_eq!(e.code, ErrorCode::PropertyConstraintViolation);
    assert!(
        e.description.contains("chargingSchedulePeriod[1].limit"),
        "{}",
        e.description
    );
}

#[test]
fn unknown_property_is_a_format_violation_in_each_spelling() {
    let mut payload = start_transaction();
    payload["colour"] = json!("blue");
    let e = v16_request_error("StartTransaction", payload);
    assert_eq!(e.code.as_str(OcppVersion::V16), "FormationViolation");
    assert!(e.description.contains("colour"), "{}", e.description);

    let payload =
        json!({"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V", "x": 1}});
    let e = v201_request_error("BootNotification", payload);
    assert_eq!(e.code.as_str(OcppVersion::V201), "FormatViolation");
    assert!(
        e.description.contains("chargingStation.x"),
        "{}",
        e.description
    );
}

#[test]
fn custom_data_may_carry_vendor_properties() {
    let payload = json!({"customData": {"vendorId": "com.example", "anything": [1, {"x": 2}]}});
    assert!(v201::Request::decode("Heartbeat", &payload).is_ok());
}

#[test]
fn unknown_action_is_not_implemented_and_known_unhandled_is_not_supported() {
    let e = check_supported(OcppVersion::V16, "Teleport", &["Heartbeat"]).unwrap_err();
    assert_eq!(e.code.as_str(OcppVersion::V16), "NotImplemented");
    let e = check_supported(OcppVersion::V16, "TransactionEvent", &["Heartbeat"]).unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::NotImplemented,
        "2.0.1 action in a 1.6 session"
    );
    let e =
        check_supported(OcppVersion::V16, "RemoteStartTransaction", &["Heartbeat"]).unwrap_err();
    assert_eq!(e.code.as_str(OcppVersion::V16), "NotSupported");
    assert!(check_supported(OcppVersion::V16, "Heartbeat", &["Heartbeat"]).is_ok());
    assert_eq!(
        v16_request_error("Teleport", json!({})).code,
        ErrorCode::NotImplemented
    );
}

#[test]
fn same_action_name_means_different_payloads_per_version() {
    let v16_boot = json!({"chargePointVendor": "V", "chargePointModel": "M"});
    assert!(v16::Request::decode("BootNotification", &v16_boot).is_ok());
    assert_eq!(
        v201_request_error("BootNotification", v16_boot).code,
        ErrorCode::OccurrenceConstraintViolation
    );
}

#[test]
fn data_transfer_201_keeps_arbitrary_data() {
    let payload = json!({"vendorId": "com.example", "data": {"nested": [1, 2, {"a": null}]}});
    let request = v201::Request::decode("DataTransfer", &payload).unwrap();
    assert_eq!(request.to_payload(), payload);
}

#[test]
fn responses_are_validated_against_their_own_schema() {
    let good = json!({"status": "Accepted"});
    assert!(v16::Response::decode("RemoteStartTransaction", &good).is_ok());
    let bad = json!({"status": "Maybe"});
    let e = v16::Response::decode("RemoteStartTransaction", &bad).unwrap_err();
    assert_eq!(e.code, ErrorCode::PropertyConstraintViolation);
}

#[test]
fn every_table_entry_decodes_its_own_name() {
    // Guards the tables against a variant that dispatches to the wrong type:
    // an empty object must fail as *that* action (never NotImplemented).
    for info in ocpp_protocol::actions(OcppVersion::V16) {
        if let Err(e) = v16::Request::decode(info.name, &json!({})) {
            assert_ne!(e.code, ErrorCode::NotImplemented, "{}", info.name);
        }
    }
    for info in ocpp_protocol::actions(OcppVersion::V201) {
        if let Err(e) = v201::Request::decode(info.name, &json!({})) {
            assert_ne!(e.code, ErrorCode::NotImplemented, "{}", info.name);
        }
    }
    assert_eq!(ocpp_protocol::actions(OcppVersion::V16).len(), 39);
    assert_eq!(ocpp_protocol::actions(OcppVersion::V201).len(), 64);
}

#[test]
fn many_samples_with_offsets_all_come_out_in_utc_and_values_stay_verbatim() {
    // Each item's timestamp is a date-time; a sampled value that merely looks like one is not.
    let items: Vec<Value> = (0..500)
        .map(|i| {
            json!({"timestamp": format!("2026-11-23T{:02}:{:02}:00+01:00", 8 + i / 60, i % 60),
                   "sampledValue": [{"value": "2026-11-23T08:00:00+01:00", "format": "Raw"}]})
        })
        .collect();
    let payload = json!({"connectorId": 1, "transactionId": 7, "meterValue": items});
    let v16::Request::MeterValues(decoded) = v16::Request::decode("MeterValues", &payload).unwrap()
    else {
        panic!("wrong variant")
    };
    let encoded = serde_json::to_value(&decoded).unwrap();
    assert_eq!(
        encoded["meterValue"][0]["timestamp"],
        "2026-11-23T07:00:00Z"
    );
    assert_eq!(
        encoded["meterValue"][499]["timestamp"],
        "2026-11-23T15:19:00Z"
    );
    assert_eq!(
        encoded["meterValue"][499]["sampledValue"][0]["value"],
        "2026-11-23T08:00:00+01:00"
    );
}
