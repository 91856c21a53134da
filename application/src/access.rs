//! Access policy: a call is allowed when its permission is in the tenant's plan AND granted to one
//! of the caller's roles. Every use case names its permission; nothing is allowed by omission.

use std::collections::HashMap;

use crate::{AppError, ErrorCode};

/// The normative permission names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    OrderRead,
    OrderCreate,
    OrderConfirm,
    OrderCancel,
    OrderComplete,
    OrderReview,
    ShipmentCreate,
    ShipmentConfirm,
    ShipmentDispatch,
    ShipmentDeliver,
    ShipmentCancel,
    PaymentRecord,
    ReturnRequest,
    ReturnApprove,
    RefundProcess,
    LedgerRead,
    ConfigRead,
    ConfigWrite,
    AuditRead,
    WebhookRead,
    WebhookManage,
    /// Provider-only; never part of a tenant plan.
    PlatformAdmin,
}

impl Permission {
    pub const ALL: [Permission; 22] = [
        Permission::OrderRead,
        Permission::OrderCreate,
        Permission::OrderConfirm,
        Permission::OrderCancel,
        Permission::OrderComplete,
        Permission::OrderReview,
        Permission::ShipmentCreate,
        Permission::ShipmentConfirm,
        Permission::ShipmentDispatch,
        Permission::ShipmentDeliver,
        Permission::ShipmentCancel,
        Permission::PaymentRecord,
        Permission::ReturnRequest,
        Permission::ReturnApprove,
        Permission::RefundProcess,
        Permission::LedgerRead,
        Permission::ConfigRead,
        Permission::ConfigWrite,
        Permission::AuditRead,
        Permission::WebhookRead,
        Permission::WebhookManage,
        Permission::PlatformAdmin,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::OrderRead => "order:read",
            Permission::OrderCreate => "order:create",
            Permission::OrderConfirm => "order:confirm",
            Permission::OrderCancel => "order:cancel",
            Permission::OrderComplete => "order:complete",
            Permission::OrderReview => "order:review",
            Permission::ShipmentCreate => "shipment:create",
            Permission::ShipmentConfirm => "shipment:confirm",
            Permission::ShipmentDispatch => "shipment:dispatch",
            Permission::ShipmentDeliver => "shipment:deliver",
            Permission::ShipmentCancel => "shipment:cancel",
            Permission::PaymentRecord => "payment:record",
            Permission::ReturnRequest => "return:request",
            Permission::ReturnApprove => "return:approve",
            Permission::RefundProcess => "refund:process",
            Permission::LedgerRead => "ledger:read",
            Permission::ConfigRead => "config:read",
            Permission::ConfigWrite => "config:write",
            Permission::AuditRead => "audit:read",
            Permission::WebhookRead => "webhook:read",
            Permission::WebhookManage => "webhook:manage",
            Permission::PlatformAdmin => "platform:admin",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of permissions as a bit set: checks on the hot path are one AND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PermissionSet(u32);

impl PermissionSet {
    pub const EMPTY: PermissionSet = PermissionSet(0);

    pub fn contains(&self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn insert(&mut self, p: Permission) {
        self.0 |= p.bit();
    }

    pub fn union(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 | other.0)
    }

    pub fn intersection(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & other.0)
    }

    pub fn without(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & !other.0)
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        Permission::ALL.into_iter().filter(|p| self.contains(*p))
    }

    /// Parses names, keeping the known ones; unknown names are reported by `config check`.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> PermissionSet {
        names.into_iter().filter_map(Permission::parse).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut set = PermissionSet::EMPTY;
        for p in iter {
            set.insert(p);
        }
        set
    }
}

/// What a role is granted: everything the plan has (`"*"`), or a named set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    AllOfPlan,
    Only(PermissionSet),
}

/// The seed's vendor set, used when a tenant configured no roles.
pub const DEFAULT_VENDOR: [Permission; 8] = [
    Permission::OrderRead,
    Permission::OrderCreate,
    Permission::OrderCancel,
    Permission::OrderComplete,
    Permission::ShipmentCreate,
    Permission::ShipmentConfirm,
    Permission::ShipmentDeliver,
    Permission::ShipmentCancel,
];

/// A tenant's plan and role grants, compiled once per config version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPolicy {
    plan: PermissionSet,
    roles: HashMap<String, Grant>,
}

