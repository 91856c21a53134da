//! The add-order body: a `CreateOrderInput` as JSON, with the GraphQL input's field names.

use serde::Deserialize;

use crate::orders::{AddressInput, CreateOrder, CustomerInput, MoneyInput, OrderLineInput};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AddOrderBody {
    external_ref: Option<String>,
    customer: CustomerBody,
    shipping_address: Option<AddressBody>,
    #[serde(default)]
    lines: Vec<LineBody>,
    idempotency_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustomerBody {
    customer_id: Option<String>,
    name: String,
    email: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddressBody {
    line1: String,
    line2: Option<String>,
    city: String,
    state: Option<String>,
    postal_code: Option<String>,
    country: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LineBody {
    sku: String,
    name: String,
    vendor_id: String,
    quantity: i64,
    unit_price: MoneyBody,
    weight_kg: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MoneyBody {
    amount: String,
    currency: String,
}

impl AddOrderBody {
    pub(crate) fn into_input(self) -> CreateOrder {
        CreateOrder {
            external_ref: self.external_ref,
            customer: CustomerInput {
                customer_id: self.customer.customer_id,
                name: self.customer.name,
                email: self.customer.email,
            },
            shipping_address: self.shipping_address.map(|a| AddressInput {
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                state: a.state,
                postal_code: a.postal_code,
                country: a.country,
            }),
            lines: self
                .lines
                .into_iter()
                .map(|l| OrderLineInput {
                    sku: l.sku,
                    name: l.name,
                    vendor_id: l.vendor_id,
                    quantity: l.quantity,
                    unit_price: MoneyInput { amount: l.unit_price.amount, currency: l.unit_price.currency },
                    weight_kg: l.weight_kg,
                })
                .collect(),
            idempotency_key: self.idempotency_key,
        }
    }
}
