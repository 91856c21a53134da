//! The `OrderStore` port: reads through the read pool, writes through transactions on the write
//! pool (on SQLite a single connection, so writers queue instead of failing with SQLITE_BUSY).

use application::ports::{
    CurrencyTotals, LedgerPage, LedgerQuery, OrderPage, OrderQuery, OrderStore, OrderTx, StoreError, TrackedShipment,
    TrackingLookup, TrackingScope,
};
use std::sync::Arc;

use async_trait::async_trait;
use domain::{Currency, OrderId, ShipmentId, TenantId, order::Order};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, Func, Query},
};

use super::{
    database::Signals,
    entities::{journal_entries, journal_postings, shipments},
    errors::store_error,
    group_commit::GroupCommit,
    keys, listing, loading,
    order_counting::Counting,
    order_tx::SeaOrderTx,
    scope::{Scope, begin_read, begin_write},
    sqlite_reads,
};

/// Ends a read transaction (a commit: nothing was written) and hands back what it read.
pub(super) async fn end_read<T>(tx: DatabaseTransaction, read: T) -> Result<T, StoreError> {
    tx.commit().await.map_err(store_error)?;
    Ok(read)
}

/// 2^32: splits an amount into the halves `trial_balance` sums.
const HALF: i64 = 1 << 32;

pub(super) struct SeaOrderStore {
    pub(super) reader: DatabaseConnection,
    pub(super) writer: DatabaseConnection,
    /// SQLite: commands share commits (see `group_commit`). PostgreSQL commits concurrent
    /// transactions on their own connections and groups their WAL flushes itself.
    pub(super) group: Option<Arc<GroupCommit>>,
    /// PostgreSQL: where new orders are numbered and counted (`order_counting`).
    pub(super) counting: Option<Counting>,
    pub(super) signals: Arc<Signals>,
    /// Keeps the database's background work going while this store is in use.
    pub(super) _alive: std::sync::Arc<()>,
}

#[async_trait]
impl OrderStore for SeaOrderStore {
    async fn begin(&self, tenant: &TenantId) -> Result<Box<dyn OrderTx>, StoreError> {
        let tx = match &self.group {
            Some(group) => SeaOrderTx::member(group.member(), tenant.clone(), self.signals.clone()),
            None => SeaOrderTx::own(
                begin_write(&self.writer, Scope::Tenant(tenant.as_str())).await?,
                tenant.clone(),
                self.signals.clone(),
                self.counting.clone(),
            ),
        };
        Ok(Box::new(tx))
    }

    async fn order(&self, tenant: &TenantId, id: OrderId) -> Result<Option<Order>, StoreError> {
        if self.reader.get_database_backend() == DbBackend::Sqlite {
            let read = loading::by_id_with_children(tenant, id);
            let rows = sqlite_reads::in_one_snapshot(self.reader.get_sqlite_connection_pool(), read).await?;
            return loading::whole_from_rows(tenant, &rows);
        }
        let tx = begin_read(&self.reader, Scope::Tenant(tenant.as_str())).await?;
        let order = loading::one(&tx, loading::by_id(tenant, id)).await?;
        end_read(tx, order).await
    }

    async fn order_by_external_ref(&self, tenant: &TenantId, external_ref: &str) -> Result<Option<Order>, StoreError> {
        let tx = begin_read(&self.reader, Scope::Tenant(tenant.as_str())).await?;
        let order = loading::one(&tx, loading::by_external_ref(tenant, external_ref)).await?;
        end_read(tx, order).await
    }

    async fn order_of_shipment(&self, tenant: &TenantId, id: ShipmentId) -> Result<Option<Order>, StoreError> {
        let tx = begin_read(&self.reader, Scope::Tenant(tenant.as_str())).await?;
        let order = loading::one(&tx, loading::by_shipment(tenant, id)).await?;
        end_read(tx, order).await
    }

    async fn orders(&self, tenant: &TenantId, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        let page = listing::page(tenant, query, self.reader.get_database_backend())?;
        let tx = begin_read(&self.reader, Scope::Tenant(tenant.as_str())).await?;
        let mut rows = page.all(&tx).await.map_err(store_error)?;
        let wanted = usize::try_from(query.first.min(listing::MAX_PAGE)).unwrap_or(usize::MAX);
        let has_next_page = rows.len() > wanted;
        rows.truncate(wanted);
        let orders = loading::whole(&tx, rows).await?;
        end_read(tx, OrderPage { orders, has_next_page }).await
    }

    async fn ledger_entries(&self, tenant: &TenantId, query: &LedgerQuery) -> Result<LedgerPage, StoreError> {
        use journal_entries::Column as E;
        let f = &query.filter;
        let wanted = query.first.min(listing::MAX_PAGE);
        let tx = begin_read(&self.reader, Scope::Tenant(tenant.as_str())).await?;
        let ids: Vec<String> = journal_entries::Entity::find()
            .select_only()
            .column(E::Id)
            .filter(E::TenantId.eq(tenant.as_str()))
            .apply_if(f.order_id, |q, id| q.filter(E::OrderId.eq(id.to_string())))
            .apply_if(f.account, |q, account| {
                let with_account = Query::select()
                    .column(journal_postings::Column::EntryId)
                    .from(journal_postings::Entity)
                    .and_where(journal_postings::Column::TenantId.eq(tenant.as_str()))
                    .and_where(journal_postings::Column::Account.eq(account.as_string()))
                    .to_owned();
                q.filter(E::Id.in_subquery(with_account))
            })
            .apply_if(query.after, |q, after| q.filter(E::Id.gt(after.to_string())))
            .order_by_asc(E::Id)
            .limit(wanted + 1)
            .into_tuple()
            .all(&tx)
            .await
            .map_err(store_error)?;
        let has_next_page = ids.len() as u64 > wanted;
        let page = &ids[..ids.len().min(usize::try_from(wanted).unwrap_or(usize::MAX))];
        let entries = loading::entries_by_id(&tx, tenant.as_str(), page).await?;
        end_read(tx, LedgerPage { entries, has_next_page }).await
    }

