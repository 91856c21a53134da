use application::{
    audit_log::AuditLogQuery,
    orders::{LedgerListQuery, OrderListQuery},
};
use async_graphql::{
    Context, ID, Object,
    connection::{Connection, Edge},
};

use crate::graphql::{
    context::{principal, provider_admin, services},
    errors::query,
    inputs::{AuditLogFilter, LedgerEntryFilter, OrderFilter},
    types::{AuditEntry, LedgerEntry, Me, Order, Plan, Shipment, Tenant, TrialBalance},
    visibility,
};

#[derive(Default)]
pub struct Query;

/// A forward-only Relay page: each item becomes an edge with the cursor `edge` gives it.
pub(crate) fn connection<T, N: async_graphql::OutputType>(
    items: Vec<T>,
    has_next_page: bool,
    edge: impl Fn(T) -> (String, N),
) -> Connection<String, N> {
    let mut connection = Connection::new(false, has_next_page);
    connection.edges.extend(items.into_iter().map(|item| {
        let (cursor, node) = edge(item);
        Edge::new(cursor, node)
    }));
    connection
}

#[Object(name = "OrderQueries")]
impl Query {
    /// The caller: subject, tenant, roles and plan.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        query(services(ctx).session.me(principal(ctx)?).await).map(Me)
    }

    /// An order of the caller's tenant; null when it does not exist (or belongs to another tenant).
    #[graphql(visible = "visibility::order_read")]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Order>> {
        query(services(ctx).orders.order(principal(ctx)?, &id).await).map(|o| o.map(Order::from))
    }

    #[graphql(visible = "visibility::order_read")]
    async fn order_by_external_ref(
        &self,
        ctx: &Context<'_>,
        external_ref: String,
    ) -> async_graphql::Result<Option<Order>> {
        query(services(ctx).orders.order_by_external_ref(principal(ctx)?, &external_ref).await)
            .map(|o| o.map(Order::from))
    }

    /// Orders, newest first: by `createdAt` when the filter has `createdAfter` or `createdBefore`, else
    /// in creation order as the server saw it. `first` ≤ 100 (default 20); `after` is a cursor from a
    /// previous page of the same filter.
    #[graphql(
        visible = "visibility::order_read",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<OrderFilter>,
    ) -> async_graphql::Result<Connection<String, Order>> {
        let q = OrderListQuery { first: first.map(i64::from), after, filter: filter.unwrap_or_default().into() };
        let mut page = query(services(ctx).orders.orders(principal(ctx)?, q).await)?;
        let orders = std::mem::take(&mut page.orders);
        Ok(connection(orders, page.has_next_page, |o| (page.cursor(&o), Order::from(o))))
    }

    /// The tenant's journal, oldest first. `first` ≤ 100 (default 20); `after` is a cursor from a
    /// previous page. Filter by order, or by an account such as `cash` or `receivable:<order id>`.
    #[graphql(
        visible = "visibility::ledger_read",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn ledger_entries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<LedgerEntryFilter>,
    ) -> async_graphql::Result<Connection<String, LedgerEntry>> {
        let q = LedgerListQuery { first: first.map(i64::from), after, filter: filter.unwrap_or_default().into() };
        let page = query(services(ctx).orders.ledger_entries(principal(ctx)?, q).await)?;
        Ok(connection(page.entries, page.has_next_page, |e| (e.id().to_string(), LedgerEntry(e))))
    }

    /// Debits and credits of the tenant's books per currency; each nets to zero.
    #[graphql(visible = "visibility::ledger_read")]
    async fn trial_balance(&self, ctx: &Context<'_>) -> async_graphql::Result<TrialBalance> {
        query(services(ctx).orders.trial_balance(principal(ctx)?).await).map(TrialBalance::from)
    }

    /// The tenant's audit trail, newest first: every state-changing call, refused ones included.
    #[graphql(
        visible = "visibility::audit_read",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AuditLogFilter>,
    ) -> async_graphql::Result<Connection<String, AuditEntry>> {
        let q = AuditLogQuery { first: first.map(i64::from), after, filter: filter.unwrap_or_default().into() };
        let audit = &services(ctx).audit;
        let page = match ctx.data_opt::<application::ProviderAdmin>() {
            Some(admin) => query(audit.provider_audit_log(admin, q).await)?,
            None => query(audit.audit_log(principal(ctx)?, q).await)?,
        };
        Ok(connection(page.records, page.has_next_page, |r| (r.id.to_string(), AuditEntry(r))))
    }

    /// Provider: every plan.
    #[graphql(visible = "visibility::provider_only")]
    async fn plans(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Plan>> {
        let plans = query(services(ctx).platform.plans(provider_admin(ctx)?).await)?;
        Ok(plans.into_iter().map(Plan::from).collect())
    }

    /// Provider: tenants by id.
    #[graphql(
        visible = "visibility::provider_only",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn tenants(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Tenant>> {
        let page =
            query(services(ctx).platform.tenants(provider_admin(ctx)?, first.map(i64::from), after.as_deref()).await)?;
        Ok(connection(page.tenants, page.has_next_page, |t| (t.id.clone(), Tenant::from(t))))
    }

    /// Provider: one tenant, or null.
    #[graphql(visible = "visibility::provider_only")]
    async fn tenant(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Tenant>> {
        query(services(ctx).platform.tenant(provider_admin(ctx)?, &id).await).map(|t| t.map(Tenant::from))
    }

    /// A shipment of the caller's tenant, or null.
    #[graphql(visible = "visibility::order_read")]
    async fn shipment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Shipment>> {
        query(services(ctx).orders.shipment(principal(ctx)?, &id).await).map(|s| s.map(Shipment::from))
    }
}
