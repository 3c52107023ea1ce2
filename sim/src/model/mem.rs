//! Host memory as the reference model's DMA engine sees it.
//!
//! The model reaches host memory only through [`DeviceMemory`]: device reads
//! and writes that can fail like an AXI transaction does (SLVERR for an
//! injected fault, DECERR for an address nobody maps). Any memory with a
//! sanitizer can stand behind it; [`HostMemory`] is the small one the model
//! ships with: coherent allocations and streaming mappings with a direction
//! (like Linux's `dma_alloc_coherent` / `dma_map_single`), a guard gap
//! between allocations so that an overrun lands in unmapped space, and a log
//! of every device access outside a live mapping or against its direction.

use std::collections::BTreeMap;

use driver::hal::{DmaAddr, DmaDirection, DmaError, DmaMemory};

/// Why a device access failed, as the AXI response would say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusError {
    /// SLVERR: the memory refused the access (an injected fault).
    Slave { addr: u64 },
    /// DECERR: no memory answers at this address.
    Decode { addr: u64 },
}

impl BusError {
    pub fn addr(self) -> u64 {
        match self {
            BusError::Slave { addr } | BusError::Decode { addr } => addr,
        }
    }
    /// The AXI response code (2 SLVERR, 3 DECERR), as DMAES.RESP records it.
    pub fn resp(self) -> u32 {
        match self {
            BusError::Slave { .. } => 2,
            BusError::Decode { .. } => 3,
        }
    }
}

impl core::fmt::Display for BusError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BusError::Slave { addr } => write!(f, "SLVERR at {addr:#x}"),
            BusError::Decode { addr } => write!(f, "DECERR at {addr:#x}"),
        }
    }
}

impl std::error::Error for BusError {}

/// What the device does to host memory. Accesses never wrap the address
/// space: an access whose end overflows is a decode error.
pub trait DeviceMemory {
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), BusError>;
    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), BusError>;
}

/// Which kind of allocation a region is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    Coherent,
    Streaming(DmaDirection),
}

#[derive(Debug, Clone)]
struct Region {
    kind: RegionKind,
    data: Vec<u8>,
}

/// A device access the sanitizer refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    pub addr: u64,
    pub len: usize,
    pub write: bool,
    pub reason: ViolationReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationReason {
    /// Not inside one live allocation or mapping.
    Unmapped,
    /// A device write to a `ToDevice` mapping, or a read of `FromDevice`.
    Direction,
}

/// A sparse host memory with allocations, mappings and a sanitizer log.
#[derive(Debug, Clone)]
pub struct HostMemory {
    regions: BTreeMap<u64, Region>,
    next: u64,
    limit: u64,
    faults: Vec<(u64, u64)>,
    violations: Vec<Violation>,
}

/// Unmapped bytes left between two allocations.
const GUARD: u64 = 256;

impl Default for HostMemory {
    fn default() -> Self {
        HostMemory::new(0x1000_0000, 256 << 20)
    }
}

impl HostMemory {
    /// A memory that hands out addresses from `base` for at most `size`
    /// bytes (allocations are never reused, which keeps runs reproducible).
    pub fn new(base: u64, size: u64) -> HostMemory {
        HostMemory {
            regions: BTreeMap::new(),
            next: base,
            limit: base.saturating_add(size),
            faults: Vec::new(),
            violations: Vec::new(),
        }
    }

