//! An e1000-style NIC driver, generic over register access, DMA memory and
//! an interrupt line ([`hal`]). Nothing here knows whether the NIC is RTL in
//! a simulator, a reference model, or something else.
//!
//! - [`regs`], [`desc`]: the register map and descriptors, defined once
//!   (the RTL's `nic_defs.vh` is checked against them).
//! - [`nic`]: the driver ([`Nic`]): probe, transmit, interrupt and NAPI
//!   poll, busy poll, configuration, statistics, recovery; implements
//!   `stack::device::Device`.
#![deny(unsafe_code)]

pub mod desc;
pub mod hal;
pub mod nic;
pub mod regs;
pub mod ring;
pub mod stats;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

pub use nic::{Coalesce, Config, IrqMode, Nic};
