//! Property tests (issue acceptance): random sequences of orders, confirmations, payments (some
//! overpaying), deliveries, returns with refunds under random fee rates and caps, shipment costs,
//! cancellations and replays. After every step: every entry balances, the trial balance is zero in
//! every currency, refunded ≤ paid ≤ total per order, and no refund exceeds max_refund_amount.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::ledger::{
    Account, CapApplied, EntryKind, FeeRate, Ledger, LedgerError, Posted, RefundPolicy, ReturnedLine, Side,
    quote_refund,
};

const CURRENCIES: [&str; 3] = ["USD", "KWD", "JPY"];

#[derive(Debug, Clone)]
enum PayAmount {
    /// `n/4` of what is due, at least one minor unit: allowed when anything is due.
    QuarterOfDue(u8),
    ExactlyDue,
    /// Due plus this many minor units: an overpayment.
    Over(i64),
    Zero,
    /// The same number of minor units in the next currency of the list.
    ForeignCurrency,
}

#[derive(Debug, Clone)]
enum Cmd {
    NewOrder {
        currency: usize,
        lines: Vec<(i64, u32)>,
        confirm: bool,
    },
    /// `fresh_key`: confirm under a new key (refused once booked) instead of replaying the first.
    Confirm {
        order: usize,
        fresh_key: bool,
    },
    Cancel {
        order: usize,
    },
    Pay {
        order: usize,
        amount: PayAmount,
    },
    Deliver {
        order: usize,
        line: usize,
        quantity: u32,
    },
    Refund {
        order: usize,
        picks: Vec<(usize, u32)>,
        fee_bp: u32,
        max: Option<i64>,
    },
    ShipCost {
        order: usize,
        minor: i64,
    },
    /// Posts a recorded payment again: same content is a replay, `tamper` makes it a conflict.
    ReplayPayment {
        pick: usize,
        tamper: bool,
    },
}

fn unit_price() -> impl Strategy<Value = i64> {
    prop_oneof![1 => Just(0i64), 8 => 1i64..=200_000, 1 => 1i64..=20]
}

fn lines() -> impl Strategy<Value = Vec<(i64, u32)>> {
    prop::collection::vec((unit_price(), 1u32..=5), 1..=3)
}

fn pay_amount() -> impl Strategy<Value = PayAmount> {
    prop_oneof![
        4 => (1u8..=4).prop_map(PayAmount::QuarterOfDue),
        2 => Just(PayAmount::ExactlyDue),
        3 => (1i64..=50_000).prop_map(PayAmount::Over),
        1 => Just(PayAmount::Zero),
        1 => Just(PayAmount::ForeignCurrency),
    ]
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let order = 0usize..8;
    prop_oneof![
        2 => (0usize..3, lines(), prop::bool::weighted(0.8))
            .prop_map(|(currency, lines, confirm)| Cmd::NewOrder { currency, lines, confirm }),
        1 => (order.clone(), any::<bool>()).prop_map(|(order, fresh_key)| Cmd::Confirm { order, fresh_key }),
        1 => order.clone().prop_map(|order| Cmd::Cancel { order }),
        6 => (order.clone(), pay_amount()).prop_map(|(order, amount)| Cmd::Pay { order, amount }),
        4 => (order.clone(), 0usize..3, 1u32..=5)
            .prop_map(|(order, line, quantity)| Cmd::Deliver { order, line, quantity }),
        5 => (
            order.clone(),
            prop::collection::vec((0usize..3, 1u32..=3), 1..=3),
            prop_oneof![1 => Just(0u32), 1 => Just(1_000u32), 2 => 0u32..=10_000],
            prop::option::weighted(0.7, prop_oneof![1 => Just(0i64), 4 => 1i64..=300_000]),
        )
            .prop_map(|(order, picks, fee_bp, max)| Cmd::Refund { order, picks, fee_bp, max }),
        1 => (order, 0i64..=5_000).prop_map(|(order, minor)| Cmd::ShipCost { order, minor }),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(pick, tamper)| Cmd::ReplayPayment { pick, tamper }),
    ]
}

