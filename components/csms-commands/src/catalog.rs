//! The OCPP 1.6 actions the central system sends on an operator's request.

/// Every CSMS-initiated 1.6 action the operator API accepts (Core, Firmware Management,
/// Local Auth List, Reservation, Remote Trigger, Smart Charging).
pub const ACTIONS_16: &[&str] = &[
    "CancelReservation",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "ClearChargingProfile",
    "DataTransfer",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDiagnostics",
    "GetLocalListVersion",
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "ReserveNow",
    "Reset",
    "SendLocalList",
    "SetChargingProfile",
    "TriggerMessage",
    "UnlockConnector",
    "UpdateFirmware",
];

/// Whether an operator may send `action` (exact spelling).
pub fn is_sendable(action: &str) -> bool {
    ACTIONS_16.contains(&action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocpp_protocol::{action_info, OcppVersion};

    #[test]
    fn every_listed_action_is_one_the_central_system_may_send_in_1_6() {
        for action in ACTIONS_16 {
            let info = action_info(OcppVersion::V16, action).unwrap();
            assert!(info.sent_by_csms(), "{action}");
        }
        assert!(!is_sendable("BootNotification"));
        assert!(!is_sendable("reset"));
    }
}
