//! Composition root of tenant-oms: wires the infrastructure adapters into the use cases and the
//! HTTP interface. The binary (`main.rs`) and the end-to-end tests both start the app through here.

pub mod app;
pub mod demo;
pub mod metrics_export;
pub mod telemetry;
pub mod validate_flows;
pub mod workers;