impl AccessPolicy {
    /// `roles: None` means the tenant configured none: the spec's default mapping applies.
    pub fn new(plan: PermissionSet, roles: Option<HashMap<String, Grant>>) -> Self {
        let roles = roles.unwrap_or_else(|| {
            HashMap::from([
                ("vendor".to_owned(), Grant::Only(DEFAULT_VENDOR.into_iter().collect())),
                ("tenant_admin".to_owned(), Grant::AllOfPlan),
            ])
        });
        // A tenant role can never reach beyond the tenant's plan, nor provider operations.
        let plan = PermissionSet(plan.0 & !Permission::PlatformAdmin.bit());
        Self { plan, roles }
    }

    pub fn plan(&self) -> PermissionSet {
        self.plan
    }

    /// What the caller may do: the plan intersected with the union of the caller's role grants.
    pub fn effective(&self, roles: &[String]) -> PermissionSet {
        let granted = roles.iter().filter_map(|r| self.roles.get(r)).fold(PermissionSet::EMPTY, |acc, g| match g {
            Grant::AllOfPlan => acc.union(self.plan),
            Grant::Only(set) => acc.union(*set),
        });
        granted.intersection(self.plan)
    }

    pub fn check(&self, roles: &[String], needed: Permission) -> Result<(), AppError> {
        if !self.plan.contains(needed) {
            return Err(AppError::new(
                ErrorCode::PlanForbidden,
                format!("your plan does not include {}", needed.as_str()),
            ));
        }
        if !self.effective(roles).contains(needed) {
            return Err(AppError::new(ErrorCode::Forbidden, format!("none of your roles grants {}", needed.as_str())));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| (*s).to_owned()).collect()
    }

    fn set(p: &[Permission]) -> PermissionSet {
        p.iter().copied().collect()
    }

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        assert_eq!(Permission::parse("order:fly"), None);
    }

    #[test]
    fn plan_first_then_roles() {
        let plan = set(&[Permission::OrderRead, Permission::OrderCreate]);
        let policy = AccessPolicy::new(
            plan,
            Some(HashMap::from([("clerk".to_owned(), Grant::Only(set(&[Permission::OrderRead])))])),
        );
        assert!(policy.check(&roles(&["clerk"]), Permission::OrderRead).is_ok());
        assert_eq!(policy.check(&roles(&["clerk"]), Permission::OrderCreate).unwrap_err().code, ErrorCode::Forbidden);
        assert_eq!(
            policy.check(&roles(&["clerk"]), Permission::ShipmentCreate).unwrap_err().code,
            ErrorCode::PlanForbidden
        );
        assert_eq!(policy.check(&roles(&[]), Permission::OrderRead).unwrap_err().code, ErrorCode::Forbidden);
    }

    #[test]
    fn star_is_everything_the_plan_has_and_no_more() {
        let plan = set(&[Permission::OrderRead]);
        let policy = AccessPolicy::new(plan, Some(HashMap::from([("admin".to_owned(), Grant::AllOfPlan)])));
        assert_eq!(policy.effective(&roles(&["admin"])), plan);
        // A grant beyond the plan is cut to the plan.
        let generous = AccessPolicy::new(
            plan,
            Some(HashMap::from([(
                "x".to_owned(),
                Grant::Only(set(&[Permission::OrderRead, Permission::ConfigWrite])),
            )])),
        );
        assert_eq!(generous.effective(&roles(&["x"])), plan);
    }

    #[test]
    fn default_roles_follow_the_spec() {
        let everything: PermissionSet = Permission::ALL.into_iter().collect();
        let policy = AccessPolicy::new(everything, None);
        let vendor = policy.effective(&roles(&["vendor"]));
        assert!(vendor.contains(Permission::OrderCreate));
        assert!(vendor.contains(Permission::ShipmentDeliver));
        assert!(!vendor.contains(Permission::ShipmentDispatch));
        assert!(!vendor.contains(Permission::ConfigWrite));
        let admin = policy.effective(&roles(&["tenant_admin"]));
        assert!(admin.contains(Permission::ConfigWrite));
        assert!(!admin.contains(Permission::PlatformAdmin), "platform:admin is never a tenant permission");
        assert_eq!(policy.effective(&roles(&["stranger"])), PermissionSet::EMPTY);
    }
}
