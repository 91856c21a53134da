//! What the use cases need from the outside world. Adapters in `infrastructure` implement these.

mod audit;
mod carrier;
mod clock;
mod config_editor;
mod config_store;
mod events;
mod identity;
mod inbound;
mod inbound_stream;
mod outbox_reader;
mod provider_directory;
mod rate_limits;
mod store;
mod tenants;
mod webhook_deliveries;
mod webhooks;

pub use audit::{AuditFilter, AuditLog, AuditPage, AuditQuery, AuditRecord, OUTCOME_OK};
pub use carrier::{
    BookingRequest, Carrier, CarrierAccount, CarrierAccounts, CarrierError, NoCarriers, PreparedBooking,
    PurchasedPostage,
};
pub use clock::{Clock, IdGenerator, SystemClock, UuidV7Ids};
pub use config_editor::{
    ConfigChangeView, ConfigEdit, ConfigEditError, ConfigEditor, DomainSetting, IdpChange, IntegrationsChange,
    IntegrationsOwner, IntegrationsView, OutboundWebhookChange, OutboundWebhookView, Patch, PlanChange,
    PlanLimitsChange, TenantChange, TenantConfigChange, TenantConfigView,
};
pub use config_store::{
    CONFIG_SECRET_KEYS, ConfigKind, ConfigSnapshot, ConfigStore, ConfigVersion, ConfigWrite, redact_config_secrets,
};
pub use events::{BusError, ConsumerError, EventBus, EventConsumer, EventEnvelope, LiveListener};
pub use identity::{AuthError, TokenVerifier};
pub use inbound::{
    CarrierShipmentRef, DeliveryHeaders, InboundRoute, InboundWebhooks, TrackedShipment, TrackingFacts, TrackingLookup,
    TrackingReader, TrackingScope, Unverified, VerifiedDelivery, WebhookOwner, WebhookReceipt,
};
pub use inbound_stream::{CommandRefusal, CommandTaken, StreamCommand, StreamCommands};
pub use outbox_reader::{EventPage, FeedQuery, OutboxReader, TimelineQuery};
pub use provider_directory::{IdpView, PlanView, ProviderDirectory, TenantView};
pub use rate_limits::{RateLimitStore, RetryAfter};
pub use store::{
    CurrencyTotals, IdempotencyRecord, LedgerFilter, LedgerPage, LedgerQuery, OrderCursor, OrderFilter, OrderPage,
    OrderQuery, OrderSort, OrderStore, OrderTx, OutboxEvent, StoreError, Taken, writes_own_tenant,
};
pub use tenants::{PlanLimits, TenantAddresses, TenantDirectory, TenantProfile, TenantSettings, TenantStatus};
pub use webhook_deliveries::{
    AttemptRecord, DeliveryAttempt, DeliveryFilter, DeliveryNext, DeliveryPage, DeliveryQuery, DeliveryRecord,
    DeliveryStatus, DueDelivery, EndpointHealth, NewDelivery, OutboxRelayStore, RelayError, WebhookDeliveries,
    WebhookEndpoint, WebhookEndpoints,
};
pub use webhooks::{AttemptFailure, AttemptOutcome, RetrySchedule, WebhookMessage, WebhookTransport, WebhookUrlPolicy};
