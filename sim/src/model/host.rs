//! The reference model as a back end for the driver: one NIC model and its
//! host memory behind shared handles that implement the driver's HAL
//! traits ([`RegisterAccess`], [`DmaMemory`], [`Platform`]), plus the
//! frame-level wire.
//!
//! Register accesses take no simulated time (set
//! [`ModelHost::set_access_ns`] to charge some); time moves when software
//! calls [`Platform::delay_ns`] or the owner calls [`ModelHost::advance`].
//!
//! ```text
//!   driver ──RegisterAccess──► ModelRegs ─┐
//!          ──DmaMemory───────► ModelDma  ─┼─► Rc<RefCell<ModelWorld>> ─► NicModel + HostMemory
//!          ──Platform────────► ModelPlatform┘                   ▲  │
//!                                            inject_rx(frame) ──┘  └─► take_tx() frames on the wire
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use driver::hal::{DmaAddr, DmaDirection, DmaError, DmaMemory, Platform, RegisterAccess};
use stack::time::Instant;

use super::{ModelConfig, NicModel, RxFrame};
use crate::hostmem::{HostMemory, Violation};

/// The model and its host memory.
#[derive(Debug)]
pub struct ModelWorld {
    pub nic: NicModel,
    pub mem: HostMemory,
    access_ns: u64,
}

/// A handle to one modelled NIC with its host memory. Cloning shares it.
#[derive(Debug, Clone)]
pub struct ModelHost {
    world: Rc<RefCell<ModelWorld>>,
}

impl Default for ModelHost {
    fn default() -> Self {
        ModelHost::new(ModelConfig::default())
    }
}

impl ModelHost {
    /// A NIC model with the link up and an empty host memory.
    pub fn new(cfg: ModelConfig) -> ModelHost {
        let mut nic = NicModel::new(cfg);
        nic.set_link(true);
        // The power-on link event is not a change software should see.
        let _ = nic.read32(driver::regs::reg::ICR);
        ModelHost {
            world: Rc::new(RefCell::new(ModelWorld {
                nic,
                mem: HostMemory::new(),
                access_ns: 0,
            })),
        }
    }

    /// The three HAL handles the driver is generic over.
    pub fn handles(&self) -> (ModelRegs, ModelDma, ModelPlatform) {
        (
            ModelRegs(self.clone()),
            ModelDma(self.clone()),
            ModelPlatform(self.clone()),
        )
    }

    /// Direct access to the model and memory (tests, the fuzz harness).
    pub fn with<R>(&self, f: impl FnOnce(&mut ModelWorld) -> R) -> R {
        f(&mut self.world.borrow_mut())
    }

    /// Simulated time each register access costs (default 0).
    pub fn set_access_ns(&self, ns: u64) {
        self.world.borrow_mut().access_ns = ns;
    }

    /// Frames transmitted since the last call, with pad and FCS as on the
    /// wire.
    pub fn take_tx(&self) -> Vec<Vec<u8>> {
        self.world.borrow_mut().nic.take_wire_frames()
    }

    /// A frame arrives on the receive side (bytes after the SFD, FCS
    /// included).
    pub fn inject_rx(&self, frame: &RxFrame) {
        let w = &mut *self.world.borrow_mut();
        w.nic.receive(frame, &mut w.mem);
    }

    /// Drive the link input.
    pub fn set_link(&self, up: bool) {
        self.world.borrow_mut().nic.set_link(up);
    }

    /// Move simulated time forward to `t` (timers fire on the way).
    pub fn advance(&self, t: Instant) {
        self.world.borrow_mut().nic.advance(t.as_nanos());
    }

    pub fn now(&self) -> Instant {
        Instant::from_nanos(self.world.borrow().nic.now())
    }

    /// When the next timer fires, if any is running.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.world
            .borrow()
            .nic
            .next_deadline()
            .map(Instant::from_nanos)
    }

    pub fn irq(&self) -> bool {
        self.world.borrow().nic.irq()
    }

    /// Device accesses the memory sanitizer refused.
    pub fn violations(&self) -> Vec<Violation> {
        self.world.borrow().mem.violations().to_vec()
    }
}

/// Move frames transmitted by `a` into `b` and back, as a cable would
/// (frames keep their FCS). Returns how many frames moved.
pub fn pump(a: &ModelHost, b: &ModelHost) -> usize {
    let mut moved = 0;
    for (from, to) in [(a, b), (b, a)] {
        for bytes in from.take_tx() {
            to.inject_rx(&RxFrame {
                bytes,
                rx_er: false,
            });
            moved += 1;
        }
    }
    moved
}

/// [`RegisterAccess`] on the model.
#[derive(Debug, Clone)]
pub struct ModelRegs(pub ModelHost);

impl RegisterAccess for ModelRegs {
    fn read32(&mut self, offset: u32) -> u32 {
        let w = &mut *self.0.world.borrow_mut();
        let t = w.nic.now() + w.access_ns;
        w.nic.advance(t);
        w.nic.read32(offset)
    }

    fn write32(&mut self, offset: u32, value: u32) {
        let w = &mut *self.0.world.borrow_mut();
        let t = w.nic.now() + w.access_ns;
        w.nic.advance(t);
        w.nic.write32(offset, value, &mut w.mem);
    }
}

/// [`DmaMemory`] on the model's host memory.
#[derive(Debug, Clone)]
pub struct ModelDma(pub ModelHost);

impl DmaMemory for ModelDma {
    fn alloc_coherent(&mut self, len: usize, align: usize) -> Result<DmaAddr, DmaError> {
        self.0.world.borrow_mut().mem.alloc_coherent(len, align)
    }
    fn free_coherent(&mut self, addr: DmaAddr, len: usize) -> Result<(), DmaError> {
        self.0.world.borrow_mut().mem.free_coherent(addr, len)
    }
    fn map(&mut self, len: usize, dir: DmaDirection) -> Result<DmaAddr, DmaError> {
        self.0.world.borrow_mut().mem.map(len, dir)
    }
    fn unmap(&mut self, addr: DmaAddr, len: usize, dir: DmaDirection) -> Result<(), DmaError> {
        self.0.world.borrow_mut().mem.unmap(addr, len, dir)
    }
    fn read(&mut self, addr: DmaAddr, buf: &mut [u8]) -> Result<(), DmaError> {
        self.0.world.borrow_mut().mem.read(addr, buf)
    }
    fn write(&mut self, addr: DmaAddr, data: &[u8]) -> Result<(), DmaError> {
        self.0.world.borrow_mut().mem.write(addr, data)
    }
}

/// [`Platform`] on the model: the interrupt line and the model's clock.
#[derive(Debug, Clone)]
pub struct ModelPlatform(pub ModelHost);

impl Platform for ModelPlatform {
    fn irq_asserted(&mut self) -> bool {
        self.0.irq()
    }
    fn now(&self) -> Instant {
        self.0.now()
    }
    fn delay_ns(&mut self, ns: u64) {
        let t = self.0.now().as_nanos().saturating_add(ns);
        self.0.advance(Instant::from_nanos(t));
    }
}
