//! Mutations refused before their use case ran (the caller is of the wrong kind) still leave
//! their one audit record: the refusal is marked where it is raised, and recorded here, where
//! the field's name and the caller are known. The mark never reaches the client: queries are
//! not audited, and the HTTP layer strips the mark from their errors (`strip_mark`).

use std::sync::Arc;

use application::{Caller, ErrorCode, Principal, ProviderAdmin};
use async_graphql::{
    ServerResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
};

use crate::Services;

const MARK: &str = "auditPending";

/// Marks a refusal that no use case has recorded.
pub fn unaudited(mut error: async_graphql::Error) -> async_graphql::Error {
    error.extensions.get_or_insert_with(Default::default).set(MARK, true);
    error
}

/// Removes the mark from an error that was not a mutation's.
pub fn strip_mark(extensions: &mut async_graphql::ErrorExtensionValues) {
    extensions.unset(MARK);
}

pub struct AuditRefusedCallers;

impl ExtensionFactory for AuditRefusedCallers {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AuditRefusedCallers)
    }
}

#[async_trait::async_trait]
impl Extension for AuditRefusedCallers {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        // Every field passes through here: anything but a root mutation field goes straight on.
        if info.parent_type != "Mutation" {
            return next.run(ctx, info).await;
        }
        let name = info.name.to_owned();
        let mut result = next.run(ctx, info).await;
        if let Err(error) = &mut result
            && let Some(extensions) = error.extensions.as_mut()
            && extensions.get(MARK).is_some()
        {
            extensions.unset(MARK);
            if let Some(services) = ctx.data_opt::<Services>() {
                let caller = match (ctx.data_opt::<Principal>(), ctx.data_opt::<ProviderAdmin>()) {
                    (Some(p), _) => Some(Caller::Tenant(p.clone())),
                    (None, Some(a)) => Some(Caller::Provider(a.clone())),
                    (None, None) => None,
                };
                if let Some(caller) = caller {
                    services.audit.record_refused_call(&caller, &name, ErrorCode::Forbidden).await;
                }
            }
        }
        result
    }
}
