//! Money as integer minor units of an ISO 4217 currency. Amounts cross the wire as decimal
//! strings and never pass through floating point.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// ISO 4217 codes whose minor unit is not 2. Every other listed code has 2.
const EXPONENT_0: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
    "XPF",
];
const EXPONENT_3: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
const EXPONENT_4: &[&str] = &["CLF", "UYW"];
const EXPONENT_2: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD", "BND",
    "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CNY", "COP", "CRC", "CUP", "CVE", "CZK",
    "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD",
    "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK",
    "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
    "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON",
    "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "VES", "WST", "XCD",
    "YER", "ZAR", "ZMW", "ZWG",
];

/// An ISO 4217 currency and its number of minor-unit digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_units: u8,
}

impl Currency {
    pub fn new(code: &str) -> Result<Self, DomainError> {
        [(EXPONENT_2, 2), (EXPONENT_0, 0), (EXPONENT_3, 3), (EXPONENT_4, 4)]
            .into_iter()
            .find_map(|(table, minor_units)| table.iter().find(|c| **c == code).map(|c| Self { code: c, minor_units }))
            .ok_or_else(|| DomainError::validation(&["currency"], format!("'{code}' is not an ISO 4217 currency code")))
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn minor_units(&self) -> u8 {
        self.minor_units
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::new(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount in minor units of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    /// Parses a decimal string such as `"12.500"`. More fraction digits than the currency has,
    /// exponents, spaces, or values beyond the storable range are refused, never rounded.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, DomainError> {
        let invalid =
            |why: &str| DomainError::validation(&["amount"], format!("'{amount}' is not a valid amount: {why}"));
        let (negative, digits) = match amount.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, amount),
        };
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("expected digits with an optional decimal point"));
        }
        if digits.contains('.') && frac_part.is_empty() {
            return Err(invalid("expected digits after the decimal point"));
        }
        if !frac_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("expected digits with an optional decimal point"));
        }
        let scale = usize::from(currency.minor_units);
        if frac_part.len() > scale {
            return Err(DomainError::validation(
                &["amount"],
                format!("{} allows at most {} decimal places, got '{amount}'", currency.code(), scale),
            ));
        }
        let too_large = || invalid("too large");
        let mut minor: i64 = 0;
        for b in int_part.bytes().chain(frac_part.bytes()) {
            minor = minor.checked_mul(10).and_then(|m| m.checked_add(i64::from(b - b'0'))).ok_or_else(too_large)?;
        }
        for _ in frac_part.len()..scale {
            minor = minor.checked_mul(10).ok_or_else(too_large)?;
        }
        Ok(Self { minor: if negative { -minor } else { minor }, currency })
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_negative(&self) -> bool {
        self.minor < 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, DomainError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money { minor, currency: self.currency })
            .ok_or_else(|| DomainError::validation(&["amount"], "amount overflow"))
    }

    pub fn checked_mul(self, factor: u32) -> Result<Money, DomainError> {
        self.minor
            .checked_mul(i64::from(factor))
            .map(|minor| Money { minor, currency: self.currency })
            .ok_or_else(|| DomainError::validation(&["amount"], "amount overflow"))
    }

    pub fn same_currency(&self, other: Money) -> Result<(), DomainError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(DomainError::validation(
                &["currency"],
                format!("currency {} does not match {}", other.currency, self.currency),
            ))
        }
    }

    /// The canonical decimal string: exactly as many fraction digits as the currency has.
    pub fn amount_string(&self) -> String {
        let scale = u32::from(self.currency.minor_units);
        let abs = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        if scale == 0 {
            return format!("{sign}{abs}");
        }
        let unit = 10u64.pow(scale);
        format!("{sign}{}.{:0width$}", abs / unit, abs % unit, width = scale as usize)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cur(c: &str) -> Currency {
        Currency::new(c).unwrap()
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(cur("KWD").minor_units(), 3);
        assert_eq!(cur("BHD").minor_units(), 3);
        assert_eq!(cur("OMR").minor_units(), 3);
        assert_eq!(cur("SAR").minor_units(), 2);
        assert_eq!(cur("USD").minor_units(), 2);
        assert_eq!(cur("JPY").minor_units(), 0);
        assert!(Currency::new("usd").is_err());
        assert!(Currency::new("ABC").is_err());
        assert!(Currency::new("").is_err());
    }

    #[test]
    fn parses_exact_decimal_strings() {
        assert_eq!(Money::parse("12.500", cur("KWD")).unwrap().minor(), 12_500);
        assert_eq!(Money::parse("12.5", cur("KWD")).unwrap().minor(), 12_500);
        assert_eq!(Money::parse("12", cur("USD")).unwrap().minor(), 1_200);
        assert_eq!(Money::parse("0.01", cur("USD")).unwrap().minor(), 1);
        assert_eq!(Money::parse("1500", cur("JPY")).unwrap().minor(), 1_500);
        assert_eq!(Money::parse("-3.10", cur("EUR")).unwrap().minor(), -310);
    }

    #[test]
    fn refuses_excess_precision_and_junk() {
        assert!(Money::parse("1.001", cur("USD")).is_err());
        assert!(Money::parse("1.5", cur("JPY")).is_err());
        assert!(Money::parse("1.0001", cur("KWD")).is_err());
        for junk in ["", ".", "1.", ".5", "1e3", " 1", "1,00", "+1", "NaN", "--1", "1.2.3", "99999999999999999999"] {
            assert!(Money::parse(junk, cur("USD")).is_err(), "{junk:?} accepted");
        }
    }

    #[test]
    fn formats_with_the_currency_scale() {
        assert_eq!(Money::from_minor(12_500, cur("KWD")).amount_string(), "12.500");
        assert_eq!(Money::from_minor(5, cur("USD")).amount_string(), "0.05");
        assert_eq!(Money::from_minor(-5, cur("USD")).amount_string(), "-0.05");
        assert_eq!(Money::from_minor(1500, cur("JPY")).amount_string(), "1500");
    }

    #[test]
    fn arithmetic_refuses_mixed_currencies() {
        let usd = Money::from_minor(100, cur("USD"));
        let eur = Money::from_minor(100, cur("EUR"));
        assert!(usd.checked_add(eur).is_err());
        assert_eq!(usd.checked_add(usd).unwrap().minor(), 200);
        assert!(Money::from_minor(i64::MAX, cur("USD")).checked_mul(2).is_err());
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(minor in -1_000_000_000_000i64..1_000_000_000_000i64,
                                         code in prop::sample::select(vec!["USD", "KWD", "JPY", "CLF"])) {
            let m = Money::from_minor(minor, cur(code));
            prop_assert_eq!(Money::parse(&m.amount_string(), cur(code)).unwrap(), m);
        }
    }
}
