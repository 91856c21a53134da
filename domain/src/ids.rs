//! Identifiers and small validated names. Constructors validate, so a value of these types is
//! always well formed.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;

macro_rules! uuid_id {
    ($name:ident, $what:literal) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the wire form; anything that is not a UUID cannot name an existing object.
            pub fn parse(s: &str) -> Result<Self, DomainError> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| DomainError::validation(&["id"], concat!("not a valid ", $what, " id")))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(OrderId, "order");
uuid_id!(ShipmentId, "shipment");
uuid_id!(ReturnId, "return");

macro_rules! name_id {
    ($name:ident, $what:literal, $max:expr) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Trimmed, non-empty, at most the stated length, no control characters.
            pub fn new(value: impl AsRef<str>) -> Result<Self, DomainError> {
                let v = value.as_ref().trim();
                if v.is_empty() {
                    return Err(DomainError::validation(&[], concat!($what, " must not be empty")));
                }
                if v.chars().count() > $max {
                    return Err(DomainError::validation(
                        &[],
                        format!(concat!($what, " must be at most {} characters"), $max),
                    ));
                }
                if v.chars().any(char::is_control) {
                    return Err(DomainError::validation(&[], concat!($what, " must not contain control characters")));
                }
                Ok(Self(v.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_id!(Sku, "sku", 128);
name_id!(VendorId, "vendorId", 128);

/// A tenant's id as the provider configured it (e.g. `tenant_123`): ASCII letters, digits, `_`, `-`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(String);

impl TenantId {
    pub fn new(value: impl AsRef<str>) -> Result<Self, DomainError> {
        let v = value.as_ref();
        let ok = !v.is_empty()
            && v.len() <= 64
            && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if ok {
            Ok(Self(v.to_owned()))
        } else {
            Err(DomainError::validation(&["tenantId"], "tenant id must be 1-64 ASCII letters, digits, '_', '-' or '.'"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_id_refuses_odd_characters() {
        assert!(TenantId::new("tenant_123").is_ok());
        assert!(TenantId::new("").is_err());
        assert!(TenantId::new("a b").is_err());
        assert!(TenantId::new("x".repeat(65)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Sku::new("  ABC-1 ").unwrap().as_str(), "ABC-1");
        assert!(Sku::new("   ").is_err());
        assert!(Sku::new("a\u{0}b").is_err());
        assert!(VendorId::new("v".repeat(129)).is_err());
    }

    #[test]
    fn uuid_ids_parse_only_uuids() {
        assert!(OrderId::parse("not-a-uuid").is_err());
        let id = Uuid::now_v7();
        assert_eq!(OrderId::parse(&id.to_string()).unwrap().as_uuid(), id);
    }
}
