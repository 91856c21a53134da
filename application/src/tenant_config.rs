//! `tenantConfig` and `updateTenantConfig`: the tenant's own settings (SPEC.md section 3,
//! TenantConfig), read with `config:read`, changed with `config:write` under optimistic
//! concurrency, every version kept, at most `CONFIG_WRITES_PER_MINUTE` changes a minute.

use std::{collections::HashMap, sync::Arc, sync::Mutex};

use chrono::{DateTime, Utc};
use domain::TenantId;

use crate::{
    AppError, ErrorCode, Permission, Principal,
    audit_trail::{AuditDraft, audited_config_edit},
    paging::page_size,
    ports::{
        AuditLog, Clock, ConfigChangeView, ConfigEditor, IdGenerator, Patch, TenantConfigChange, TenantConfigView,
        TenantDirectory, WebhookUrlPolicy,
    },
    session::authorize,
};

/// Config changes one tenant may make per UTC minute, on one instance. Every change is a stored
/// version (and a catalog reload on every instance), so a script gone wrong, or a stolen admin
/// token, must not be able to write them as fast as it can send them.
pub const CONFIG_WRITES_PER_MINUTE: u64 = 30;

pub struct TenantConfigs {
    tenants: Arc<dyn TenantDirectory>,
    editor: Arc<dyn ConfigEditor>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    writes: WriteWindows,
    /// The write-time rule for outbound webhook URLs (public addresses only, unless the server
    /// allows private ones); without one, the config's own syntax checks alone apply.
    webhook_urls: Option<Arc<dyn WebhookUrlPolicy>>,
}

impl TenantConfigs {
    pub fn new(
        tenants: Arc<dyn TenantDirectory>,
        editor: Arc<dyn ConfigEditor>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            tenants,
            editor,
            audit,
            clock,
            ids,
            writes: WriteWindows::new(CONFIG_WRITES_PER_MINUTE),
            webhook_urls: None,
        }
    }

    /// Another limit than [`CONFIG_WRITES_PER_MINUTE`].
    pub fn with_writes_per_minute(mut self, limit: u64) -> Self {
        self.writes = WriteWindows::new(limit);
        self
    }

    /// Checks every outbound webhook URL a tenant saves against `policy`.
    pub fn with_webhook_url_policy(mut self, policy: Arc<dyn WebhookUrlPolicy>) -> Self {
        self.webhook_urls = Some(policy);
        self
    }

    pub async fn tenant_config(&self, p: &Principal) -> Result<TenantConfigView, AppError> {
        authorize(&*self.tenants, p, Permission::ConfigRead).await?;
        Ok(self.editor.tenant_config(&p.tenant_id).await?)
    }

    /// Newest first; `before` is the version number of the last entry of the previous page.
    pub async fn history(
        &self,
        p: &Principal,
        first: Option<i64>,
        before: Option<i64>,
    ) -> Result<Vec<ConfigChangeView>, AppError> {
        authorize(&*self.tenants, p, Permission::ConfigRead).await?;
        let first = page_size(first)?;
        Ok(self.editor.tenant_config_history(&p.tenant_id, first, before).await?)
    }

    pub async fn update(&self, p: &Principal, change: TenantConfigChange) -> Result<TenantConfigView, AppError> {
        let mut draft = AuditDraft::new(p, "updateTenantConfig", &change);
        draft.target(&p.tenant_id);
        // Counted once authorized: a caller without `config:write` cannot use up the admins' budget.
        let authorized = authorize(&*self.tenants, p, Permission::ConfigWrite)
            .await
            .and_then(|_| self.writes.admit(&p.tenant_id, self.clock.now()));
        audited_config_edit(&*self.audit, &*self.clock, &*self.ids, draft, authorized, |edit| async move {
            if let (Some(policy), Patch::Set(webhook)) = (&self.webhook_urls, &change.outbound_webhook) {
                policy
                    .check(&webhook.url)
                    .map_err(|message| AppError::validation(&["input", "outboundWebhook", "url"], message))?;
            }
            Ok(self.editor.update_tenant_config(&p.tenant_id, change, edit).await?)
        })
        .await
    }
}

