//! Every OCPP 2.0.1 message in one table.

use ocpp_types::v201 as t;

/// Vendor `customData` must name its `vendorId`; other vendor properties are
/// allowed by the schema and not kept.
type C = t::common::CustomData;

const VERSION: crate::OcppVersion = crate::OcppVersion::V201;

crate::messages::message_table! {
    Authorize: ChargePoint => t::AuthorizeRequest<C>, t::AuthorizeResponse<C>;
    BootNotification: ChargePoint => t::BootNotificationRequest<C>, t::BootNotificationResponse<C>;
    CancelReservation: Csms => t::CancelReservationRequest<C>, t::CancelReservationResponse<C>;
    CertificateSigned: Csms => t::CertificateSignedRequest<C>, t::CertificateSignedResponse<C>;
    ChangeAvailability: Csms => t::ChangeAvailabilityRequest<C>, t::ChangeAvailabilityResponse<C>;
    ClearCache: Csms => t::ClearCacheRequest<C>, t::ClearCacheResponse<C>;
    ClearChargingProfile: Csms => t::ClearChargingProfileRequest<C>, t::ClearChargingProfileResponse<C>;
    ClearDisplayMessage: Csms => t::ClearDisplayMessageRequest<C>, t::ClearDisplayMessageResponse<C>;
    ClearVariableMonitoring: Csms => t::ClearVariableMonitoringRequest<C>, t::ClearVariableMonitoringResponse<C>;
    ClearedChargingLimit: ChargePoint => t::ClearedChargingLimitRequest<C>, t::ClearedChargingLimitResponse<C>;
    CostUpdated: Csms => t::CostUpdatedRequest<C>, t::CostUpdatedResponse<C>;
    CustomerInformation: Csms => t::CustomerInformationRequest<C>, t::CustomerInformationResponse<C>;
    DataTransfer: Both => t::DataTransferRequest<serde_json::Value, C>, t::DataTransferResponse<serde_json::Value, C>;
    DeleteCertificate: Csms => t::DeleteCertificateRequest<C>, t::DeleteCertificateResponse<C>;
    FirmwareStatusNotification: ChargePoint => t::FirmwareStatusNotificationRequest<C>, t::FirmwareStatusNotificationResponse<C>;
    Get15118EVCertificate: ChargePoint => t::Get15118EVCertificateRequest<C>, t::Get15118EVCertificateResponse<C>;
    GetBaseReport: Csms => t::GetBaseReportRequest<C>, t::GetBaseReportResponse<C>;
    GetCertificateStatus: ChargePoint => t::GetCertificateStatusRequest<C>, t::GetCertificateStatusResponse<C>;
    GetChargingProfiles: Csms => t::GetChargingProfilesRequest<C>, t::GetChargingProfilesResponse<C>;
    GetCompositeSchedule: Csms => t::GetCompositeScheduleRequest<C>, t::GetCompositeScheduleResponse<C>;
    GetDisplayMessages: Csms => t::GetDisplayMessagesRequest<C>, t::GetDisplayMessagesResponse<C>;
    GetInstalledCertificateIds: Csms => t::GetInstalledCertificateIdsRequest<C>, t::GetInstalledCertificateIdsResponse<C>;
    GetLocalListVersion: Csms => t::GetLocalListVersionRequest<C>, t::GetLocalListVersionResponse<C>;
    GetLog: Csms => t::GetLogRequest<C>, t::GetLogResponse<C>;
    GetMonitoringReport: Csms => t::GetMonitoringReportRequest<C>, t::GetMonitoringReportResponse<C>;
    GetReport: Csms => t::GetReportRequest<C>, t::GetReportResponse<C>;
    GetTransactionStatus: Csms => t::GetTransactionStatusRequest<C>, t::GetTransactionStatusResponse<C>;
    GetVariables: Csms => t::GetVariablesRequest<C>, t::GetVariablesResponse<C>;
    Heartbeat: ChargePoint => t::HeartbeatRequest<C>, t::HeartbeatResponse<C>;
    InstallCertificate: Csms => t::InstallCertificateRequest<C>, t::InstallCertificateResponse<C>;
    LogStatusNotification: ChargePoint => t::LogStatusNotificationRequest<C>, t::LogStatusNotificationResponse<C>;
    MeterValues: ChargePoint => t::MeterValuesRequest<C>, t::MeterValuesResponse<C>;
    NotifyChargingLimit: ChargePoint => t::NotifyChargingLimitRequest<C>, t::NotifyChargingLimitResponse<C>;
    NotifyCustomerInformation: ChargePoint => t::NotifyCustomerInformationRequest<C>, t::NotifyCustomerInformationResponse<C>;
    NotifyDisplayMessages: ChargePoint => t::NotifyDisplayMessagesRequest<C>, t::NotifyDisplayMessagesResponse<C>;
    NotifyEVChargingNeeds: ChargePoint => t::NotifyEVChargingNeedsRequest<C>, t::NotifyEVChargingNeedsResponse<C>;
    NotifyEVChargingSchedule: ChargePoint => t::NotifyEVChargingScheduleRequest<C>, t::NotifyEVChargingScheduleResponse<C>;
    NotifyEvent: ChargePoint => t::NotifyEventRequest<C>, t::NotifyEventResponse<C>;
    NotifyMonitoringReport: ChargePoint => t::NotifyMonitoringReportRequest<C>, t::NotifyMonitoringReportResponse<C>;
    NotifyReport: ChargePoint => t::NotifyReportRequest<C>, t::NotifyReportResponse<C>;
    PublishFirmware: Csms => t::PublishFirmwareRequest<C>, t::PublishFirmwareResponse<C>;
    PublishFirmwareStatusNotification: ChargePoint => t::PublishFirmwareStatusNotificationRequest<C>, t::PublishFirmwareStatusNotificationResponse<C>;
    ReportChargingProfiles: ChargePoint => t::ReportChargingProfilesRequest<C>, t::ReportChargingProfilesResponse<C>;
    RequestStartTransaction: Csms => t::RequestStartTransactionRequest<C>, t::RequestStartTransactionResponse<C>;
    RequestStopTransaction: Csms => t::RequestStopTransactionRequest<C>, t::RequestStopTransactionResponse<C>;
    ReservationStatusUpdate: ChargePoint => t::ReservationStatusUpdateRequest<C>, t::ReservationStatusUpdateResponse<C>;
    ReserveNow: Csms => t::ReserveNowRequest<C>, t::ReserveNowResponse<C>;
    Reset: Csms => t::ResetRequest<C>, t::ResetResponse<C>;
    SecurityEventNotification: ChargePoint => t::SecurityEventNotificationRequest<C>, t::SecurityEventNotificationResponse<C>;
    SendLocalList: Csms => t::SendLocalListRequest<C>, t::SendLocalListResponse<C>;
    SetChargingProfile: Csms => t::SetChargingProfileRequest<C>, t::SetChargingProfileResponse<C>;
    SetDisplayMessage: Csms => t::SetDisplayMessageRequest<C>, t::SetDisplayMessageResponse<C>;
    SetMonitoringBase: Csms => t::SetMonitoringBaseRequest<C>, t::SetMonitoringBaseResponse<C>;
    SetMonitoringLevel: Csms => t::SetMonitoringLevelRequest<C>, t::SetMonitoringLevelResponse<C>;
    SetNetworkProfile: Csms => t::SetNetworkProfileRequest<C>, t::SetNetworkProfileResponse<C>;
    SetVariableMonitoring: Csms => t::SetVariableMonitoringRequest<C>, t::SetVariableMonitoringResponse<C>;
    SetVariables: Csms => t::SetVariablesRequest<C>, t::SetVariablesResponse<C>;
    SignCertificate: ChargePoint => t::SignCertificateRequest<C>, t::SignCertificateResponse<C>;
    StatusNotification: ChargePoint => t::StatusNotificationRequest<C>, t::StatusNotificationResponse<C>;
    TransactionEvent: ChargePoint => t::TransactionEventRequest<C>, t::TransactionEventResponse<C>;
    TriggerMessage: Csms => t::TriggerMessageRequest<C>, t::TriggerMessageResponse<C>;
    UnlockConnector: Csms => t::UnlockConnectorRequest<C>, t::UnlockConnectorResponse<C>;
    UnpublishFirmware: Csms => t::UnpublishFirmwareRequest<C>, t::UnpublishFirmwareResponse<C>;
    UpdateFirmware: Csms => t::UpdateFirmwareRequest<C>, t::UpdateFirmwareResponse<C>;
}
