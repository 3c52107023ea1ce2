//! An e1000-style NIC driver, generic over register access, DMA memory and
//! an interrupt line ([`hal`]). Nothing here knows whether the NIC is RTL in
//! a simulator, a reference model, or something else.
#![deny(unsafe_code)]

pub mod desc;
pub mod hal;
pub mod regs;
