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

/// The process's allocator: the system allocator with relaxed counters of
/// allocations and bytes (`stats_alloc`), so `nicsim bench` can report heap
/// allocations per packet. The counters cost an atomic add per allocation.
#[global_allocator]
pub static ALLOCATOR: &stats_alloc::StatsAlloc<std::alloc::System> =
    &stats_alloc::INSTRUMENTED_SYSTEM;