/// What the test knows about an order, kept without the ledger's help.
#[derive(Debug, Clone)]
struct ModelOrder {
    id: OrderId,
    currency: Currency,
    lines: Vec<(i64, u32)>,
    confirmed: bool,
    /// The key under which the confirmation was booked, if one was.
    confirm_key: Option<String>,
    cancelled: bool,
    delivered: Vec<u32>,
    returned: Vec<u32>,
    paid: i64,
    refunded: i64,
}

impl ModelOrder {
    fn total(&self) -> i64 {
        self.lines.iter().map(|(p, q)| p * i64::from(*q)).sum()
    }

    /// What the books should say is owed.
    fn booked_total(&self) -> i64 {
        if self.confirmed && !self.cancelled { self.total() } else { 0 }
    }

    fn due(&self) -> i64 {
        self.booked_total() - self.paid
    }
}

struct Run {
    ledger: Ledger,
    orders: Vec<ModelOrder>,
    /// Payments that were recorded: (key, order index, amount).
    payments: Vec<(String, usize, Money)>,
    /// The max_refund_amount each refund entry was quoted under.
    refund_caps: BTreeMap<String, Option<i64>>,
    step: usize,
}

impl Run {
    fn key(&mut self, what: &str) -> String {
        self.step += 1;
        format!("{what}-{}", self.step)
    }

    fn pick(&self, i: usize) -> Option<usize> {
        (!self.orders.is_empty()).then(|| i % self.orders.len())
    }

