//! nicsim as a library: the pieces of the command line that tests, the
//! journey and the benchmarks call directly.
#![deny(unsafe_code)]

pub mod bench;
pub mod config;
pub mod fuzz;
pub mod journey;
pub mod linux;
pub mod report;
pub mod scenario;
pub mod system;
pub mod vcdtool;
