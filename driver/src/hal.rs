//! The traits the driver is generic over, in the manner of a Linux driver's
//! view of its platform: MMIO register access, DMA memory (coherent
//! allocations for rings, streaming mappings for buffers, like
//! `dma_alloc_coherent` and `dma_map_single`), and an interrupt line.

use stack::time::Instant;

/// A bus address as the device sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DmaAddr(pub u64);

/// Direction of a streaming mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DmaDirection {
    /// The device reads (transmit buffers).
    ToDevice,
    /// The device writes (receive buffers).
    FromDevice,
    Bidirectional,
}

/// Errors of DMA memory operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmaError {
    /// No memory left for the allocation or mapping.
    OutOfMemory,
    /// The address range is not an allocation or mapping of this driver.
    NotMapped { addr: u64, len: usize },
    /// Address arithmetic overflowed.
    Overflow,
}

impl core::fmt::Display for DmaError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DmaError::OutOfMemory => f.write_str("DMA memory exhausted"),
            DmaError::NotMapped { addr, len } => {
                write!(f, "{len} bytes at {addr:#x} are not mapped")
            }
            DmaError::Overflow => f.write_str("DMA address arithmetic overflowed"),
        }
    }
}

impl std::error::Error for DmaError {}

/// Memory-mapped register access. Offsets are byte offsets in the NIC's
/// register window. On a simulated bus each access is a bus transaction that
/// costs simulated time.
pub trait RegisterAccess {
    fn read32(&mut self, offset: u32) -> u32;
    fn write32(&mut self, offset: u32, value: u32);
}

/// Host memory the device reaches by DMA, and the CPU's access to it.
pub trait DmaMemory {
    /// Allocate `len` bytes of coherent memory aligned to `align` (a power
    /// of two), zeroed, for descriptor rings.
    fn alloc_coherent(&mut self, len: usize, align: usize) -> Result<DmaAddr, DmaError>;
    fn free_coherent(&mut self, addr: DmaAddr, len: usize) -> Result<(), DmaError>;

    /// Create a streaming mapping of `len` bytes for the device to access in
    /// direction `dir` (the buffer's contents are written or read by the CPU
    /// through [`DmaMemory::write`] and [`DmaMemory::read`]).
    fn map(&mut self, len: usize, dir: DmaDirection) -> Result<DmaAddr, DmaError>;
    fn unmap(&mut self, addr: DmaAddr, len: usize, dir: DmaDirection) -> Result<(), DmaError>;

    /// CPU read of coherent or mapped memory.
    fn read(&mut self, addr: DmaAddr, buf: &mut [u8]) -> Result<(), DmaError>;
    /// CPU write of coherent or mapped memory.
    fn write(&mut self, addr: DmaAddr, data: &[u8]) -> Result<(), DmaError>;
}

/// The NIC's interrupt line and the host's clock, as the driver sees them.
pub trait Platform {
    /// Whether the interrupt line is asserted now.
    fn irq_asserted(&mut self) -> bool;
    /// Current simulated time.
    fn now(&self) -> Instant;
    /// Let `ns` of simulated time pass (bounded waits during reset).
    fn delay_ns(&mut self, ns: u64);
}