    fn apply(&mut self, cmd: &Cmd) -> Result<(), TestCaseError> {
        let before = self.ledger.entries().len();
        match cmd {
            Cmd::NewOrder { currency, lines, confirm } => {
                let n = self.orders.len();
                self.orders.push(ModelOrder {
                    id: oid(n as u128),
                    currency: cur(CURRENCIES[*currency]),
                    lines: lines.clone(),
                    confirmed: false,
                    confirm_key: None,
                    cancelled: false,
                    delivered: vec![0; lines.len()],
                    returned: vec![0; lines.len()],
                    paid: 0,
                    refunded: 0,
                });
                if *confirm {
                    self.confirm(n, false)?;
                }
            }
            Cmd::Confirm { order, fresh_key } => {
                if let Some(i) = self.pick(*order) {
                    self.confirm(i, *fresh_key)?;
                }
            }
            Cmd::Cancel { order } => {
                let Some(i) = self.pick(*order) else { return Ok(()) };
                let o = &self.orders[i];
                // The Order aggregate refuses to cancel once anything shipped.
                if o.delivered.iter().any(|d| *d > 0) {
                    return Ok(());
                }
                let key = format!("cancel-{}", o.id);
                let r = self.ledger.cancel_unpaid_order(meta(&key), o.id);
                match (o.confirmed && o.total() > 0, o.cancelled, o.paid > 0) {
                    // A free order (or one never confirmed) has nothing booked to reverse.
                    (false, _, _) => {
                        prop_assert_eq!(r, Ok(Posted::NothingToBook));
                        self.orders[i].cancelled |= self.orders[i].confirmed;
                    }
                    (true, false, false) => {
                        let posted = r.map_err(fail)?;
                        prop_assert_eq!(posted.entry().map(JournalEntry::kind), booked(o, EntryKind::OrderCancelled));
                        self.orders[i].cancelled = true;
                    }
                    (true, true, false) => prop_assert!(matches!(r, Ok(Posted::Replayed(_))), "{:?}", r),
                    (true, _, true) => prop_assert!(matches!(r, Err(LedgerError::Domain(_))), "{:?}", r),
                }
            }
            Cmd::Pay { order, amount } => {
                let Some(i) = self.pick(*order) else { return Ok(()) };
                let o = &self.orders[i];
                let due = o.due();
                let (amount, allowed) = match amount {
                    PayAmount::QuarterOfDue(n) => ((due * i64::from(*n) / 4).max(1), due > 0),
                    PayAmount::ExactlyDue => (due, due > 0),
                    PayAmount::Over(extra) => (due + extra, false),
                    PayAmount::Zero => (0, false),
                    PayAmount::ForeignCurrency => (due.max(1), false),
                };
                let currency = match cmd {
                    Cmd::Pay { amount: PayAmount::ForeignCurrency, .. } => next_currency(o.currency),
                    _ => o.currency,
                };
                let amount = Money::from_minor(amount, currency);
                let key = self.key("pay");
                let r = self.ledger.record_payment(meta(&key), self.orders[i].id, amount);
                if allowed {
                    prop_assert!(matches!(r, Ok(Posted::Recorded(_))), "{:?} refused: {:?}", amount, r);
                    self.orders[i].paid += amount.minor();
                    self.payments.push((key, i, amount));
                } else {
                    prop_assert!(matches!(r, Err(LedgerError::Domain(_))), "{:?} accepted: {:?}", amount, r);
                    prop_assert_eq!(self.ledger.entries().len(), before, "a refused payment wrote something");
                }
            }
            Cmd::Deliver { order, line, quantity } => {
                let Some(i) = self.pick(*order) else { return Ok(()) };
                let o = &mut self.orders[i];
                if o.confirmed && !o.cancelled && *line < o.lines.len() {
                    o.delivered[*line] = (o.delivered[*line] + quantity).min(o.lines[*line].1);
                }
            }
            Cmd::Refund { order, picks, fee_bp, max } => {
                let Some(i) = self.pick(*order) else { return Ok(()) };
                self.refund(i, picks, *fee_bp, *max)?;
            }
            Cmd::ShipCost { order, minor } => {
                let Some(i) = self.pick(*order) else { return Ok(()) };
                let (id, cost) = (self.orders[i].id, Money::from_minor(*minor, self.orders[i].currency));
                let key = self.key("ship");
                let r = self.ledger.record_shipment_cost(meta(&key), id, cost).map_err(fail)?;
                prop_assert_eq!(matches!(r, Posted::NothingToBook), *minor == 0);
            }
            Cmd::ReplayPayment { pick, tamper } => {
                if self.payments.is_empty() {
                    return Ok(());
                }
                let (key, i, amount) = self.payments[pick % self.payments.len()].clone();
                let id = self.orders[i].id;
                let original = self.ledger.entry_by_key(&key).cloned();
                let later = EntryMeta::new(Uuid::from_u128(u128::MAX - self.step as u128), key.clone(), now());
                if *tamper {
                    let more = Money::from_minor(amount.minor() + 1, amount.currency());
                    let r = self.ledger.record_payment(later, id, more);
                    prop_assert!(matches!(r, Err(LedgerError::IdempotencyConflict { .. })), "{:?}", r);
                } else {
                    let r = self.ledger.record_payment(later, id, amount);
                    prop_assert_eq!(r, Ok(Posted::Replayed(original.expect("recorded payment"))));
                }
                prop_assert_eq!(self.ledger.entries().len(), before, "a replay or conflict wrote something");
            }
        }
        Ok(())
    }

    fn confirm(&mut self, i: usize, fresh_key: bool) -> Result<(), TestCaseError> {
        let o = self.orders[i].clone();
        let total = Money::from_minor(o.total(), o.currency);
        let key = if fresh_key { self.key("confirm") } else { format!("confirm-{}", o.id) };
        let r = self.ledger.confirm_order(meta(&key), o.id, total);
        if o.total() == 0 {
            prop_assert_eq!(r, Ok(Posted::NothingToBook));
            self.orders[i].confirmed = true;
        } else if let Some(first) = &o.confirm_key {
            if *first == key {
                prop_assert!(matches!(r, Ok(Posted::Replayed(_))), "{:?}", r);
            } else {
                prop_assert!(matches!(r, Err(LedgerError::Domain(DomainError::InvalidState(_)))), "{:?}", r);
            }
        } else {
            let posted = r.map_err(fail)?;
            prop_assert_eq!(posted.entry().map(JournalEntry::kind), Some(EntryKind::OrderConfirmed));
            self.orders[i].confirmed = true;
            self.orders[i].confirm_key = Some(key);
        }
        Ok(())
    }

