//! nicsim's simulation side: the Verilated NIC, the agents that drive and
//! sample its pins every clock, host memory with a DMA sanitizer, the GMII
//! wire, captures and waveforms.
#![deny(unsafe_code)]

pub mod axi_check;
pub mod axi_mem;
pub mod axil;
pub mod bench;
pub mod ffi;
pub mod gmii;
pub mod hal;
pub mod hostmem;
pub mod model;
pub mod pcap;
pub mod tap;
pub mod world;

pub use hal::{SharedHardware, SimDma, SimPlatform, SimRegs};
pub use world::{Hardware, SimError, WorldConfig};
