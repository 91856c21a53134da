//! Builds validated domain values from command inputs, pointing errors at the input field.

use domain::{
    Currency, Money,
    order::{Address, Customer, NewOrderLine, Package, Pickup, values},
};

use crate::{
    AppError,
    orders::commands::{AddressInput, CustomerInput, MoneyInput, OrderLineInput, PackageInput, PickupInput},
};

pub(crate) fn money(input: &MoneyInput, at: &[&str]) -> Result<Money, AppError> {
    let currency = Currency::new(input.currency.trim()).map_err(|e| AppError::from(e).under(at))?;
    Money::parse(input.amount.trim(), currency).map_err(|e| AppError::from(e).under(at))
}

pub(crate) fn address(input: &AddressInput, at: &[&str]) -> Result<Address, AppError> {
    Address::new(values::AddressInput {
        line1: &input.line1,
        line2: input.line2.as_deref(),
        city: &input.city,
        state: input.state.as_deref(),
        postal_code: input.postal_code.as_deref(),
        country: &input.country,
    })
    .map_err(|e| AppError::from(e).under(at))
}

pub(crate) fn customer(input: &CustomerInput) -> Result<Customer, AppError> {
    Customer::new(input.customer_id.as_deref(), &input.name, &input.email)
        .map_err(|e| AppError::from(e).under(&["customer"]))
}

pub(crate) fn lines(inputs: &[OrderLineInput]) -> Result<Vec<NewOrderLine>, AppError> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let at = i.to_string();
            Ok(NewOrderLine {
                sku: l.sku.clone(),
                name: l.name.clone(),
                vendor_id: l.vendor_id.clone(),
                quantity: l.quantity,
                unit_price: money(&l.unit_price, &["lines", &at, "unitPrice"])?,
                weight_kg: l.weight_kg,
            })
        })
        .collect()
}

pub(crate) fn package(input: &PackageInput) -> Result<Package, AppError> {
    Package::new(input.weight_kg, input.length_cm, input.width_cm, input.height_cm)
        .map_err(|e| AppError::from(e).under(&["package"]))
}

pub(crate) fn pickup(input: &PickupInput) -> Result<Pickup, AppError> {
    let addr = input.address.as_ref().map(|a| address(a, &["pickup", "address"])).transpose()?;
    Pickup::new(addr, input.window_start, input.window_end, input.instructions.as_deref())
        .map_err(|e| AppError::from(e).under(&["pickup"]))
}
