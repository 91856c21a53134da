//! Armed failures: the next call of an operation answers a chosen error, once, so a test can
//! drive the runner through a lost race or a failed commit without a real database misbehaving.

use std::{collections::HashMap, sync::Mutex};

use super::lock;
use crate::ports::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Op {
    Insert,
    Update,
    Commit,
}

#[derive(Debug, Default)]
pub(super) struct Faults(Mutex<HashMap<Op, StoreError>>);

impl Faults {
    /// Replaces an armed failure of the same operation: the last instruction of a test wins.
    pub(super) fn arm(&self, op: Op, error: StoreError) {
        lock(&self.0).insert(op, error);
    }

    /// Fires the armed failure, if any, and disarms it.
    pub(super) fn fire(&self, op: Op) -> Result<(), StoreError> {
        match lock(&self.0).remove(&op) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}
