use application::{AppError, Principal};
use async_graphql::Context;

use crate::{Services, graphql::errors::top_level};

pub fn services<'a>(ctx: &Context<'a>) -> &'a Services {
    ctx.data_unchecked::<Services>()
}

/// The HTTP layer authenticates every request before execution; a missing principal means the
/// schema was executed without it, which is refused rather than served anonymously.
pub fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data_opt::<Principal>().ok_or_else(|| top_level(AppError::unauthenticated("a bearer token is required")))
}
