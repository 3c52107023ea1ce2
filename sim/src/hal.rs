//! The driver's platform traits implemented on the simulated hardware.
//!
//! [`SimRegs`] turns `read32`/`write32` into AXI4-Lite transactions that
//! cost simulated time; [`SimDma`] is the NIC's host memory with the
//! sanitizer; [`SimPlatform`] is the interrupt line and the clock. All three
//! share the [`Hardware`] through [`SharedHardware`]. A failure inside a trait
//! method that cannot return it (bus timeout, protocol violation) is recorded
//! in the hardware ([`Hardware::first_error`]) and the access returns all
//! ones, like a master abort on PCI.

use crate::world::{Hardware, SimError};
use driver::hal::{DmaAddr, DmaDirection, DmaError, DmaMemory, Platform, RegisterAccess};
use stack::time::Instant;
use std::cell::RefCell;
use std::rc::Rc;

/// The hardware shared by every handle of one world.
pub type SharedHardware = Rc<RefCell<Hardware>>;

/// Wrap a hardware for the handles.
pub fn share(hw: Hardware) -> SharedHardware {
    Rc::new(RefCell::new(hw))
}

/// Register access to NIC `nic`.
#[derive(Clone)]
pub struct SimRegs {
    pub hw: SharedHardware,
    pub nic: usize,
}

impl RegisterAccess for SimRegs {
    fn read32(&mut self, offset: u32) -> u32 {
        let mut hw = self.hw.borrow_mut();
        match hw.read32(self.nic, offset) {
            Ok(v) => v,
            Err(e) => {
                hw.record_error(e);
                u32::MAX
            }
        }
    }

    fn write32(&mut self, offset: u32, value: u32) {
        let mut hw = self.hw.borrow_mut();
        if let Err(e) = hw.write32(self.nic, offset, value) {
            hw.record_error(e);
        }
    }
}

/// DMA memory of NIC `nic`'s host.
#[derive(Clone)]
pub struct SimDma {
    pub hw: SharedHardware,
    pub nic: usize,
}

impl DmaMemory for SimDma {
    fn alloc_coherent(&mut self, len: usize, align: usize) -> Result<DmaAddr, DmaError> {
        self.hw
            .borrow_mut()
            .mem(self.nic)
            .alloc_coherent(len, align)
    }
    fn free_coherent(&mut self, addr: DmaAddr, len: usize) -> Result<(), DmaError> {
        self.hw.borrow_mut().mem(self.nic).free_coherent(addr, len)
    }
    fn map(&mut self, len: usize, dir: DmaDirection) -> Result<DmaAddr, DmaError> {
        self.hw.borrow_mut().mem(self.nic).map(len, dir)
    }
    fn unmap(&mut self, addr: DmaAddr, len: usize, dir: DmaDirection) -> Result<(), DmaError> {
        self.hw.borrow_mut().mem(self.nic).unmap(addr, len, dir)
    }
    fn read(&mut self, addr: DmaAddr, buf: &mut [u8]) -> Result<(), DmaError> {
        self.hw.borrow_mut().mem(self.nic).read(addr, buf)
    }
    fn write(&mut self, addr: DmaAddr, data: &[u8]) -> Result<(), DmaError> {
        self.hw.borrow_mut().mem(self.nic).write(addr, data)
    }
}

/// Interrupt line of NIC `nic` and the simulated clock.
#[derive(Clone)]
pub struct SimPlatform {
    pub hw: SharedHardware,
    pub nic: usize,
}

impl Platform for SimPlatform {
    fn irq_asserted(&mut self) -> bool {
        self.hw.borrow().irq(self.nic)
    }
    fn now(&self) -> Instant {
        self.hw.borrow().now()
    }
    fn delay_ns(&mut self, ns: u64) {
        let mut hw = self.hw.borrow_mut();
        let cycles = ns.div_ceil(crate::world::CLK_NS);
        if let Err(e) = hw.run(cycles) {
            hw.record_error(e);
        }
    }
}

/// The three handles for NIC `nic`.
pub fn handles(hw: &SharedHardware, nic: usize) -> (SimRegs, SimDma, SimPlatform) {
    (
        SimRegs {
            hw: hw.clone(),
            nic,
        },
        SimDma {
            hw: hw.clone(),
            nic,
        },
        SimPlatform {
            hw: hw.clone(),
            nic,
        },
    )
}

/// Report the first recorded error of a shared hardware; later ones stay
/// recorded (nothing is lost: the run's final check lists them).
pub fn check(hw: &SharedHardware) -> Result<(), SimError> {
    hw.borrow_mut().take_first_error().map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{SimError, WorldConfig};

    #[test]
    fn check_reports_the_first_error_and_keeps_the_rest() {
        let hw = share(Hardware::new(WorldConfig::default()));
        let err = |what: &str| SimError::Timeout {
            what: what.into(),
            cycles: 1,
            cycle: 0,
        };
        assert!(check(&hw).is_ok());
        hw.borrow_mut().record_error(err("first"));
        hw.borrow_mut().record_error(err("second"));
        match check(&hw) {
            Err(SimError::Timeout { what, .. }) => assert_eq!(what, "first"),
            other => panic!("{other:?}"),
        }
        let rest = hw.borrow_mut().take_errors();
        assert!(
            matches!(rest.as_slice(), [SimError::Timeout { what, .. }] if what == "second"),
            "{rest:?}"
        );
    }
}
