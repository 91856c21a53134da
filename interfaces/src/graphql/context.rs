use application::{AppError, Caller, ErrorCode, Principal, ProviderAdmin};
use async_graphql::Context;

use crate::{Services, graphql::errors::top_level};

pub fn services<'a>(ctx: &Context<'a>) -> &'a Services {
    ctx.data_unchecked::<Services>()
}

fn tenant_operation_refused() -> AppError {
    AppError::new(
        ErrorCode::Forbidden,
        "this operation belongs to a tenant's users; provider administrators use the provider operations",
    )
}

fn provider_operation_refused() -> AppError {
    AppError::new(ErrorCode::Forbidden, "this is a provider operation")
}

fn unauthenticated() -> async_graphql::Error {
    top_level(AppError::unauthenticated("a bearer token is required"))
}

/// The calling tenant user of a query. The HTTP layer authenticates every request before
/// execution; a provider administrator is refused (tenant data is the tenant's), and a missing
/// caller means the schema ran without one, which is refused rather than served anonymously.
pub fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    if ctx.data_opt::<ProviderAdmin>().is_some() {
        return Err(top_level(tenant_operation_refused()));
    }
    ctx.data_opt::<Principal>().ok_or_else(unauthenticated)
}

/// The calling tenant user of a mutation. A provider administrator is refused, and because a
/// mutation is a state-changing call, that refusal leaves its audit record (on the platform's
/// trail, named after the field) like any other refused call.
pub async fn mutation_principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    if let Some(admin) = ctx.data_opt::<ProviderAdmin>() {
        let refusal = tenant_operation_refused();
        record_refusal(ctx, &Caller::Provider(admin.clone()), &refusal).await;
        return Err(top_level(refusal));
    }
    ctx.data_opt::<Principal>().ok_or_else(unauthenticated)
}

/// The calling provider administrator of a query; tenant users are refused (FORBIDDEN).
pub fn provider_admin<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a ProviderAdmin> {
    if let Some(admin) = ctx.data_opt::<ProviderAdmin>() {
        return Ok(admin);
    }
    if ctx.data_opt::<Principal>().is_some() {
        return Err(top_level(provider_operation_refused()));
    }
    Err(unauthenticated())
}

/// The calling provider administrator of a mutation; a tenant user is refused, and the refusal
/// is audited on the tenant's trail.
pub async fn mutation_provider_admin<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a ProviderAdmin> {
    if let Some(admin) = ctx.data_opt::<ProviderAdmin>() {
        return Ok(admin);
    }
    if let Some(principal) = ctx.data_opt::<Principal>() {
        let refusal = provider_operation_refused();
        record_refusal(ctx, &Caller::Tenant(principal.clone()), &refusal).await;
        return Err(top_level(refusal));
    }
    Err(unauthenticated())
}

async fn record_refusal(ctx: &Context<'_>, caller: &Caller, refusal: &AppError) {
    services(ctx).audit.record_refused_call(caller, ctx.field().name(), refusal.code).await;
}
