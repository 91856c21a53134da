//! The three inbound routes, from verified bytes to an order command.

use std::sync::Arc;

use domain::{TenantId, order::TrackingEffect};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    AppError, ErrorCode, Principal,
    orders::{DeliveryUse, Orders, RecordTracking},
    ports::{
        AuditLog, AuditRecord, Clock, DeliveryHeaders, IdGenerator, InboundRoute, InboundWebhooks, OUTCOME_OK,
        OrderStore, TrackedShipment, TrackingLookup, TrackingScope, Unverified, VerifiedDelivery, WebhookOwner,
    },
    webhooks_in::body::AddOrderBody,
};

/// One request to a webhook route: its headers and raw body, as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: DeliveryHeaders,
    pub body: Vec<u8>,
    pub request_id: Option<String>,
}

/// What a processed delivery did (answered 200).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAnswer {
    /// `created`, `existing` (an order with the externalRef was already there), `duplicate`
    /// (this delivery was already processed), `moved` or `recorded` (a tracking report).
    pub result: &'static str,
    pub order_id: String,
    pub order_number: String,
    pub shipment_id: Option<String>,
    pub shipment_status: Option<String>,
}

/// Why a delivery was refused; the transport turns the kind into a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Bad or missing signature, stale or future timestamp (401).
    Unverified,
    /// Unknown tenant, route not configured, unknown tracking reference (404).
    NotFound,
    /// The body is not JSON (400).
    Malformed,
    /// JSON, but not something the route can act on (422).
    Unusable,
    /// Several tenants hold the tracking reference (409).
    Ambiguous,
    /// Refused by the command for another reason (its code's status).
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookFailure {
    pub kind: FailureKind,
    pub error: AppError,
}

impl WebhookFailure {
    fn new(kind: FailureKind, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { kind, error: AppError::new(code, message) }
    }

    fn from_command(error: AppError) -> Self {
        let kind = match error.code {
            ErrorCode::ValidationFailed | ErrorCode::IdempotencyConflict => FailureKind::Unusable,
            ErrorCode::NotFound => FailureKind::NotFound,
            _ => FailureKind::Refused,
        };
        Self { kind, error }
    }
}

/// The audit actors, per route (SPEC.md section 7: a webhook partner).
const ADD_ORDER_ACTOR: &str = "webhook:add_order";
const TRACKER_ACTOR: &str = "webhook:shipment_tracker";
const PROVIDER_TRACKER_ACTOR: &str = "webhook:provider_shipment_tracker";
/// The dedupe scope of the provider's route, within the tenant the shipment belongs to.
const PROVIDER_TRACKER_ROUTE: &str = "provider:shipment_tracker";

/// Who a delivery is for, as far as it is known, and who it is audited as.
pub(super) struct Call<'a> {
    pub owner: WebhookOwner,
    pub route: InboundRoute,
    pub actor: &'static str,
    pub action: &'static str,
    /// The tenant named in the path, as written (recorded when it names no tenant).
    pub path_tenant: Option<&'a str>,
    /// A message from the tenant's inbound stream: its id (recorded like a webhook id).
    pub stream_message: Option<&'a str>,
}

impl<'a> Call<'a> {
    /// An add-order delivery for `tenant_id`, named `path_tenant` by its route or stream.
    pub(super) fn add_order(tenant_id: TenantId, path_tenant: &'a str) -> Self {
        Call {
            owner: WebhookOwner::Tenant(tenant_id),
            route: InboundRoute::AddOrder,
            actor: ADD_ORDER_ACTOR,
            action: "createOrder",
            path_tenant: Some(path_tenant),
            stream_message: None,
        }
    }
}

