use application::{AppError, ErrorCode, Principal, ProviderAdmin};
use async_graphql::Context;

use crate::{
    Services,
    graphql::{errors::top_level, refusal_audit::unaudited},
};

pub fn services<'a>(ctx: &Context<'a>) -> &'a Services {
    ctx.data_unchecked::<Services>()
}

/// The calling tenant user. The HTTP layer authenticates every request before execution; a
/// provider administrator is refused here (tenant data is the tenant's), and a missing caller
/// means the schema ran without one, which is refused rather than served anonymously.
pub fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    if ctx.data_opt::<ProviderAdmin>().is_some() {
        return Err(unaudited(top_level(AppError::new(
            ErrorCode::Forbidden,
            "this operation belongs to a tenant's users; provider administrators use the provider operations",
        ))));
    }
    ctx.data_opt::<Principal>().ok_or_else(|| top_level(AppError::unauthenticated("a bearer token is required")))
}

/// The calling provider administrator; tenant users are refused (FORBIDDEN).
pub fn provider_admin<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a ProviderAdmin> {
    if let Some(admin) = ctx.data_opt::<ProviderAdmin>() {
        return Ok(admin);
    }
    if ctx.data_opt::<Principal>().is_some() {
        return Err(unaudited(top_level(AppError::new(ErrorCode::Forbidden, "this is a provider operation"))));
    }
    Err(top_level(AppError::unauthenticated("a bearer token is required")))
}
