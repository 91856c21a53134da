use domain::{TenantId, VendorId};

/// Who is calling, as established from a verified token. Never built from unverified input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: TenantId,
    /// The token's `sub`.
    pub subject: String,
    /// Roles from the IdP's `roles_claim`.
    pub roles: Vec<String>,
    /// The vendor the caller acts for, from the IdP's `vendor_claim`: it then sees only orders
    /// holding that vendor's lines, and of them only those lines (see `orders::vendor_scope`).
    pub vendor_id: Option<VendorId>,
    /// The HTTP request this call belongs to, for the audit trail.
    pub request_id: Option<String>,
}

/// A user of the SaaS provider's own IdP. Provider operations need `is_admin` (the configured
/// `admin_role`, which carries `platform:admin`); tenant operations are not theirs to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAdmin {
    pub subject: String,
    pub roles: Vec<String>,
    pub is_admin: bool,
    pub request_id: Option<String>,
}

/// Whoever a verified token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Tenant(Principal),
    Provider(ProviderAdmin),
}

impl Caller {
    pub fn set_request_id(&mut self, id: Option<String>) {
        match self {
            Caller::Tenant(p) => p.request_id = id,
            Caller::Provider(a) => a.request_id = id,
        }
    }
}
