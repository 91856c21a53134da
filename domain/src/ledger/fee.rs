//! The restocking fee rate and the one rounding step of the refund calculation.
//!
//! Rounding rule: the fee is `gross × rate`, computed exactly in integers and rounded **half up**
//! (half away from zero; amounts here are never negative) to the currency's minor unit — cents for
//! USD, fils (0.001) for KWD, whole yen for JPY. It is rounded once, on the gross of the whole
//! return, never per line, and the refund is `gross − fee`, so fee + refund = gross exactly and no
//! minor unit is created or lost. Half up rather than half even because each refund rounds once
//! (banker's rounding only pays off when many roundings are summed) and half up is the rule the
//! customer can check by hand on the receipt.

use serde::Serialize;

use crate::{DomainError, Money};

/// Basis points in 100 %.
const FULL: u32 = 10_000;

/// A percentage as whole basis points (1 bp = 0.01 %), 0 % to 100 %. Integers only, so the rate
/// `10` of the tenant config is exactly 1000 bp and no float ever touches money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FeeRate {
    basis_points: u32,
}

impl FeeRate {
    pub const ZERO: FeeRate = FeeRate { basis_points: 0 };

    pub fn from_basis_points(basis_points: u32) -> Result<Self, DomainError> {
        if basis_points > FULL {
            return Err(DomainError::validation(
                &["restockingFeePercent"],
                "restocking_fee_percent must be between 0 and 100",
            ));
        }
        Ok(FeeRate { basis_points })
    }

    pub fn from_percent(percent: u32) -> Result<Self, DomainError> {
        Self::from_basis_points(percent.saturating_mul(100))
    }

    /// Parses a decimal percentage such as `"10"` or `"12.5"`. At most two decimals (whole basis
    /// points): a finer rate would need a rounding of its own, so it is refused, not rounded.
    pub fn parse_percent(text: &str) -> Result<Self, DomainError> {
        let invalid = || {
            DomainError::validation(
                &["restockingFeePercent"],
                format!("'{text}' is not a percentage between 0 and 100 with at most two decimals"),
            )
        };
        let (int_part, frac_part) = text.split_once('.').unwrap_or((text, ""));
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty()
            || int_part.len() > 3
            || !digits_ok(int_part)
            || !digits_ok(frac_part)
            || frac_part.len() > 2
            || (text.contains('.') && frac_part.is_empty())
        {
            return Err(invalid());
        }
        let whole: u32 = int_part.parse().map_err(|_| invalid())?;
        let frac: u32 = format!("{frac_part:0<2}").parse().map_err(|_| invalid())?;
        Self::from_basis_points(whole * 100 + frac).map_err(|_| invalid())
    }

    pub fn basis_points(&self) -> u32 {
        self.basis_points
    }

    /// The fee on `gross`, rounded half up to the currency's minor unit (see the module comment).
    pub fn fee_on(&self, gross: Money) -> Result<Money, DomainError> {
        if gross.is_negative() {
            return Err(DomainError::validation(&["amount"], "a fee is taken on a non-negative amount"));
        }
        let exact_times_full = i128::from(gross.minor()) * i128::from(self.basis_points);
        let rounded = (exact_times_full + i128::from(FULL / 2)) / i128::from(FULL);
        // rate ≤ 100 %, so the fee never exceeds the gross and always fits back into i64.
        let minor = i64::try_from(rounded).map_err(|_| DomainError::validation(&["amount"], "amount overflow"))?;
        Ok(Money::from_minor(minor, gross.currency()))
    }
}