    /// Make every device access touching `[addr, addr + len)` fail with
    /// SLVERR (an AXI memory's error range).
    pub fn inject_fault(&mut self, addr: u64, len: u64) {
        self.faults.push((addr, addr.saturating_add(len)));
    }

    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Device accesses the sanitizer refused, oldest first.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Live allocations and mappings: (address, length, kind).
    pub fn regions(&self) -> impl Iterator<Item = (u64, usize, RegionKind)> + '_ {
        self.regions.iter().map(|(a, r)| (*a, r.data.len(), r.kind))
    }

    /// Allocate `len` bytes at a chosen address (the fuzz harness places
    /// rings at fixed addresses so that two memories hold the same layout).
    pub fn map_at(&mut self, addr: u64, len: usize, kind: RegionKind) -> Result<(), DmaError> {
        let end = addr.checked_add(len as u64).ok_or(DmaError::Overflow)?;
        if let Some((a, r)) = self.regions.range(..end).next_back() {
            if a + r.data.len() as u64 > addr {
                return Err(DmaError::NotMapped { addr, len });
            }
        }
        self.regions.insert(
            addr,
            Region {
                kind,
                data: vec![0; len],
            },
        );
        Ok(())
    }

    fn alloc(&mut self, len: usize, align: usize, kind: RegionKind) -> Result<DmaAddr, DmaError> {
        let align = align.max(16) as u64;
        if !align.is_power_of_two() {
            return Err(DmaError::Overflow);
        }
        let start = self.next.checked_add(align - 1).ok_or(DmaError::Overflow)? & !(align - 1);
        let end = start.checked_add(len as u64).ok_or(DmaError::Overflow)?;
        if end > self.limit {
            return Err(DmaError::OutOfMemory);
        }
        self.next = end + GUARD;
        self.map_at(start, len, kind)?;
        Ok(DmaAddr(start))
    }

    fn release(&mut self, addr: u64, len: usize, kind: RegionKind) -> Result<(), DmaError> {
        match self.regions.get(&addr) {
            Some(r) if r.data.len() == len && r.kind == kind => {
                self.regions.remove(&addr);
                Ok(())
            }
            _ => Err(DmaError::NotMapped { addr, len }),
        }
    }

    /// The region holding all of `[addr, addr + len)`: its start, the
    /// offset of `addr` in it, and its kind.
    fn locate(&self, addr: u64, len: usize) -> Option<(u64, usize, RegionKind)> {
        let end = addr.checked_add(len as u64)?;
        let (start, r) = self.regions.range(..=addr).next_back()?;
        let off = usize::try_from(addr - *start).ok()?;
        (end <= *start + r.data.len() as u64).then_some((*start, off, r.kind))
    }

    fn bytes_mut(&mut self, start: u64, off: usize, len: usize) -> Option<&mut [u8]> {
        self.regions
            .get_mut(&start)
            .and_then(|r| r.data.get_mut(off..off + len))
    }

    /// CPU read of any live region.
    pub fn cpu_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), DmaError> {
        let len = buf.len();
        let err = DmaError::NotMapped { addr, len };
        let (start, off, _) = self.locate(addr, len).ok_or(err)?;
        buf.copy_from_slice(self.bytes_mut(start, off, len).ok_or(err)?);
        Ok(())
    }

    /// CPU write of any live region.
    pub fn cpu_write(&mut self, addr: u64, data: &[u8]) -> Result<(), DmaError> {
        let len = data.len();
        let err = DmaError::NotMapped { addr, len };
        let (start, off, _) = self.locate(addr, len).ok_or(err)?;
        self.bytes_mut(start, off, len)
            .ok_or(err)?
            .copy_from_slice(data);
        Ok(())
    }

    fn faulted(&self, addr: u64, len: usize) -> bool {
        let end = addr.saturating_add(len as u64);
        self.faults.iter().any(|&(a, b)| addr < b && a < end)
    }

    fn device_access(&mut self, addr: u64, len: usize, write: bool) -> Result<&mut [u8], BusError> {
        if self.faulted(addr, len) {
            return Err(BusError::Slave { addr });
        }
        let reason = match self.locate(addr, len) {
            None => ViolationReason::Unmapped,
            Some((start, off, kind)) => {
                let allowed = match kind {
                    RegionKind::Coherent | RegionKind::Streaming(DmaDirection::Bidirectional) => {
                        true
                    }
                    RegionKind::Streaming(DmaDirection::ToDevice) => !write,
                    RegionKind::Streaming(DmaDirection::FromDevice) => write,
                };
                if allowed {
                    return self
                        .bytes_mut(start, off, len)
                        .ok_or(BusError::Decode { addr });
                }
                ViolationReason::Direction
            }
        };
        self.violations.push(Violation {
            addr,
            len,
            write,
            reason,
        });
        Err(BusError::Decode { addr })
    }
}

impl DeviceMemory for HostMemory {
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), BusError> {
        let src = self.device_access(addr, buf.len(), false)?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), BusError> {
        let dst = self.device_access(addr, data.len(), true)?;
        dst.copy_from_slice(data);
        Ok(())
    }
}

