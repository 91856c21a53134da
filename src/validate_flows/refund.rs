//! What a refund must come to, worked out here from the tenant's terms (not asked of the
//! server): the fee is the restocking percentage of the gross, rounded half up to the cent; the
//! refund is the rest, lowered first by `max_refund_amount`, then by what was paid and not yet
//! refunded. USD only: the flows price everything in dollars.

/// The refund the server must answer, as it prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub fee: String,
    pub amount: String,
    pub cap: &'static str,
}

/// `gross` and `remaining_paid` in cents; `percent` and `max` as the tenant config shows them.
pub fn expected_refund(
    gross: i64,
    percent: Option<&str>,
    max: Option<&str>,
    remaining_paid: i64,
) -> Result<Expected, String> {
    // Basis points: a percentage with up to two decimals.
    let basis_points = match percent {
        Some(p) => scaled(p, 2).ok_or_else(|| format!("restockingFeePercent {p:?} is not a percentage"))?,
        None => 0,
    };
    let fee = (gross * basis_points + 5_000) / 10_000;
    let mut amount = gross - fee;
    let mut cap = "NONE";
    if let Some(max) = max {
        let max = scaled(max, 2).ok_or_else(|| format!("maxRefundAmount {max:?} is not a dollar amount"))?;
        if amount > max {
            amount = max;
            cap = "MAX_REFUND_AMOUNT";
        }
    }
    if amount > remaining_paid {
        amount = remaining_paid;
        cap = "REMAINING_PAID";
    }
    Ok(Expected { fee: dollars(fee), amount: dollars(amount), cap })
}

/// A plain non-negative decimal times 10^`places`, when it has at most `places` decimals.
fn scaled(text: &str, places: u32) -> Option<i64> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    let fraction = fraction.trim_end_matches('0');
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > places as usize {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<width$}", width = places as usize).parse().ok()?;
    whole.checked_mul(10_i64.pow(places))?.checked_add(fraction)
}

fn dollars(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refund(percent: Option<&str>, max: Option<&str>, paid: i64) -> (String, String, &'static str) {
        let e = expected_refund(1000, percent, max, paid).expect("valid terms");
        (e.fee, e.amount, e.cap)
    }

    #[test]
    fn the_fee_is_kept_and_the_caps_apply_in_order() {
        assert_eq!(refund(None, None, 2000), ("0.00".into(), "10.00".into(), "NONE"));
        assert_eq!(refund(Some("10"), None, 2000), ("1.00".into(), "9.00".into(), "NONE"));
        assert_eq!(refund(Some("12.5"), Some("500.00"), 2000), ("1.25".into(), "8.75".into(), "NONE"));
        assert_eq!(refund(Some("10"), Some("3"), 2000), ("1.00".into(), "3.00".into(), "MAX_REFUND_AMOUNT"));
        assert_eq!(refund(Some("10"), None, 500), ("1.00".into(), "5.00".into(), "REMAINING_PAID"));
        assert_eq!(refund(Some("10"), Some("5.00"), 500), ("1.00".into(), "5.00".into(), "MAX_REFUND_AMOUNT"));
        assert_eq!(refund(Some("0.05"), None, 2000), ("0.01".into(), "9.99".into(), "NONE"), "half up");
    }

    #[test]
    fn odd_terms_are_reported() {
        assert!(expected_refund(1000, Some("ten"), None, 0).is_err());
        assert!(expected_refund(1000, None, Some("1.001"), 0).is_err());
    }
}
