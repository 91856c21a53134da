//! Value objects carried by an order: customer, address, package, pickup window.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::DomainError;

fn required_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::validation(&[field], format!("{field} must not be empty")));
    }
    bounded_text(field, v, max)
}

fn bounded_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(DomainError::validation(&[field], format!("{field} must be at most {max} characters")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(DomainError::validation(&[field], format!("{field} must not contain control characters")));
    }
    Ok(v.to_owned())
}

/// Optional free text: blank counts as absent.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, DomainError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => bounded_text(field, v, max).map(Some),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub customer_id: Option<String>,
    pub name: String,
    /// Stored lower-cased so that filters and lookups by email are exact.
    pub email: String,
}

impl Customer {
    pub fn new(customer_id: Option<&str>, name: &str, email: &str) -> Result<Self, DomainError> {
        let email = required_text("email", email, 254)?.to_lowercase();
        let valid_email = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
            }
            None => false,
        } && !email.contains(char::is_whitespace);
        if !valid_email {
            return Err(DomainError::validation(&["email"], format!("'{email}' is not an email address")));
        }
        Ok(Self {
            customer_id: optional_text("customerId", customer_id, 128)?,
            name: required_text("name", name, 200)?,
            email,
        })
    }
}

/// ISO 3166-1 alpha-2 codes, officially assigned.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR \
BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ \
FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE \
JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR \
MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU \
RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG \
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

pub struct AddressInput<'a> {
    pub line1: &'a str,
    pub line2: Option<&'a str>,
    pub city: &'a str,
    pub state: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub country: &'a str,
}

impl Address {
    pub fn new(input: AddressInput<'_>) -> Result<Self, DomainError> {
        let country = input.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !COUNTRIES.split(' ').any(|c| c == country) {
            return Err(DomainError::validation(
                &["country"],
                format!("'{}' is not an ISO 3166-1 alpha-2 country code", input.country),
            ));
        }
        Ok(Self {
            line1: required_text("line1", input.line1, 200)?,
            line2: optional_text("line2", input.line2, 200)?,
            city: required_text("city", input.city, 100)?,
            state: optional_text("state", input.state, 100)?,
            postal_code: optional_text("postalCode", input.postal_code, 20)?,
            country,
        })
    }
}

/// Parcel dimensions; all strictly positive and finite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Package {
    pub weight_kg: f64,
    pub length_cm: f64,
    pub width_cm: f64,
    pub height_cm: f64,
}

impl Package {
    pub fn new(weight_kg: f64, length_cm: f64, width_cm: f64, height_cm: f64) -> Result<Self, DomainError> {
        for (field, v) in
            [("weightKg", weight_kg), ("lengthCm", length_cm), ("widthCm", width_cm), ("heightCm", height_cm)]
        {
            if !(v.is_finite() && v > 0.0 && v < 1_000_000.0) {
                return Err(DomainError::validation(&[field], format!("{field} must be a positive number")));
            }
        }
        Ok(Self { weight_kg, length_cm, width_cm, height_cm })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pickup {
    pub address: Option<Address>,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub instructions: Option<String>,
}

impl Pickup {
    pub fn new(
        address: Option<Address>,
        window_start: Option<DateTime<Utc>>,
        window_end: Option<DateTime<Utc>>,
        instructions: Option<&str>,
    ) -> Result<Self, DomainError> {
        if let (Some(start), Some(end)) = (window_start, window_end)
            && end <= start
        {
            return Err(DomainError::validation(&["windowEnd"], "windowEnd must be after windowStart"));
        }
        Ok(Self { address, window_start, window_end, instructions: optional_text("instructions", instructions, 1000)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(country: &str) -> Result<Address, DomainError> {
        Address::new(AddressInput {
            line1: "1 Main St",
            line2: None,
            city: "Kuwait City",
            state: None,
            postal_code: Some(" 13001 "),
            country,
        })
    }

    #[test]
    fn address_country_must_be_assigned_alpha2() {
        assert_eq!(addr("kw").unwrap().country, "KW");
        assert_eq!(addr("KW").unwrap().postal_code.as_deref(), Some("13001"));
        assert!(addr("XX").is_err());
        assert!(addr("KWT").is_err());
    }

    #[test]
    fn customer_email_is_checked_and_normalised() {
        assert_eq!(Customer::new(None, "Ann", "Ann@Example.COM").unwrap().email, "ann@example.com");
        for bad in ["", "ann", "ann@", "@x.com", "ann@localhost", "a b@x.com"] {
            assert!(Customer::new(None, "Ann", bad).is_err(), "{bad:?} accepted");
        }
        assert!(Customer::new(None, " ", "a@x.com").is_err());
        assert_eq!(Customer::new(Some(" "), "Ann", "a@x.com").unwrap().customer_id, None);
    }

    #[test]
    fn package_and_pickup_bounds() {
        assert!(Package::new(1.0, 10.0, 10.0, 10.0).is_ok());
        assert!(Package::new(0.0, 10.0, 10.0, 10.0).is_err());
        assert!(Package::new(f64::NAN, 10.0, 10.0, 10.0).is_err());
        let t = Utc::now();
        assert!(Pickup::new(None, Some(t), Some(t), None).is_err());
        assert!(Pickup::new(None, Some(t), Some(t + chrono::Duration::hours(1)), None).is_ok());
    }
}
