//! nicsim's simulation side: the Verilated NIC, the agents that drive and
//! sample its pins every clock, host memory with a DMA sanitizer, the GMII
//! wire, captures and waveforms.
#![deny(unsafe_code)]

pub mod ffi;
pub mod model;