    fn refund(&mut self, i: usize, picks: &[(usize, u32)], fee_bp: u32, max: Option<i64>) -> Result<(), TestCaseError> {
        let o = self.orders[i].clone();
        // A return takes only delivered units not yet returned, one pick per line.
        let mut taken = vec![0u32; o.lines.len()];
        for (line, q) in picks {
            let l = line % o.lines.len();
            let available = o.delivered[l] - o.returned[l] - taken[l];
            taken[l] += (*q).min(available);
        }
        let returned: Vec<ReturnedLine> = taken
            .iter()
            .enumerate()
            .filter(|(_, q)| **q > 0)
            .map(|(l, q)| ReturnedLine { unit_price: Money::from_minor(o.lines[l].0, o.currency), quantity: *q })
            .collect();
        if returned.is_empty() {
            return Ok(());
        }
        let policy = RefundPolicy {
            restocking_fee: FeeRate::from_basis_points(fee_bp).map_err(fail)?,
            max_refund_amount: max.map(|m| Money::from_minor(m, o.currency)),
        };
        let key = self.key("refund");
        let (quote, posted) = self.ledger.process_refund(meta(&key), o.id, &returned, &policy).map_err(fail)?;

        let gross: i64 = returned.iter().map(|l| l.unit_price.minor() * i64::from(l.quantity)).sum();
        let fee = reference_fee(gross, fee_bp);
        let remaining = o.paid - o.refunded;
        let expected = (gross - fee).min(max.unwrap_or(i64::MAX)).min(remaining);
        prop_assert_eq!(quote.gross().minor(), gross);
        prop_assert_eq!(quote.restocking_fee().minor(), fee);
        prop_assert_eq!(quote.amount().minor(), expected);
        prop_assert_eq!(quote.cap_applied() == CapApplied::None, expected == gross - fee);
        prop_assert!(quote.amount().minor() <= remaining, "refund above paid − refunded");
        if let Some(m) = max {
            prop_assert!(quote.amount().minor() <= m, "refund {} above max {}", quote.amount(), m);
        }
        prop_assert_eq!(matches!(posted, Posted::NothingToBook), expected == 0 && fee == 0);
        if posted.entry().is_some() {
            self.refund_caps.insert(key, max);
        }
        let o = &mut self.orders[i];
        o.refunded += expected;
        for (l, q) in taken.iter().enumerate() {
            o.returned[l] += q;
        }
        Ok(())
    }

    fn check_invariants(&self) -> Result<(), TestCaseError> {
        let entries = self.ledger.entries();
        for e in entries {
            prop_assert!(e.postings().len() >= 2);
            let mut net: BTreeMap<&str, i128> = BTreeMap::new();
            for p in e.postings() {
                prop_assert!(p.amount().minor() > 0, "posting {:?}", p);
                let signed = i128::from(p.amount().minor());
                *net.entry(p.amount().currency().code()).or_insert(0) +=
                    if p.side() == Side::Debit { signed } else { -signed };
            }
            prop_assert!(net.values().all(|v| *v == 0), "entry {} unbalanced: {:?}", e.idempotency_key(), net);
        }
        let tb = self.ledger.trial_balance();
        prop_assert!(tb.values().all(|v| *v == 0), "trial balance {:?}", tb);
        let accounts = self.ledger.account_balances();
        for o in &self.orders {
            let b = self.ledger.order_balance(o.id, o.currency).map_err(fail)?;
            prop_assert!(b.refunded().minor() <= b.paid().minor(), "refunded above paid: {:?}", b);
            prop_assert!(b.paid().minor() <= b.total().minor() || o.cancelled, "overpaid: {:?}", b);
            prop_assert!(b.due().minor() >= 0, "negative due: {:?}", b);
            prop_assert_eq!(b.total().minor(), o.booked_total());
            prop_assert_eq!(b.paid().minor(), o.paid);
            prop_assert_eq!(b.refunded().minor(), o.refunded);
            let receivable = accounts.get(&(Account::Receivable(o.id), o.currency.code())).copied().unwrap_or(0);
            prop_assert_eq!(i128::from(b.due().minor()), receivable);
        }
        for e in entries.iter().filter(|e| e.kind() == EntryKind::RefundProcessed) {
            let paid_back: i64 = e
                .postings()
                .iter()
                .filter(|p| p.account() == Account::Cash && p.side() == Side::Credit)
                .map(|p| p.amount().minor())
                .sum();
            if let Some(Some(max)) = self.refund_caps.get(e.idempotency_key()) {
                prop_assert!(paid_back <= *max, "refund {} above max {}", paid_back, max);
            }
        }
        Ok(())
    }
}

