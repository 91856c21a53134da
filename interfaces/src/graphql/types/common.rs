use async_graphql::{ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use domain::order::values;

/// An amount of money: a decimal string with exactly the currency's minor-unit digits.
#[derive(SimpleObject, Clone, Debug)]
pub struct Money {
    /// Decimal string, e.g. `"12.500"` for KWD; never a float.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<domain::Money> for Money {
    fn from(m: domain::Money) -> Self {
        Money { amount: m.amount_string(), currency: m.currency().code().to_owned() }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl From<&values::Address> for Address {
    fn from(a: &values::Address) -> Self {
        Address {
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Customer {
    pub customer_id: Option<String>,
    pub name: String,
    pub email: String,
}

impl From<&values::Customer> for Customer {
    fn from(c: &values::Customer) -> Self {
        Customer { customer_id: c.customer_id.clone(), name: c.name.clone(), email: c.email.clone() }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Package {
    pub weight_kg: f64,
    pub length_cm: f64,
    pub width_cm: f64,
    pub height_cm: f64,
}

impl From<&values::Package> for Package {
    fn from(p: &values::Package) -> Self {
        Package { weight_kg: p.weight_kg, length_cm: p.length_cm, width_cm: p.width_cm, height_cm: p.height_cm }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Pickup {
    pub address: Option<Address>,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub instructions: Option<String>,
}

impl From<&values::Pickup> for Pickup {
    fn from(p: &values::Pickup) -> Self {
        Pickup {
            address: p.address.as_ref().map(Address::from),
            window_start: p.window_start,
            window_end: p.window_end,
            instructions: p.instructions.clone(),
        }
    }
}

/// The caller as the server understands the token.
pub struct Me(pub application::session::Me);

#[Object]
impl Me {
    /// The token's `sub`.
    async fn subject(&self) -> &str {
        &self.0.principal.subject
    }
    async fn tenant_id(&self) -> ID {
        ID(self.0.principal.tenant_id.to_string())
    }
    async fn roles(&self) -> &[String] {
        &self.0.principal.roles
    }
    /// The vendor the caller acts for (the IdP's `vendor_claim`): it then sees only orders
    /// holding that vendor's lines, and only those lines. Null for a caller of the whole tenant.
    async fn vendor_id(&self) -> Option<&str> {
        self.0.principal.vendor_id.as_ref().map(|v| v.as_str())
    }
    /// The tenant's plan.
    async fn plan(&self) -> &str {
        &self.0.plan
    }
    /// What this caller may do: the plan's permissions granted to one of the caller's roles.
    async fn permissions(&self) -> Vec<&'static str> {
        self.0.permissions.iter().map(|p| p.as_str()).collect()
    }
}