pub struct WebhookIntake {
    orders: Arc<Orders>,
    store: Arc<dyn OrderStore>,
    pub(super) webhooks: Arc<dyn InboundWebhooks>,
    audit: Arc<dyn AuditLog>,
    pub(super) clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl WebhookIntake {
    pub fn new(
        orders: Arc<Orders>,
        store: Arc<dyn OrderStore>,
        webhooks: Arc<dyn InboundWebhooks>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self { orders, store, webhooks, audit, clock, ids }
    }

    /// `POST /webhooks/{tenantId}/add-order`.
    pub async fn add_order(&self, tenant: &str, delivery: Delivery) -> Result<WebhookAnswer, WebhookFailure> {
        let tenant_id = self.path_tenant(tenant, InboundRoute::AddOrder, &delivery).await?;
        let call = Call::add_order(tenant_id.clone(), tenant);
        let (verified, payload) = self.admit(&call, &delivery).await?;
        self.create_order(&call, tenant_id, &delivery, &verified, payload).await
    }

    /// The add-order path once a delivery is admitted and its body is JSON, shared by the
    /// webhook and the inbound stream: the body read as a `CreateOrderInput`, then createOrder.
    pub(super) async fn create_order(
        &self,
        call: &Call<'_>,
        tenant_id: TenantId,
        delivery: &Delivery,
        verified: &VerifiedDelivery,
        payload: Value,
    ) -> Result<WebhookAnswer, WebhookFailure> {
        let input = match serde_json::from_value::<AddOrderBody>(payload) {
            Ok(body) => body.into_input(),
            Err(e) => {
                let failure = WebhookFailure {
                    kind: FailureKind::Unusable,
                    error: AppError::validation(&[], format!("the body is not a CreateOrderInput: {e}")),
                };
                return Err(self.refused(call, delivery, failure).await);
            }
        };
        let principal = principal(tenant_id, ADD_ORDER_ACTOR, delivery);
        let outcome = self
            .orders
            .add_order_signed(&principal, input, delivery_use(call.route.config_key(), verified))
            .await
            .map_err(WebhookFailure::from_command)?;
        let order = outcome.value;
        let result = match (outcome.duplicate, outcome.replayed) {
            (true, _) => "duplicate",
            (false, true) => "existing",
            (false, false) => "created",
        };
        Ok(WebhookAnswer {
            result,
            order_id: order.id().to_string(),
            order_number: order.number().to_owned(),
            shipment_id: None,
            shipment_status: None,
        })
    }

    /// `POST /webhooks/{tenantId}/shipment-tracker`: the reference is looked up within the tenant.
    pub async fn shipment_tracker(&self, tenant: &str, delivery: Delivery) -> Result<WebhookAnswer, WebhookFailure> {
        let call = Call {
            owner: WebhookOwner::Tenant(self.path_tenant(tenant, InboundRoute::ShipmentTracker, &delivery).await?),
            route: InboundRoute::ShipmentTracker,
            actor: TRACKER_ACTOR,
            action: "recordShipmentTracking",
            path_tenant: Some(tenant),
            stream_message: None,
        };
        self.track(call, delivery).await
    }

    /// `POST /webhooks/shipment-tracker`: verified with the provider's secret, then the tenant is
    /// the one holding the reference.
    pub async fn provider_shipment_tracker(&self, delivery: Delivery) -> Result<WebhookAnswer, WebhookFailure> {
        let call = Call {
            owner: WebhookOwner::Provider,
            route: InboundRoute::ShipmentTracker,
            actor: PROVIDER_TRACKER_ACTOR,
            action: "recordShipmentTracking",
            path_tenant: None,
            stream_message: None,
        };
        self.track(call, delivery).await
    }

    /// A delivery refused before it was read (its body is over the limit): recorded like any, on
    /// the platform's trail, since nothing says it came from whoever may write the tenant's.
    pub async fn refused_unread(&self, tenant: Option<&str>, route: InboundRoute, request_id: Option<String>) {
        let (actor, action) = match (tenant, route) {
            (_, InboundRoute::AddOrder) => (ADD_ORDER_ACTOR, "createOrder"),
            (Some(_), InboundRoute::ShipmentTracker) => (TRACKER_ACTOR, "recordShipmentTracking"),
            (None, InboundRoute::ShipmentTracker) => (PROVIDER_TRACKER_ACTOR, "recordShipmentTracking"),
        };
        let tenant: Option<String> = tenant.map(|t| t.chars().take(128).collect());
        let input = json!({"route": route.config_key(), "tenantId": tenant, "refused": "body over the limit"});
        self.record(None, actor, action, input, ErrorCode::ValidationFailed.as_str(), request_id).await;
    }

    async fn track(&self, call: Call<'_>, delivery: Delivery) -> Result<WebhookAnswer, WebhookFailure> {
        let (verified, payload) = self.admit(&call, &delivery).await?;
        let Some(reader) = verified.tracking.clone() else {
            return Err(self.refused(&call, &delivery, no_route()).await);
        };
        let facts = match reader.read(&payload) {
            Ok(facts) => facts,
            Err(why) => {
                let failure = WebhookFailure::new(FailureKind::Unusable, ErrorCode::ValidationFailed, why);
                return Err(self.refused(&call, &delivery, failure).await);
            }
        };
        let lookup = TrackingLookup {
            reference: facts.reference.clone(),
            carrier: facts.carrier.clone(),
            carrier_shipment: facts.carrier_shipment.clone(),
        };
        let scope = match &call.owner {
            WebhookOwner::Tenant(tenant) => TrackingScope::Tenant(tenant),
            WebhookOwner::Provider => TrackingScope::AllTenants,
        };
        let found = match self.store.find_tracked_shipment(scope, &lookup).await {
            Ok(found) => found,
            Err(e) => return Err(self.refused(&call, &delivery, WebhookFailure::from_command(e.into())).await),
        };
        let (tenant_id, shipment_id) = match found {
            TrackedShipment::Found { tenant_id, shipment_id } => (tenant_id, shipment_id),
            TrackedShipment::Unknown => {
                let failure = WebhookFailure::new(
                    FailureKind::NotFound,
                    ErrorCode::NotFound,
                    format!("no shipment has the tracking reference '{}'", facts.reference),
                );
                return Err(self.refused(&call, &delivery, failure).await);
            }
            TrackedShipment::Ambiguous => {
                let failure = WebhookFailure::new(
                    FailureKind::Ambiguous,
                    ErrorCode::Conflict,
                    format!(
                        "the tracking reference '{}' does not name one shipment; send it to the tenant's own route",
                        facts.reference
                    ),
                );
                return Err(self.refused(&call, &delivery, failure).await);
            }
        };
        let route = match call.owner {
            WebhookOwner::Tenant(_) => call.route.config_key(),
            WebhookOwner::Provider => PROVIDER_TRACKER_ROUTE,
        };
        let principal = principal(tenant_id, call.actor, &delivery);
        let input = RecordTracking {
            shipment_id: shipment_id.to_string(),
            tracking_reference: facts.reference,
            carrier_status: facts.carrier_status,
            status: facts.status,
        };
        let outcome = self
            .orders
            .record_tracking_signed(&principal, input, delivery_use(route, &verified))
            .await
            .map_err(WebhookFailure::from_command)?;
        let tracked = outcome.value;
        let result = match (outcome.duplicate, tracked.effect) {
            (true, _) => "duplicate",
            (false, TrackingEffect::Moved(_)) => "moved",
            (false, TrackingEffect::Recorded) => "recorded",
        };
        let status = tracked.order.shipment(tracked.shipment_id).map(|s| s.status.as_str().to_owned());
        Ok(WebhookAnswer {
            result,
            order_id: tracked.order.id().to_string(),
            order_number: tracked.order.number().to_owned(),
            shipment_id: Some(tracked.shipment_id.to_string()),
            shipment_status: status,
        })
    }

    /// Verifies the delivery and parses its body as JSON; a refusal is recorded and answered.
    async fn admit(&self, call: &Call<'_>, delivery: &Delivery) -> Result<(VerifiedDelivery, Value), WebhookFailure> {
        let now = self.clock.now();
        let verified = match self.webhooks.verify(&call.owner, call.route, &delivery.headers, &delivery.body, now) {
            Ok(verified) => verified,
            Err(Unverified::NotConfigured) => return Err(self.refused_on(None, call, delivery, no_route()).await),
            Err(Unverified::Refused(why)) => {
                let failure = WebhookFailure::new(FailureKind::Unverified, ErrorCode::Unauthenticated, why);
                return Err(self.refused(call, delivery, failure).await);
            }
        };
        Ok((verified, self.read_json(call, delivery).await?))
    }

    /// The delivery's body as JSON; a body that is not is recorded and answered.
    pub(super) async fn read_json(&self, call: &Call<'_>, delivery: &Delivery) -> Result<Value, WebhookFailure> {
        match serde_json::from_slice::<Value>(&delivery.body) {
            Ok(payload) => Ok(payload),
            Err(e) => {
                let failure = WebhookFailure {
                    kind: FailureKind::Malformed,
                    error: AppError::validation(&[], format!("the body is not JSON: {e}")),
                };
                Err(self.refused(call, delivery, failure).await)
            }
        }
    }

    /// The tenant a path names; a malformed id names none, and is answered as an unknown one.
    async fn path_tenant(
        &self,
        tenant: &str,
        route: InboundRoute,
        delivery: &Delivery,
    ) -> Result<TenantId, WebhookFailure> {
        match TenantId::new(tenant) {
            Ok(id) => Ok(id),
            Err(_) => {
                let call = Call {
                    owner: WebhookOwner::Provider,
                    route,
                    actor: match route {
                        InboundRoute::AddOrder => ADD_ORDER_ACTOR,
                        InboundRoute::ShipmentTracker => TRACKER_ACTOR,
                    },
                    action: match route {
                        InboundRoute::AddOrder => "createOrder",
                        InboundRoute::ShipmentTracker => "recordShipmentTracking",
                    },
                    path_tenant: Some(tenant),
                    stream_message: None,
                };
                Err(self.refused_on(None, &call, delivery, no_route()).await)
            }
        }
    }

    /// Records a delivery refused before any command ran on the trail of the tenant the route
    /// belongs to (the platform's for the provider's route), and hands the failure back.
    pub(super) async fn refused(
        &self,
        call: &Call<'_>,
        delivery: &Delivery,
        failure: WebhookFailure,
    ) -> WebhookFailure {
        let tenant_id = match &call.owner {
            WebhookOwner::Tenant(tenant) => Some(tenant.clone()),
            WebhookOwner::Provider => None,
        };
        self.refused_on(tenant_id, call, delivery, failure).await
    }

    /// As `refused`, on the given trail. The body is never recorded (it is unverified or
    /// unusable): its size and hash say which it was.
    pub(super) async fn refused_on(
        &self,
        tenant_id: Option<TenantId>,
        call: &Call<'_>,
        delivery: &Delivery,
        failure: WebhookFailure,
    ) -> WebhookFailure {
        let message_id = call.stream_message.or_else(|| delivery.headers.get("webhook-id"));
        let mut input = json!({
            "route": call.route.config_key(),
            "tenantId": call.path_tenant.map(|t| t.chars().take(128).collect::<String>()),
            "webhookId": message_id.map(|id| id.chars().take(128).collect::<String>()),
            "bodyBytes": delivery.body.len(),
            "bodySha256": hex::encode(Sha256::digest(&delivery.body)),
            "refused": failure.error.message.chars().take(256).collect::<String>(),
        });
        if call.stream_message.is_some() {
            input["via"] = json!("redis_stream");
        }
        self.record(
            tenant_id,
            call.actor,
            call.action,
            input,
            failure.error.code.as_str(),
            delivery.request_id.clone(),
        )
        .await;
        failure
    }

    async fn record(
        &self,
        tenant_id: Option<TenantId>,
        actor: &str,
        action: &str,
        input: Value,
        outcome: &str,
        request_id: Option<String>,
    ) {
        debug_assert_ne!(outcome, OUTCOME_OK);
        let record = AuditRecord {
            id: self.ids.new_id(),
            tenant_id,
            actor: actor.to_owned(),
            action: action.to_owned(),
            order_id: None,
            target_ids: Vec::new(),
            input,
            outcome: outcome.to_owned(),
            request_id,
            occurred_at: self.clock.now(),
        };
        if let Err(e) = self.audit.record(&record).await {
            tracing::error!(error = %e, action, "could not write the audit record of a refused webhook");
        }
    }
}

/// One answer for an unknown tenant and a route it has not configured: the difference would tell
/// a stranger which tenants exist. Such a call is recorded on the platform's trail, not a tenant's.
pub(super) fn no_route() -> WebhookFailure {
    WebhookFailure::new(FailureKind::NotFound, ErrorCode::NotFound, "no such webhook is configured")
}

fn principal(tenant_id: TenantId, actor: &str, delivery: &Delivery) -> Principal {
    Principal {
        tenant_id,
        subject: actor.to_owned(),
        roles: Vec::new(),
        vendor_id: None,
        request_id: delivery.request_id.clone(),
    }
}

fn delivery_use(route: &str, verified: &VerifiedDelivery) -> DeliveryUse {
    DeliveryUse {
        route: route.to_owned(),
        key: verified.delivery_key.clone(),
        remembered_until: verified.remembered_until,
    }
}
