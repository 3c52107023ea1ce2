//! A small fake NIC for the driver's unit tests: registers with the reset
//! and read-clear behaviour the driver depends on, host memory with mapping
//! checks, a log of every register and memory access in order, and a clock.
//! It has no DMA engine: tests play the device by writing descriptors and
//! buffers themselves, which lets them hand the driver exactly the values a
//! broken or hostile device might.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use stack::time::Instant;

use crate::hal::{DmaAddr, DmaDirection, DmaError, DmaMemory, Platform, RegisterAccess};
use crate::regs::{Ctrl, REGISTERS, reg};

/// One access, in program order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Read(u32, u32),
    Write(u32, u32),
    /// CPU write of host memory (address, length).
    Mem(u64, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Coherent,
    Mapped(DmaDirection),
}

#[derive(Debug, Default)]
pub struct State {
    pub regs: BTreeMap<u32, u32>,
    pub log: Vec<Access>,
    pub regions: BTreeMap<u64, (Vec<u8>, Kind)>,
    next_addr: u64,
    pub now_ns: u64,
    /// CTRL.RST clears this long after it is set; `None`: never.
    pub rst_ns: Option<u64>,
    rst_at: Option<u64>,
    /// Fail `map` after this many more successes.
    pub map_budget: Option<usize>,
    pub irq: bool,
    /// The link_up input: STATUS.LU.
    pub link: bool,
}

impl State {
    fn reset_regs(&mut self) {
        self.regs.clear();
        for r in REGISTERS {
            for i in 0..r.count {
                self.regs.insert(r.offset + i * r.stride, r.reset);
            }
        }
        self.set_link(self.link);
    }

    /// Drive the link input (no LSC: tests raise causes themselves).
    pub fn set_link(&mut self, up: bool) {
        self.link = up;
        let s = self.reg(reg::STATUS);
        let lu = crate::regs::Status::LU.bits();
        self.regs
            .insert(reg::STATUS, if up { s | lu } else { s & !lu });
    }

    fn region(&mut self, addr: u64, len: usize) -> Result<&mut [u8], DmaError> {
        let (&base, (mem, _)) = self
            .regions
            .range_mut(..=addr)
            .next_back()
            .ok_or(DmaError::NotMapped { addr, len })?;
        let off = (addr - base) as usize;
        if off + len > mem.len() {
            return Err(DmaError::NotMapped { addr, len });
        }
        Ok(&mut mem[off..off + len])
    }

    /// Device-side write (the test playing the NIC).
    pub fn dev_write(&mut self, addr: u64, data: &[u8]) {
        self.region(addr, data.len())
            .expect("device write inside a mapping")
            .copy_from_slice(data);
    }

    /// Device-side read.
    pub fn dev_read(&mut self, addr: u64, len: usize) -> Vec<u8> {
        self.region(addr, len)
            .expect("device read inside a mapping")
            .to_vec()
    }

    pub fn reg(&self, off: u32) -> u32 {
        self.regs.get(&off).copied().unwrap_or(0)
    }

    pub fn mapped(&self, dir: DmaDirection) -> usize {
        self.regions
            .values()
            .filter(|(_, k)| *k == Kind::Mapped(dir))
            .count()
    }

    /// Index in the log of the first write of `value` to `off`.
    pub fn first_write(&self, off: u32) -> Option<usize> {
        self.log
            .iter()
            .position(|a| matches!(a, Access::Write(o, _) if *o == off))
    }

