//! Every OCPP 1.6J message, Core through the 1.6 security extension, in one table.

use ocpp_types::v16 as t;

const VERSION: crate::OcppVersion = crate::OcppVersion::V16;

crate::messages::message_table! {
    Authorize: ChargePoint => t::AuthorizeRequest, t::AuthorizeResponse;
    BootNotification: ChargePoint => t::BootNotificationRequest, t::BootNotificationResponse;
    CancelReservation: Csms => t::CancelReservationRequest, t::CancelReservationResponse;
    CertificateSigned: Csms => t::CertificateSignedRequest, t::CertificateSignedResponse;
    ChangeAvailability: Csms => t::ChangeAvailabilityRequest, t::ChangeAvailabilityResponse;
    ChangeConfiguration: Csms => t::ChangeConfigurationRequest, t::ChangeConfigurationResponse;
    ClearCache: Csms => t::ClearCacheRequest, t::ClearCacheResponse;
    ClearChargingProfile: Csms => t::ClearChargingProfileRequest, t::ClearChargingProfileResponse;
    DataTransfer: Both => t::DataTransferRequest, t::DataTransferResponse;
    DeleteCertificate: Csms => t::DeleteCertificateRequest, t::DeleteCertificateResponse;
    DiagnosticsStatusNotification: ChargePoint => t::DiagnosticsStatusNotificationRequest, t::DiagnosticsStatusNotificationResponse;
    ExtendedTriggerMessage: Csms => t::ExtendedTriggerMessageRequest, t::ExtendedTriggerMessageResponse;
    FirmwareStatusNotification: ChargePoint => t::FirmwareStatusNotificationRequest, t::FirmwareStatusNotificationResponse;
    GetCompositeSchedule: Csms => t::GetCompositeScheduleRequest, t::GetCompositeScheduleResponse;
    GetConfiguration: Csms => t::GetConfigurationRequest, t::GetConfigurationResponse;
    GetDiagnostics: Csms => t::GetDiagnosticsRequest, t::GetDiagnosticsResponse;
    GetInstalledCertificateIds: Csms => t::GetInstalledCertificateIdsRequest, t::GetInstalledCertificateIdsResponse;
    GetLocalListVersion: Csms => t::GetLocalListVersionRequest, t::GetLocalListVersionResponse;
    GetLog: Csms => t::GetLogRequest, t::GetLogResponse;
    Heartbeat: ChargePoint => t::HeartbeatRequest, t::HeartbeatResponse;
    InstallCertificate: Csms => t::InstallCertificateRequest, t::InstallCertificateResponse;
    LogStatusNotification: ChargePoint => t::LogStatusNotificationRequest, t::LogStatusNotificationResponse;
    MeterValues: ChargePoint => t::MeterValuesRequest, t::MeterValuesResponse;
    RemoteStartTransaction: Csms => t::RemoteStartTransactionRequest, t::RemoteStartTransactionResponse;
    RemoteStopTransaction: Csms => t::RemoteStopTransactionRequest, t::RemoteStopTransactionResponse;
    ReserveNow: Csms => t::ReserveNowRequest, t::ReserveNowResponse;
    Reset: Csms => t::ResetRequest, t::ResetResponse;
    SecurityEventNotification: ChargePoint => t::SecurityEventNotificationRequest, t::SecurityEventNotificationResponse;
    SendLocalList: Csms => t::SendLocalListRequest, t::SendLocalListResponse;
    SetChargingProfile: Csms => t::SetChargingProfileRequest, t::SetChargingProfileResponse;
    SignCertificate: ChargePoint => t::SignCertificateRequest, t::SignCertificateResponse;
    SignedFirmwareStatusNotification: ChargePoint => t::SignedFirmwareStatusNotificationRequest, t::SignedFirmwareStatusNotificationResponse;
    SignedUpdateFirmware: Csms => t::SignedUpdateFirmwareRequest, t::SignedUpdateFirmwareResponse;
    StartTransaction: ChargePoint => t::StartTransactionRequest, t::StartTransactionResponse;
    StatusNotification: ChargePoint => t::StatusNotificationRequest, t::StatusNotificationResponse;
    StopTransaction: ChargePoint => t::StopTransactionRequest, t::StopTransactionResponse;
    TriggerMessage: Csms => t::TriggerMessageRequest, t::TriggerMessageResponse;
    UnlockConnector: Csms => t::UnlockConnectorRequest, t::UnlockConnectorResponse;
    UpdateFirmware: Csms => t::UpdateFirmwareRequest, t::UpdateFirmwareResponse;
}
