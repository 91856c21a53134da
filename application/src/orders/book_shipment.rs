//! dispatchShipment without a tracking reference, for a tenant with a carrier API: the carrier
//! books the shipment (tracking code, label, cost) and the shipment is dispatched with what it
//! bought, its cost booked in the ledger.
//!
//! Synchronous, inside the request, with no transaction open while the carrier answers:
//!  1. read the order and check the shipment may be dispatched (nothing asked of the carrier
//!     for a shipment the dispatch would refuse);
//!  2. unless the shipment holds a booking already, the carrier prepares one (buys nothing);
//!  3. stage: the booking is recorded on the shipment; a booking recorded meanwhile by a
//!     concurrent call wins, and ours is left unbought;
//!  4. the carrier buys the recorded booking's postage, or answers what was bought for it;
//!  5. last stage: the dispatch with the tracking code, label and cost, and the cost's ledger
//!     entry, committed with the call's audit record.
//!
//! So however a call is retried or raced, one booking per shipment is bought. A carrier error
//! is a userError, and the order is as it was (only the booking of step 3 stays, unseen, to be
//! bought by the next attempt).

use domain::{
    ShipmentId,
    order::{CarrierBooking, Dispatch, Order, Shipment, ShipmentStatus},
};

use crate::{
    AppError, ErrorCode, Permission, Principal,
    orders::{
        Orders, ShipmentView,
        commands::DispatchShipment,
        runner::{Change, Command, Staged},
        target::{Located, Target},
    },
    ports::{BookingRequest, CarrierAccount, CarrierError, PreparedBooking, PurchasedPostage},
};

impl Orders {
    pub(super) async fn book_and_dispatch(
        &self,
        p: &Principal,
        input: &DispatchShipment,
        account: CarrierAccount,
    ) -> Result<ShipmentView, AppError> {
        let command = Command {
            action: "dispatchShipment",
            permission: Permission::ShipmentDispatch,
            input,
            names_order: None,
            names: Some(&input.id),
        };
        let mut staged = self.begin_staged(p, command).await?;
        let result = self.book(p, &mut staged, input, &account).await;
        self.end_staged(staged, result).await
    }

    async fn book(
        &self,
        p: &Principal,
        staged: &mut Staged,
        input: &DispatchShipment,
        account: &CarrierAccount,
    ) -> Result<ShipmentView, AppError> {
        if input.label_url.is_some() || input.cost.is_some() {
            return Err(AppError::validation(
                &["trackingReference"],
                "labelUrl and cost come from the carrier when it books the shipment; \
                 give the trackingReference too to dispatch a shipment booked elsewhere",
            ));
        }
        let id = Target::shipment_id(&input.id, "id")?;
        let target = Target::Shipment(id).named_by("id");
        let carrier = account.carrier.as_ref();

        // 1. Checked on a plain read; the dispatch checks again under the lock.
        let order = self.store.order_of_shipment(&p.tenant_id, id).await?.ok_or_else(|| target.not_found())?;
        if let Some(expected) = input.expected_version
            && expected != order.version()
        {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "order {} is at version {}, not {expected}; reload it and retry",
                    order.number(),
                    order.version()
                ),
            )
            .with_field(&["expectedVersion"]));
        }
        let shipment = order.dispatchable_shipment(id)?;
        let request = booking_request(&order, shipment, account)?;

        // 2 and 3.
        let booking = match &shipment.booking {
            Some(held) if held.carrier == carrier.provider() => held.clone(),
            Some(held) => {
                return Err(AppError::new(
                    ErrorCode::InvalidState,
                    format!(
                        "shipment {id} was booked with {} ({}), not with the tenant's carrier {}; \
                         dispatch it with its trackingReference",
                        held.carrier,
                        held.carrier_shipment_id,
                        carrier.provider()
                    ),
                ));
            }
            None => {
                let prepared = carrier.prepare(&request).await.map_err(|e| carrier_error(e, id, carrier.provider()))?;
                let ours = CarrierBooking {
                    carrier: carrier.provider().to_owned(),
                    carrier_shipment_id: prepared.carrier_shipment_id,
                };
                let hold = Change {
                    target,
                    expected_version: None,
                    key: None,
                    step: Box::new(move |o: &mut Order, _| Ok(o.hold_carrier_booking(id, ours.clone())?)),
                    remembers: Box::new(|o: &Order, _| o.id().to_string()),
                    // Only a change with an idempotency key replays; this one has none.
                    replays: Box::new(|_, _| Err(AppError::internal())),
                    delivery: None,
                };
                self.stage(p, staged, hold).await?.value.1
            }
        };

        // 4.
        let prepared = PreparedBooking { carrier_shipment_id: booking.carrier_shipment_id.clone() };
        let postage =
            carrier.purchase(&prepared, &request).await.map_err(|e| carrier_error(e, id, carrier.provider()))?;
        if postage.carrier_shipment_id != booking.carrier_shipment_id {
            tracing::error!(shipment = %id, carrier = %booking.carrier, "the carrier answered for another shipment than the one bought");
            return Err(AppError::internal());
        }

        // 5.
        let carrier_shipment_id = booking.carrier_shipment_id.clone();
        let outcome = self
            .finish_staged(p, staged, dispatch_with(id, target, input.expected_version, booking, postage))
            .await
            .inspect_err(|e| {
                // The postage is bought and the booking held: the next dispatchShipment of this
                // shipment reads it back and records it, unless this refusal stands.
                tracing::warn!(shipment = %id, carrier = carrier.provider(), %carrier_shipment_id, code = e.code.as_str(), "postage bought, dispatch not recorded");
            })?;
        Ok(ShipmentView { order: outcome.value.0, shipment_id: id })
    }
}

