//! The tenant's plan caps how costly one query may be (`limits.max_query_complexity`): checked
//! after validation has computed the query's complexity, before anything is resolved.

use std::sync::Arc;

use application::ErrorCode;
use async_graphql::{
    ErrorExtensionValues, ServerError, ValidationResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation},
};

/// The caller's plan limit, put into the request by the HTTP layer (absent: only the schema's
/// global limit applies).
#[derive(Debug, Clone, Copy)]
pub struct ComplexityBudget(pub usize);

pub struct PlanComplexityLimit;

impl ExtensionFactory for PlanComplexityLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PlanComplexityLimit)
    }
}

#[async_trait::async_trait]
impl Extension for PlanComplexityLimit {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        match ctx.data_opt::<ComplexityBudget>() {
            Some(budget) if result.complexity > budget.0 => {
                let mut error = ServerError::new(
                    format!(
                        "query complexity {} exceeds your plan's limit of {}; ask for fewer items or fields",
                        result.complexity, budget.0
                    ),
                    None,
                );
                let mut extensions = ErrorExtensionValues::default();
                extensions.set("code", Value::from(ErrorCode::QueryTooComplex.as_str()));
                extensions.set("complexity", Value::from(result.complexity as u64));
                extensions.set("limit", Value::from(budget.0 as u64));
                error.extensions = Some(extensions);
                Err(vec![error])
            }
            _ => Ok(result),
        }
    }
}
