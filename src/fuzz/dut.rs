//! What the fuzz harness needs from a device under test, and the reference
//! model behind the same interface (so the harness can also be pointed at a
//! model with a planted bug, see [`sim::model::Mutation`]).

use std::path::Path;

use driver::hal::{DmaAddr, DmaMemory};
use sim::hostmem::{HostMemory, RegionKind, Violation};
use sim::model::{ModelConfig, NicModel, RxFrame};

use super::ops::BusProfile;

/// Why a device under test could not do what the harness asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DutError {
    /// It did not become quiescent within the bound (cycles or ns).
    Hang { waited: u64 },
    /// The memory layout could not be set up.
    Map { addr: u64, len: usize },
    /// Anything else the back end reports (protocol checker, FFI).
    Backend(String),
}

impl core::fmt::Display for DutError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DutError::Hang { waited } => write!(f, "not quiescent after {waited}"),
            DutError::Map { addr, len } => write!(f, "cannot map {len} bytes at {addr:#x}"),
            DutError::Backend(s) => write!(f, "back end: {s}"),
        }
    }
}

impl std::error::Error for DutError {}

/// A NIC with its host memory, driven one operation at a time. Every
/// operation returns once its direct effect is done; [`Dut::settle`] then
/// lets the device finish everything it can do on its own.
pub trait Dut {
    /// A short name for reports ("model", "rtl", "model+IgnoreEop").
    fn name(&self) -> String;
    /// Allocate `len` zeroed bytes of host memory of `kind` (the back
    /// end's allocator chooses the address; the harness maps the reference
    /// model's memory at the same address).
    fn alloc(&mut self, len: usize, kind: RegionKind) -> Result<u64, DutError>;
    fn cpu_write(&mut self, addr: u64, data: &[u8]);
    fn cpu_read(&mut self, addr: u64, buf: &mut [u8]);
    fn read32(&mut self, offset: u32) -> u32;
    fn write32(&mut self, offset: u32, value: u32);
    /// A frame arrives on the receive side.
    fn inject(&mut self, frame: &RxFrame);
    fn set_link(&mut self, up: bool);
    /// Device accesses touching `[addr, addr + len)` fail with SLVERR.
    fn fault(&mut self, addr: u64, len: u64);
    fn clear_faults(&mut self);
    /// Memory latency and backpressure (untimed back ends ignore it).
    fn bus(&mut self, _profile: BusProfile) {}
    /// Let `ns` of simulated time pass.
    fn wait_ns(&mut self, ns: u64);
    /// Run until nothing is left to do on its own (timers expired, DMA
    /// idle, FIFOs empty or blocked), within a bound.
    fn settle(&mut self) -> Result<(), DutError>;
    /// Frames transmitted since the last call, bytes after the SFD.
    fn take_wire(&mut self) -> Vec<Vec<u8>>;
    fn irq(&mut self) -> bool;
    /// Device accesses the memory sanitizer refused so far.
    fn violations(&self) -> Vec<Violation>;
    /// Start writing a waveform to `path`; `Ok(false)` when the back end
    /// has none.
    fn trace(&mut self, _path: &Path) -> Result<bool, DutError> {
        Ok(false)
    }
}

/// The reference model as a [`Dut`].
#[derive(Debug, Clone)]
pub struct ModelDut {
    pub nic: NicModel,
    pub mem: HostMemory,
}

impl ModelDut {
    pub fn new(cfg: ModelConfig) -> ModelDut {
        ModelDut {
            nic: NicModel::new(cfg),
            // Allocations start at 4 GiB (hostmem::HOST_BASE), so the high
            // base registers matter.
            mem: HostMemory::new(),
        }
    }

    /// Map `len` bytes at `addr` (the reference follows the device's
    /// allocator).
    pub fn map_at(&mut self, addr: u64, len: usize, kind: RegionKind) -> Result<(), DutError> {
        self.mem
            .map_at(addr, len, kind)
            .map_err(|_| DutError::Map { addr, len })
    }
}

impl Dut for ModelDut {
    fn name(&self) -> String {
        match self.nic.config().mutation {
            None => "model".into(),
            Some(m) => format!("model+{m:?}"),
        }
    }
    fn alloc(&mut self, len: usize, kind: RegionKind) -> Result<u64, DutError> {
        let r = match kind {
            RegionKind::Coherent => self.mem.alloc_coherent(len, 128),
            RegionKind::Streaming(dir) => self.mem.map(len, dir),
        };
        r.map(|a| a.0).map_err(|_| DutError::Map { addr: 0, len })
    }
    fn cpu_write(&mut self, addr: u64, data: &[u8]) {
        // The harness writes only inside regions it mapped.
        let _ = self.mem.write(DmaAddr(addr), data);
    }
    fn cpu_read(&mut self, addr: u64, buf: &mut [u8]) {
        let _ = self.mem.read(DmaAddr(addr), buf);
    }
    fn read32(&mut self, offset: u32) -> u32 {
        self.nic.read32(offset)
    }
    fn write32(&mut self, offset: u32, value: u32) {
        self.nic.write32(offset, value, &mut self.mem);
    }
    fn inject(&mut self, frame: &RxFrame) {
        self.nic.receive(frame, &mut self.mem);
    }
    fn set_link(&mut self, up: bool) {
        self.nic.set_link(up);
    }
    fn fault(&mut self, addr: u64, len: u64) {
        self.mem.inject_fault(addr, len);
    }
    fn clear_faults(&mut self) {
        self.mem.clear_faults();
    }
    fn wait_ns(&mut self, ns: u64) {
        let t = self.nic.now().saturating_add(ns);
        self.nic.advance(t);
    }
    fn settle(&mut self) -> Result<(), DutError> {
        self.nic.settle();
        if self.nic.hung() {
            return Err(DutError::Hang {
                waited: self.nic.now(),
            });
        }
        Ok(())
    }
    fn take_wire(&mut self) -> Vec<Vec<u8>> {
        self.nic.take_wire_frames()
    }
    fn irq(&mut self) -> bool {
        self.nic.irq()
    }
    fn violations(&self) -> Vec<Violation> {
        self.mem.violations().to_vec()
    }
}
