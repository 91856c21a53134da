//! The transport against real HTTP receivers on 127.0.0.1, and its refusal of private targets.

mod receiver;
mod support;

mod answers;
mod delivery;
mod refused_targets;
