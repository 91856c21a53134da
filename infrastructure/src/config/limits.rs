//! Upper bounds on the sizes of config values. The config is edited through the API by tenant
//! admins and read on every request, so no single document may grow without bound, and no value
//! may be long enough to make logs, audit records or error messages unwieldy. Each bound is far
//! above any honest use.

use super::permissions::tenant_permissions;

/// Roles in one tenant's `tenant_config.roles`.
pub(super) const MAX_ROLES: usize = 50;
pub(super) const MAX_ROLE_NAME_CHARS: usize = 64;
/// Patterns in an outbound webhook's `events`.
pub(super) const MAX_WEBHOOK_EVENTS: usize = 50;
pub(super) const MAX_EVENT_PATTERN_CHARS: usize = 100;
/// `jwks_uri`, an outbound webhook's `url`, a carrier API's `endpoint`.
pub(super) const MAX_URL_CHARS: usize = 2048;
/// Custom domains of one tenant.
pub(super) const MAX_DOMAINS: usize = 50;
/// An IdP's `issuer` and `audience`.
pub(super) const MAX_IDP_NAME_CHARS: usize = 512;

/// Permissions one role may list: every tenant permission and `*`, each once. More can only be
/// repetition.
pub(super) fn max_permissions_per_role() -> usize {
    tenant_permissions().count() + 1
}

/// `value` longer than `max` characters (counted only as far as needed).
pub(super) fn too_long(value: &str, max: usize) -> bool {
    value.chars().nth(max).is_some()
}
