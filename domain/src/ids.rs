//! Identifiers and small validated names. Constructors validate, so a value of these types is
//! always well formed.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainError, identifier};

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
            /// See [`crate::identifier::required`]: trimmed, NFC, bounded, nothing invisible.
            pub fn new(value: impl AsRef<str>) -> Result<Self, DomainError> {
                identifier::required($what, value.as_ref(), $max).map(Self)
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
    fn a_decomposed_and_a_composed_sku_are_the_same_sku() {
        let decomposed = Sku::new("CAFE\u{301}-1").unwrap();
        let composed = Sku::new("CAF\u{c9}-1").unwrap();
        assert_eq!(decomposed, composed);
        assert_eq!(VendorId::new("vendo\u{308}r").unwrap(), VendorId::new("vend\u{f6}r").unwrap());
    }

    #[test]
    fn names_refuse_invisible_and_bidi_characters() {
        for c in ['\u{200B}', '\u{00AD}', '\u{FEFF}', '\u{2060}', '\u{202E}', '\u{2067}', '\u{061C}', '\u{180E}'] {
            let Err(DomainError::Validation { field, message }) = Sku::new(format!("AB{c}C")) else {
                panic!("U+{:04X} accepted in a sku", c as u32);
            };
            assert!(field.is_empty());
            assert_eq!(message, "sku must not contain invisible formatting or bidirectional control characters");
            assert!(VendorId::new(format!("v{c}1")).is_err(), "U+{:04X} accepted in a vendorId", c as u32);
        }
    }

    #[test]
    fn uuid_ids_parse_only_uuids() {
        assert!(OrderId::parse("not-a-uuid").is_err());
        let id = Uuid::now_v7();
        assert_eq!(OrderId::parse(&id.to_string()).unwrap().as_uuid(), id);
    }
}