impl DmaMemory for HostMemory {
    fn alloc_coherent(&mut self, len: usize, align: usize) -> Result<DmaAddr, DmaError> {
        self.alloc(len, align, RegionKind::Coherent)
    }
    fn free_coherent(&mut self, addr: DmaAddr, len: usize) -> Result<(), DmaError> {
        self.release(addr.0, len, RegionKind::Coherent)
    }
    fn map(&mut self, len: usize, dir: DmaDirection) -> Result<DmaAddr, DmaError> {
        self.alloc(len, 64, RegionKind::Streaming(dir))
    }
    fn unmap(&mut self, addr: DmaAddr, len: usize, dir: DmaDirection) -> Result<(), DmaError> {
        self.release(addr.0, len, RegionKind::Streaming(dir))
    }
    fn read(&mut self, addr: DmaAddr, buf: &mut [u8]) -> Result<(), DmaError> {
        self.cpu_read(addr.0, buf)
    }
    fn write(&mut self, addr: DmaAddr, data: &[u8]) -> Result<(), DmaError> {
        self.cpu_write(addr.0, data)
    }
}

/// The simulation's host memory and sanitizer can stand behind the model
/// too: an access the sanitizer refuses is a decode error (it is also kept
/// in that memory's violation log, with a cycle of 0: the model has no
/// clock cycles).
impl DeviceMemory for crate::hostmem::HostMemory {
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), BusError> {
        self.device_check(
            addr,
            buf.len() as u64,
            crate::hostmem::Access::DeviceRead,
            0,
        )
        .map_err(|_| BusError::Decode { addr })?;
        self.device_read(addr, buf);
        Ok(())
    }

    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), BusError> {
        self.device_check(
            addr,
            data.len() as u64,
            crate::hostmem::Access::DeviceWrite,
            0,
        )
        .map_err(|_| BusError::Decode { addr })?;
        self.device_write(addr, data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_are_separated_and_checked() {
        let mut m = HostMemory::default();
        let a = m.alloc_coherent(128, 128).unwrap();
        let b = m.map(100, DmaDirection::ToDevice).unwrap();
        assert_eq!(a.0 % 128, 0);
        assert!(b.0 >= a.0 + 128 + GUARD);
        m.write(b, &[7; 100]).unwrap();
        let mut buf = [0u8; 100];
        m.dma_read(b.0, &mut buf).unwrap();
        assert_eq!(buf, [7; 100]);
        // Writing into a ToDevice buffer is a direction violation.
        assert_eq!(m.dma_write(b.0, &[1]), Err(BusError::Decode { addr: b.0 }));
        // One byte past the end of the ring is unmapped.
        assert!(m.dma_read(a.0 + 120, &mut [0; 9]).is_err());
        assert_eq!(m.violations().len(), 2);
        assert_eq!(m.violations()[0].reason, ViolationReason::Direction);
        assert_eq!(m.violations()[1].reason, ViolationReason::Unmapped);
        m.inject_fault(a.0 + 16, 16);
        assert_eq!(
            m.dma_read(a.0 + 20, &mut [0; 4]),
            Err(BusError::Slave { addr: a.0 + 20 })
        );
        assert!(m.dma_read(a.0, &mut [0; 16]).is_ok());
        m.unmap(b, 100, DmaDirection::ToDevice).unwrap();
        assert!(m.read(b, &mut buf).is_err());
        assert!(m.free_coherent(a, 64).is_err(), "length must match");
    }

    #[test]
    fn the_simulation_memory_backs_the_model() {
        let mut m = crate::hostmem::HostMemory::new();
        let rx = m.map(64, DmaDirection::FromDevice).unwrap();
        let dev: &mut dyn DeviceMemory = &mut m;
        assert!(dev.dma_write(rx.0, &[1, 2, 3]).is_ok());
        assert_eq!(
            dev.dma_read(rx.0, &mut [0; 3]),
            Err(BusError::Decode { addr: rx.0 })
        );
        assert_eq!(
            m.violations().len(),
            1,
            "the wrong-direction read is logged"
        );
        let mut back = [0u8; 3];
        m.read(rx, &mut back).unwrap();
        assert_eq!(back, [1, 2, 3]);
    }
}
