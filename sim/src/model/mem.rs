//! Host memory as the reference model's DMA engine sees it.
//!
//! The model reaches host memory only through [`DeviceMemory`]: device reads
//! and writes that can fail like an AXI transaction does (SLVERR for an
//! injected fault, DECERR for an access the sanitizer refuses). The memory
//! behind it is the simulation's own [`HostMemory`] (`crate::hostmem`):
//! coherent allocations and streaming mappings with a direction, guard gaps,
//! regions placed at given addresses, fault ranges, and the DMA sanitizer's
//! log, the same one the RTL's AXI memory agent checks against.

use crate::hostmem::{Access, HostMemory};

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

/// The model's device view of the simulation's memory. Reads are checked
/// like the AXI agent checks them (whole 8-byte bus words at a mapping's
/// ends, `crate::hostmem::HostMemory::device_check`), writes byte by byte.
/// An injected fault answers SLVERR before any check; an access the
/// sanitizer refuses answers DECERR and stays in its violation log (with a
/// cycle of 0: the model has no clock cycles).
impl DeviceMemory for HostMemory {
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), BusError> {
        let len = buf.len() as u64;
        if self.faulted(addr, len) {
            return Err(BusError::Slave { addr });
        }
        self.device_check(addr, len, Access::DeviceRead, 0)
            .map_err(|_| BusError::Decode { addr })?;
        self.device_read(addr, buf);
        Ok(())
    }

    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), BusError> {
        let len = data.len() as u64;
        if self.faulted(addr, len) {
            return Err(BusError::Slave { addr });
        }
        self.device_check(addr, len, Access::DeviceWrite, 0)
            .and_then(|()| self.device_check_bytes(addr, len, 0))
            .map_err(|_| BusError::Decode { addr })?;
        self.device_write(addr, data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmem::ViolationKind;
    use driver::hal::{DmaDirection, DmaMemory};

    #[test]
    fn device_view_checks_faults_and_directions() {
        let mut m = HostMemory::new();
        let ring = m.alloc_coherent(128, 128).unwrap();
        let tx = m.map(100, DmaDirection::ToDevice).unwrap();
        let rx = m.map(42, DmaDirection::FromDevice).unwrap();
        m.write(tx, &[7; 100]).unwrap();
        let dev: &mut dyn DeviceMemory = &mut m;
        let mut buf = [0u8; 100];
        dev.dma_read(tx.0, &mut buf).unwrap();
        assert_eq!(buf, [7; 100]);
        assert!(dev.dma_write(rx.0, &[1, 2, 3]).is_ok());
        // Against the direction, past the end, exact bytes for writes.
        assert_eq!(
            dev.dma_write(tx.0, &[1]),
            Err(BusError::Decode { addr: tx.0 })
        );
        assert_eq!(
            dev.dma_read(rx.0, &mut [0; 3]),
            Err(BusError::Decode { addr: rx.0 })
        );
        assert!(dev.dma_read(ring.0 + 120, &mut [0; 9]).is_err());
        assert!(dev.dma_write(rx.0 + 40, &[0; 2]).is_ok());
        assert!(
            dev.dma_write(rx.0 + 40, &[0; 3]).is_err(),
            "a byte past the end"
        );
        let kinds: Vec<_> = m.violations().iter().map(|v| (v.kind, v.access)).collect();
        assert_eq!(
            kinds,
            vec![
                (
                    ViolationKind::WrongDirection(DmaDirection::ToDevice),
                    Access::DeviceWrite
                ),
                (
                    ViolationKind::WrongDirection(DmaDirection::FromDevice),
                    Access::DeviceRead
                ),
                (ViolationKind::Unmapped, Access::DeviceRead),
                (ViolationKind::Unmapped, Access::DeviceWrite),
            ]
        );
        // A fault answers SLVERR and is no sanitizer verdict.
        m.inject_fault(ring.0 + 16, 16);
        let dev: &mut dyn DeviceMemory = &mut m;
        assert_eq!(
            dev.dma_read(ring.0 + 20, &mut [0; 4]),
            Err(BusError::Slave { addr: ring.0 + 20 })
        );
        assert_eq!(
            dev.dma_write(ring.0 + 8, &[0; 9]),
            Err(BusError::Slave { addr: ring.0 + 8 })
        );
        assert!(dev.dma_read(ring.0, &mut [0; 16]).is_ok());
        assert_eq!(m.violations().len(), 4);
        m.clear_faults();
        let mut back = [0u8; 3];
        m.read(rx, &mut back).unwrap();
        assert_eq!(back, [1, 2, 3]);
        let dev: &mut dyn DeviceMemory = &mut m;
        assert!(dev.dma_read(ring.0 + 20, &mut [0; 4]).is_ok());
    }
}
