use domain::TenantId;

/// Who is calling, as established from a verified token. Never built from unverified input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: TenantId,
    /// The token's `sub`.
    pub subject: String,
    /// Roles from the IdP's `roles_claim`.
    pub roles: Vec<String>,
    /// The HTTP request this call belongs to, for the audit trail.
    pub request_id: Option<String>,
}