/// Half up on the exact fee, written independently of `FeeRate::fee_on`: floor, then one more
/// minor unit when the remainder is at least half.
fn reference_fee(gross: i64, bp: u32) -> i64 {
    let exact = i128::from(gross) * i128::from(bp);
    let (floor, rest) = (exact / 10_000, exact % 10_000);
    (floor + i128::from(rest * 2 >= 10_000)) as i64
}

fn next_currency(c: Currency) -> Currency {
    let at = CURRENCIES.iter().position(|code| *code == c.code()).unwrap_or(0);
    cur(CURRENCIES[(at + 1) % CURRENCIES.len()])
}

/// The kind of entry a command should book for `o`: none for a free order.
fn booked(o: &ModelOrder, kind: EntryKind) -> Option<EntryKind> {
    (o.total() > 0).then_some(kind)
}

fn fail(e: impl std::fmt::Debug) -> TestCaseError {
    TestCaseError::fail(format!("unexpected refusal: {e:?}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_keep_the_books_honest(
        first in (0usize..3, lines()),
        cmds in prop::collection::vec(cmd(), 1..40),
    ) {
        let mut run = Run {
            ledger: Ledger::new(tenant()),
            orders: Vec::new(),
            payments: Vec::new(),
            refund_caps: BTreeMap::new(),
            step: 0,
        };
        run.apply(&Cmd::NewOrder { currency: first.0, lines: first.1, confirm: true })?;
        run.check_invariants()?;
        for cmd in &cmds {
            run.apply(cmd)?;
            run.check_invariants()?;
        }
        // The journal survives a store-and-load round trip unchanged.
        let back = Ledger::restore(tenant(), run.ledger.entries().to_vec()).map_err(fail)?;
        prop_assert_eq!(back, run.ledger);
    }

    #[test]
    fn quotes_respect_both_caps_and_the_rounding_rule(
        currency in 0usize..3,
        lines in prop::collection::vec((0i64..=10_000_000, 1u32..=1_000), 1..=4),
        fee_bp in 0u32..=10_000,
        max in prop::option::of(0i64..=1_000_000_000),
        paid in 0i64..=1_000_000_000,
        refunded_share in 0u8..=4,
    ) {
        let c = cur(CURRENCIES[currency]);
        let m = |minor| Money::from_minor(minor, c);
        let refunded = paid * i64::from(refunded_share) / 4;
        let returned: Vec<ReturnedLine> =
            lines.iter().map(|(p, q)| ReturnedLine { unit_price: m(*p), quantity: *q }).collect();
        let policy = RefundPolicy {
            restocking_fee: FeeRate::from_basis_points(fee_bp).map_err(fail)?,
            max_refund_amount: max.map(m),
        };
        let q = quote_refund(&returned, &policy, m(paid), m(refunded)).map_err(fail)?;
        let gross: i64 = lines.iter().map(|(p, q)| p * i64::from(*q)).sum();
        prop_assert_eq!(q.gross().minor(), gross);
        prop_assert_eq!(q.restocking_fee().minor(), reference_fee(gross, fee_bp));
        prop_assert!(q.amount().minor() >= 0);
        prop_assert!(q.amount().minor() <= paid - refunded);
        prop_assert!(max.is_none_or(|mx| q.amount().minor() <= mx));
        prop_assert_eq!(q.amount().minor() + q.restocking_fee().minor() + q.withheld_by_cap().minor(), gross);
        prop_assert_eq!(q.withheld_by_cap().minor() == 0, q.cap_applied() == CapApplied::None);
        // The fee is the rate applied to the gross, off by at most half a minor unit.
        let exact_times_full = i128::from(gross) * i128::from(fee_bp);
        let error = (i128::from(q.restocking_fee().minor()) * 10_000 - exact_times_full).abs();
        prop_assert!(error <= 5_000);
    }
}