    async fn trial_balance(&self, tenant: &TenantId) -> Result<Vec<CurrencyTotals>, StoreError> {
        use journal_postings::Column as P;
        // A plain SUM of amounts overflows 64 bits after a few large postings (SQLite then fails,
        // PostgreSQL's cast back to BIGINT too). Summed as high and low 32-bit halves instead,
        // neither sum can overflow before 2^31 postings of one tenant, currency and side; the
        // halves are put together in i128. Amounts are positive (a CHECK says so), so division
        // and remainder split them alike on both backends.
        let amount = || Expr::col((journal_postings::Entity, P::AmountMinor));
        // PostgreSQL sums BIGINT as NUMERIC; the cast brings it back to one integer type.
        let sum = |half: Expr| Func::cast_as(Func::sum(half), Alias::new("BIGINT"));
        let tx = begin_read(&self.reader, Scope::Tenant(tenant.as_str())).await?;
        let rows: Vec<(String, String, i64, i64)> = journal_postings::Entity::find()
            .select_only()
            .column(P::Currency)
            .column(P::Side)
            .column_as(Expr::from(sum(sea_orm::ExprTrait::div(amount(), HALF))), "high")
            .column_as(Expr::from(sum(sea_orm::ExprTrait::modulo(amount(), HALF))), "low")
            .filter(P::TenantId.eq(tenant.as_str()))
            .group_by(P::Currency)
            .group_by(P::Side)
            .order_by_asc(P::Currency)
            .into_tuple()
            .all(&tx)
            .await
            .map_err(store_error)?;
        end_read(tx, ()).await?;
        let mut totals: Vec<CurrencyTotals> = Vec::new();
        for (code, side, high, low) in rows {
            let currency = Currency::new(&code)
                .map_err(|e| StoreError::Internal(format!("stored data is unreadable: currency {e}")))?;
            if totals.last().is_none_or(|t| t.currency != currency) {
                totals.push(CurrencyTotals { currency, debits: 0, credits: 0 });
            }
            let t = totals.last_mut().expect("pushed above");
            let sum = i128::from(high) * i128::from(HALF) + i128::from(low);
            match side.as_str() {
                "DEBIT" => t.debits += sum,
                "CREDIT" => t.credits += sum,
                other => return Err(StoreError::Internal(format!("stored data is unreadable: side '{other}'"))),
            }
        }
        Ok(totals)
    }

    /// At most two rows are read: two say the reference does not name one shipment.
    async fn find_tracked_shipment(
        &self,
        scope: TrackingScope<'_>,
        lookup: &TrackingLookup,
    ) -> Result<TrackedShipment, StoreError> {
        // The provider's route looks across tenants (after its signature was verified).
        let db_scope = match scope {
            TrackingScope::Tenant(tenant) => Scope::Tenant(tenant.as_str()),
            TrackingScope::AllTenants => Scope::Platform,
        };
        let tx = begin_read(&self.reader, db_scope).await?;
        // The carrier's own id names the shipment it booked: exact where a reference may be
        // shared (`ix_shipments_booking_carrier_shipment_id`). Not found, the reference decides.
        if let Some(booked) = &lookup.carrier_shipment {
            let by_booking = Condition::all()
                .add(shipments::Column::BookingCarrier.eq(booked.carrier.as_str()))
                .add(shipments::Column::CarrierShipmentId.eq(booked.id.as_str()));
            let rows = tracked_holders(&tx, scope, by_booking).await?;
            if !rows.is_empty() {
                tx.commit().await.map_err(store_error)?;
                return tracked(&rows);
            }
        }
        let mut by_reference = Condition::all().add(shipments::Column::TrackingReference.eq(lookup.reference.as_str()));
        if let Some(carrier) = &lookup.carrier {
            by_reference = by_reference.add(shipments::Column::Carrier.eq(keys::carrier_key(carrier)));
        }
        let rows = tracked_holders(&tx, scope, by_reference).await?;
        tx.commit().await.map_err(store_error)?;
        tracked(&rows)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.reader.ping().await.map_err(store_error)
    }
}

/// Up to two (tenant, shipment) rows of shipments meeting `condition` within `scope`.
async fn tracked_holders(
    tx: &DatabaseTransaction,
    scope: TrackingScope<'_>,
    mut condition: Condition,
) -> Result<Vec<(String, String)>, StoreError> {
    if let TrackingScope::Tenant(tenant) = scope {
        condition = condition.add(shipments::Column::TenantId.eq(tenant.as_str()));
    }
    shipments::Entity::find()
        .select_only()
        .columns([shipments::Column::TenantId, shipments::Column::Id])
        .filter(condition)
        .limit(2)
        .into_tuple()
        .all(tx)
        .await
        .map_err(store_error)
}

/// What up to two (tenant, shipment) rows of a tracking lookup say.
fn tracked(rows: &[(String, String)]) -> Result<TrackedShipment, StoreError> {
    match rows {
        [] => Ok(TrackedShipment::Unknown),
        [(tenant, id)] => Ok(TrackedShipment::Found {
            tenant_id: TenantId::new(tenant).map_err(|e| StoreError::Internal(e.to_string()))?,
            shipment_id: ShipmentId::parse(id).map_err(|e| StoreError::Internal(e.to_string()))?,
        }),
        _ => Ok(TrackedShipment::Ambiguous),
    }
}