    pub fn writes_to(&self, off: u32) -> Vec<u32> {
        self.log
            .iter()
            .filter_map(|a| match a {
                Access::Write(o, v) if *o == off => Some(*v),
                _ => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Fake(pub Rc<RefCell<State>>);

impl Fake {
    pub fn new() -> Fake {
        let mut s = State {
            next_addr: 0x1_0000_0000,
            rst_ns: Some(3_000),
            link: true,
            ..State::default()
        };
        s.reset_regs();
        Fake(Rc::new(RefCell::new(s)))
    }
    pub fn st(&self) -> std::cell::RefMut<'_, State> {
        self.0.borrow_mut()
    }
}

impl RegisterAccess for Fake {
    fn read32(&mut self, offset: u32) -> u32 {
        let mut s = self.0.borrow_mut();
        if offset == reg::CTRL {
            if let (Some(at), Some(d)) = (s.rst_at, s.rst_ns) {
                if s.now_ns >= at + d {
                    s.rst_at = None;
                    let mac = (s.reg(reg::RAL0), s.reg(reg::RAH0));
                    s.reset_regs();
                    // Like a NIC loading its address from EEPROM.
                    s.regs.insert(reg::RAL0, mac.0);
                    s.regs.insert(reg::RAH0, mac.1);
                }
            }
        }
        let v = s.reg(offset);
        let clears = REGISTERS
            .iter()
            .any(|r| r.offset == offset && r.access == crate::regs::Access::ReadClear);
        if clears {
            s.regs.insert(offset, 0);
        }
        s.log.push(Access::Read(offset, v));
        v
    }

    fn write32(&mut self, offset: u32, value: u32) {
        let mut s = self.0.borrow_mut();
        s.log.push(Access::Write(offset, value));
        match offset {
            reg::IMS => {
                let v = s.reg(reg::IMS) | value;
                s.regs.insert(reg::IMS, v);
            }
            reg::IMC => {
                let v = s.reg(reg::IMS) & !value;
                s.regs.insert(reg::IMS, v);
            }
            reg::ICS => {
                let v = s.reg(reg::ICR) | value;
                s.regs.insert(reg::ICR, v);
            }
            reg::CTRL if Ctrl(value).contains(Ctrl::RST) => {
                s.rst_at = Some(s.now_ns);
                s.regs.insert(reg::CTRL, value);
            }
            _ => {
                s.regs.insert(offset, value);
            }
        }
    }
}

impl DmaMemory for Fake {
    fn alloc_coherent(&mut self, len: usize, align: usize) -> Result<DmaAddr, DmaError> {
        let mut s = self.0.borrow_mut();
        let a = s.next_addr.div_ceil(align as u64) * align as u64;
        s.next_addr = a + len as u64 + 64;
        s.regions.insert(a, (vec![0; len], Kind::Coherent));
        Ok(DmaAddr(a))
    }
    fn free_coherent(&mut self, addr: DmaAddr, len: usize) -> Result<(), DmaError> {
        let mut s = self.0.borrow_mut();
        match s.regions.get(&addr.0) {
            Some((m, Kind::Coherent)) if m.len() == len => {
                s.regions.remove(&addr.0);
                Ok(())
            }
            _ => Err(DmaError::NotMapped { addr: addr.0, len }),
        }
    }
    fn map(&mut self, len: usize, dir: DmaDirection) -> Result<DmaAddr, DmaError> {
        {
            let mut s = self.0.borrow_mut();
            if let Some(b) = s.map_budget.as_mut() {
                if *b == 0 {
                    return Err(DmaError::OutOfMemory);
                }
                *b -= 1;
            }
        }
        let a = self.alloc_coherent(len, 64)?;
        self.0
            .borrow_mut()
            .regions
            .get_mut(&a.0)
            .expect("just inserted")
            .1 = Kind::Mapped(dir);
        Ok(a)
    }
    fn unmap(&mut self, addr: DmaAddr, len: usize, dir: DmaDirection) -> Result<(), DmaError> {
        let mut s = self.0.borrow_mut();
        match s.regions.get(&addr.0) {
            Some((m, Kind::Mapped(d))) if m.len() == len && *d == dir => {
                s.regions.remove(&addr.0);
                Ok(())
            }
            _ => panic!(
                "unmap of {len} bytes at {:#x} ({dir:?}) that is not such a mapping",
                addr.0
            ),
        }
    }
    fn read(&mut self, addr: DmaAddr, buf: &mut [u8]) -> Result<(), DmaError> {
        let mut s = self.0.borrow_mut();
        buf.copy_from_slice(s.region(addr.0, buf.len())?);
        Ok(())
    }
    fn write(&mut self, addr: DmaAddr, data: &[u8]) -> Result<(), DmaError> {
        let mut s = self.0.borrow_mut();
        s.region(addr.0, data.len())?.copy_from_slice(data);
        s.log.push(Access::Mem(addr.0, data.len()));
        Ok(())
    }
}

impl Platform for Fake {
    fn irq_asserted(&mut self) -> bool {
        let s = self.0.borrow();
        s.irq || s.reg(reg::ICR) & s.reg(reg::IMS) != 0
    }
    fn now(&self) -> Instant {
        Instant::from_nanos(self.0.borrow().now_ns)
    }
    fn delay_ns(&mut self, ns: u64) {
        self.0.borrow_mut().now_ns += ns;
    }
}