/// Config writes per tenant in fixed UTC-minute windows, counted in this process's memory (like
/// the request limit: N instances admit up to N times the limit, which still bounds the rate).
struct WriteWindows {
    per_minute: u64,
    /// tenant → (minute since the epoch, writes counted in it).
    windows: Mutex<HashMap<TenantId, (i64, u64)>>,
}

impl WriteWindows {
    fn new(per_minute: u64) -> Self {
        Self { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one write of `tenant` at `now`, or refuses it until the minute ends.
    fn admit(&self, tenant: &TenantId, now: DateTime<Utc>) -> Result<(), AppError> {
        let minute = now.timestamp().div_euclid(60);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        // Past minutes' windows are dead weight; sweeping when the map grows keeps it at about
        // one entry per tenant that wrote this minute.
        if windows.len() > 1024 {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let window = windows.entry(tenant.clone()).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= self.per_minute {
            let retry_after = 60 - now.timestamp().rem_euclid(60);
            return Err(AppError::new(
                ErrorCode::RateLimited,
                format!("at most {} config changes a minute; retry in {retry_after} s", self.per_minute),
            )
            .with_detail("limit", self.per_minute)
            .with_detail("retryAfter", retry_after));
        }
        window.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Poll, Waker};

    use async_trait::async_trait;
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::{
        access::AccessPolicy,
        ports::{
            AuditPage, AuditQuery, AuditRecord, ConfigEdit, ConfigEditError, PlanChange, PlanLimits, PlanView,
            StoreError, TenantChange, TenantProfile, TenantSettings, TenantStatus, TenantView,
        },
    };

    /// Every tenant exists, is active, and its plan has every permission.
    struct AllTenants;

    #[async_trait]
    impl TenantDirectory for AllTenants {
        async fn tenant(&self, id: &TenantId) -> Result<Option<Arc<TenantProfile>>, StoreError> {
            Ok(Some(Arc::new(TenantProfile {
                id: id.clone(),
                plan: "all".to_owned(),
                status: TenantStatus::Active,
                settings: TenantSettings::default(),
                access: AccessPolicy::new(Permission::ALL.into_iter().collect(), None),
                limits: PlanLimits::default(),
            })))
        }
    }

    /// Keeps what reaches the trail: the records committed with a change and the standalone ones.
    #[derive(Default)]
    struct Trail(Mutex<Vec<AuditRecord>>);

    impl Trail {
        fn outcomes(&self) -> Vec<String> {
            self.0.lock().unwrap().iter().map(|r| r.outcome.clone()).collect()
        }
    }

    #[async_trait]
    impl AuditLog for Trail {
        async fn record(&self, record: &AuditRecord) -> Result<(), StoreError> {
            self.0.lock().unwrap().push(record.clone());
            Ok(())
        }

        async fn query(&self, _: Option<&TenantId>, _: &AuditQuery) -> Result<AuditPage, StoreError> {
            unimplemented!("not read by these tests")
        }
    }

    /// Accepts every tenant config change, committing its record to the trail as the real store does.
    struct Editor(Arc<Trail>);

    #[async_trait]
    impl ConfigEditor for Editor {
        async fn upsert_plan(&self, _: PlanChange, _: ConfigEdit) -> Result<PlanView, ConfigEditError> {
            unimplemented!("provider operation")
        }
        async fn upsert_tenant(&self, _: TenantChange, _: ConfigEdit) -> Result<TenantView, ConfigEditError> {
            unimplemented!("provider operation")
        }
        async fn set_tenant_status(
            &self,
            _: &TenantId,
            _: TenantStatus,
            _: ConfigEdit,
        ) -> Result<TenantView, ConfigEditError> {
            unimplemented!("provider operation")
        }
        async fn rotate_webhook_secret(&self, _: &TenantId, _: &str, _: ConfigEdit) -> Result<String, ConfigEditError> {
            unimplemented!("provider operation")
        }
        async fn set_integrations(
            &self,
            _: crate::ports::IntegrationsOwner<'_>,
            _: crate::ports::IntegrationsChange,
            _: ConfigEdit,
        ) -> Result<crate::ports::IntegrationsView, ConfigEditError> {
            unimplemented!("provider operation")
        }
        async fn tenant_config(&self, _: &TenantId) -> Result<TenantConfigView, StoreError> {
            unimplemented!("not read by these tests")
        }
        async fn update_tenant_config(
            &self,
            _: &TenantId,
            _: TenantConfigChange,
            edit: ConfigEdit,
        ) -> Result<TenantConfigView, ConfigEditError> {
            self.0.record(&edit.audit).await?;
            Ok(TenantConfigView {
                restocking_fee_percent: None,
                max_refund_amount: None,
                auto_confirm_orders: true,
                roles: None,
                outbound_webhook: None,
                version: 1,
                changed_by: Some(edit.changed_by),
                changed_at: None,
            })
        }
        async fn tenant_config_history(
            &self,
            _: &TenantId,
            _: u64,
            _: Option<i64>,
        ) -> Result<Vec<ConfigChangeView>, StoreError> {
            unimplemented!("not read by these tests")
        }
    }

    struct FixedClock(Mutex<DateTime<Utc>>);

    impl Clock for FixedClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    struct V7;

    impl IdGenerator for V7 {
        fn new_id(&self) -> Uuid {
            Uuid::now_v7()
        }
    }

    /// The fakes never wait, so polling with a waker that does nothing runs a call to its end
    /// without an async runtime (this crate has none).
    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
    }

    fn principal(tenant: &str, roles: &[&str]) -> Principal {
        Principal {
            tenant_id: TenantId::new(tenant).unwrap(),
            subject: "alice".to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            vendor_id: None,
            request_id: None,
        }
    }

    fn change() -> TenantConfigChange {
        TenantConfigChange { auto_confirm_orders: Some(false), ..Default::default() }
    }

    #[test]
    fn config_writes_beyond_the_limit_are_refused_until_the_minute_ends_and_audited() {
        block_on(async {
            let trail = Arc::new(Trail::default());
            let clock = Arc::new(FixedClock(Mutex::new(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 10).unwrap())));
            let configs = TenantConfigs::new(
                Arc::new(AllTenants),
                Arc::new(Editor(Arc::clone(&trail))),
                Arc::clone(&trail) as Arc<dyn AuditLog>,
                Arc::clone(&clock) as Arc<dyn Clock>,
                Arc::new(V7),
            )
            .with_writes_per_minute(3);
            let (admin, other_tenant) = (principal("acme", &["tenant_admin"]), principal("globex", &["tenant_admin"]));

            for _ in 0..3 {
                configs.update(&admin, change()).await.expect("within the limit");
            }
            *clock.0.lock().unwrap() = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 59).unwrap();
            let refused = configs.update(&admin, change()).await.unwrap_err();
            configs.update(&other_tenant, change()).await.expect("tenants are counted apart");

            assert_eq!(refused.code, ErrorCode::RateLimited);
            assert!(refused.details.contains(&("retryAfter", 1.into())), "{refused:?}");
            assert_eq!(trail.outcomes(), ["ok", "ok", "ok", "RATE_LIMITED", "ok"], "the refusal is on the trail");

            *clock.0.lock().unwrap() = Utc.with_ymd_and_hms(2026, 11, 23, 12, 1, 0).unwrap();
            configs.update(&admin, change()).await.expect("a new minute, a new count");
        });
    }

    #[test]
    fn refused_callers_do_not_use_up_the_limit() {
        block_on(async {
            let trail = Arc::new(Trail::default());
            let clock = FixedClock(Mutex::new(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()));
            let configs = TenantConfigs::new(
                Arc::new(AllTenants),
                Arc::new(Editor(Arc::clone(&trail))),
                Arc::clone(&trail) as Arc<dyn AuditLog>,
                Arc::new(clock),
                Arc::new(V7),
            )
            .with_writes_per_minute(1);

            let forbidden = configs.update(&principal("acme", &["vendor"]), change()).await.unwrap_err();
            configs.update(&principal("acme", &["tenant_admin"]), change()).await.expect("the one write of the minute");

            assert_eq!(forbidden.code, ErrorCode::Forbidden);
            assert_eq!(trail.outcomes(), ["FORBIDDEN", "ok"]);
        });
    }
}