/// The dispatch with what the carrier bought for `booking`. A shipment a concurrent call
/// already dispatched with this very booking is left as it is: the same postage, bought once.
fn dispatch_with(
    id: ShipmentId,
    target: Located,
    expected_version: Option<i64>,
    booking: CarrierBooking,
    postage: PurchasedPostage,
) -> Change<'static, ()> {
    Change::of_order(target, expected_version, move |o, cx| {
        let shipment = o.shipment(id).ok_or_else(|| target.not_found())?;
        if shipment.booking.as_ref() != Some(&booking) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("shipment {id} changed while the carrier booked it; reload it and retry"),
            ));
        }
        if shipment.status != ShipmentStatus::Confirmed
            && shipment.tracking_reference.as_deref() == Some(postage.tracking_code.as_str())
        {
            return Ok(());
        }
        let dispatch = Dispatch {
            tracking_reference: postage.tracking_code.clone(),
            label_url: postage.label_url.clone(),
            cost: Some(postage.cost),
        };
        o.dispatch_shipment(id, dispatch, cx.now)?;
        Ok(o.book_shipment_cost(id, cx.ids.new_id(), cx.now)?)
    })
}

/// What the carrier needs, from the shipment: where to (its address, which defaults to the
/// order's shipping address), where from (its pickup address, else the account's
/// `from_address`) and the parcel.
fn booking_request(order: &Order, shipment: &Shipment, account: &CarrierAccount) -> Result<BookingRequest, AppError> {
    let id = shipment.id;
    let missing = |what: &str| {
        AppError::validation(
            &["id"],
            format!("shipment {id} cannot be booked with the carrier: {what}; or dispatch it with a trackingReference"),
        )
    };
    let to = shipment.address.clone().ok_or_else(|| missing("it has no delivery address"))?;
    let from = shipment
        .pickup
        .as_ref()
        .and_then(|p| p.address.clone())
        .or_else(|| account.from_address.clone())
        .ok_or_else(|| missing("it has no pickup address and the carrier API has no from_address"))?;
    let package = shipment.package.clone().ok_or_else(|| missing("it has no package (weight and dimensions)"))?;
    Ok(BookingRequest {
        reference: id.to_string(),
        from,
        to,
        package,
        service: account.service.clone(),
        currency: order.currency(),
    })
}

/// A carrier's refusal is the caller's business (a userError); nothing was dispatched.
fn carrier_error(e: CarrierError, id: ShipmentId, provider: &str) -> AppError {
    match e {
        CarrierError::Refused(why) => {
            AppError::validation(&["id"], format!("the carrier {provider} refused to book shipment {id}: {why}"))
        }
        CarrierError::Unauthorized => AppError::new(
            ErrorCode::InvalidState,
            format!(
                "the carrier {provider} refused the tenant's carrier account; nothing was booked \
                 (the provider must fix create_shipment_api)"
            ),
        ),
        CarrierError::Unavailable(why) => AppError::new(
            ErrorCode::InvalidState,
            format!(
                "the carrier {provider} could not book shipment {id} now ({why}); nothing was dispatched, retry later"
            ),
        ),
    }
}
