//! Host memory as the NIC's DMA engine sees it, with a DMA sanitizer.
//!
//! Memory is sparse (4 KiB pages created on first touch). The driver gets
//! coherent allocations (descriptor rings, like `dma_alloc_coherent`) and
//! streaming mappings with a direction (buffers, like `dma_map_single`).
//! Every device access is checked against the live regions: an access outside
//! them, or against a mapping's direction, is a [`Violation`] with the address,
//! the cycle and the last descriptor the device fetched (the last device read
//! of coherent memory). Regions are never reused after they are freed, so a
//! stale address from an old descriptor always faults. Regions alive at
//! teardown are leaks ([`HostMemory::leaks`]).
//!
//! The same memory backs the reference model (`crate::model`), through its
//! untimed device view `crate::model::DeviceMemory`: for it, regions can be
//! placed at given addresses ([`HostMemory::map_at`], so that the model's
//! memory has the RTL's layout) and address ranges can be made to fail
//! ([`HostMemory::inject_fault`]; the AXI memory agent has its own error
//! ranges, `crate::axi_mem::MemConfig::error_ranges`).

use driver::hal::{DmaAddr, DmaDirection, DmaError};
use std::collections::{BTreeMap, HashMap};

const PAGE: u64 = 4096;
/// Released pages kept for reuse ([`HostMemory`]`::spare_pages`). Spare
/// pages were live pages before, so keeping them never raises memory use
/// above its earlier peak; a ring's worth of buffers is released in one
/// cleanup, hence room for a few hundred.
const SPARE_PAGES: usize = 1024;
/// Where the allocator starts: above 4 GiB, so that the high halves of the
/// ring base registers (RDBAH/TDBAH) and 64-bit DMA addresses are exercised.
pub const HOST_BASE: u64 = 0x1_0000_0000;
/// Unmapped guard space left after every region, so that an overrun by the
/// device lands outside any mapping.
const GUARD: u64 = PAGE;
/// Total address space the allocator may hand out.
const HOST_LIMIT: u64 = HOST_BASE + (1 << 40);
/// Data bus width of the DMA master in bytes (see `device_check`).
pub const BUS_BYTES: u64 = 8;

/// What kind of region a live address range is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    Coherent,
    Streaming(DmaDirection),
}

#[derive(Debug, Clone, Copy)]
struct Region {
    len: u64,
    kind: RegionKind,
}

/// Direction of a device access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    DeviceRead,
    DeviceWrite,
}

/// The last descriptor-ring read by the device (a read of coherent memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescFetch {
    pub addr: u64,
    pub cycle: u64,
    /// The first 16 bytes read (one legacy descriptor).
    pub bytes: [u8; 16],
}

/// Why a device access was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// No live allocation or mapping covers the whole range.
    Unmapped,
    /// A streaming mapping accessed against its direction.
    WrongDirection(DmaDirection),
    /// The access range wraps the 64-bit address space.
    Overflow,
}

/// A device access the sanitizer refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    pub cycle: u64,
    pub addr: u64,
    pub len: u64,
    pub access: Access,
    pub kind: ViolationKind,
    pub last_descriptor: Option<DescFetch>,
}

impl core::fmt::Display for Violation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let what = match self.access {
            Access::DeviceRead => "read",
            Access::DeviceWrite => "write",
        };
        let why = match self.kind {
            ViolationKind::Unmapped => "outside any live mapping".to_string(),
            ViolationKind::WrongDirection(d) => format!("against the mapping's direction {d:?}"),
            ViolationKind::Overflow => "wrapping the address space".to_string(),
        };
        write!(
            f,
            "DMA sanitizer: cycle {}: device {what} of {} bytes at {:#x} {why}",
            self.cycle, self.len, self.addr
        )?;
        match &self.last_descriptor {
            Some(d) => write!(
                f,
                "; last descriptor fetched at {:#x} (cycle {}): {:02x?}",
                d.addr, d.cycle, d.bytes
            ),
            None => write!(f, "; no descriptor fetched yet"),
        }
    }
}

impl std::error::Error for Violation {}

/// A region still alive at teardown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leak {
    pub addr: u64,
    pub len: u64,
    pub kind: RegionKind,
}

/// Hasher of page numbers: one multiply instead of SipHash, which was most of
/// the cost of a DMA beat (page numbers come from the device's addresses, not
/// from an adversary, and nothing iterates over the pages).
#[derive(Debug, Default, Clone, Copy)]
struct PageHash;

impl std::hash::BuildHasher for PageHash {
    type Hasher = PageHasher;
    fn build_hasher(&self) -> PageHasher {
        PageHasher(0)
    }
}

/// See [`PageHash`].
#[derive(Debug, Default, Clone, Copy)]
struct PageHasher(u64);

impl std::hash::Hasher for PageHasher {
    fn finish(&self) -> u64 {
        // Fibonacci hashing: the high bits (hashbrown's control byte) and the
        // low bits (the bucket) both depend on every bit of the page number.
        let h = self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^ (h >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

/// Sparse host memory with the allocator and the sanitizer.
#[derive(Debug, Default, Clone)]
pub struct HostMemory {
    pages: HashMap<u64, Box<[u8]>, PageHash>,
    /// Pages dropped by a release, kept for the next page a write
    /// touches: the allocator never reuses addresses (a stale device
    /// access must hit unmapped memory), so without them every buffer
    /// would allocate its page afresh.
    spare_pages: Vec<Box<[u8]>>,
    regions: BTreeMap<u64, Region>,
    next: u64,
    last_desc: Option<DescFetch>,
    violations: Vec<Violation>,
    /// Ranges `[start, end)` whose device accesses fail (model view only).
    faults: Vec<(u64, u64)>,
    /// `[start, end)` of the live region the last write beat was found in
    /// by [`HostMemory::device_check_bytes`] (a frame's beats all land in
    /// one buffer); cleared whenever a region is added or removed.
    write_region: Option<(u64, u64)>,
    /// Pages allocated afresh, not taken from the spares (statistics).
    pub pages_allocated: u64,
    /// Bytes the device read and wrote (statistics).
    pub device_bytes_read: u64,
    pub device_bytes_written: u64,
}

impl HostMemory {
    pub fn new() -> HostMemory {
        HostMemory {
            next: HOST_BASE,
            ..HostMemory::default()
        }
    }

    fn alloc(&mut self, len: usize, align: usize, kind: RegionKind) -> Result<DmaAddr, DmaError> {
        let len = u64::try_from(len).map_err(|_| DmaError::Overflow)?;
        let align = u64::try_from(align.max(1)).map_err(|_| DmaError::Overflow)?;
        if !align.is_power_of_two() {
            return Err(DmaError::Overflow);
        }
        let start = self
            .next
            .checked_add(align - 1)
            .ok_or(DmaError::OutOfMemory)?
            & !(align - 1);
        let end = start
            .checked_add(len.max(1))
            .and_then(|e| e.checked_add(GUARD))
            .ok_or(DmaError::OutOfMemory)?;
        if end > HOST_LIMIT {
            return Err(DmaError::OutOfMemory);
        }
        self.next = end;
        self.write_region = None;
        self.regions.insert(start, Region { len, kind });
        Ok(DmaAddr(start))
    }

    /// Place a zeroed region of `len` bytes at `addr`, which no live region
    /// may overlap (the fuzz harness gives the reference model the layout
    /// the RTL's allocator chose). Later allocations start after it.
    pub fn map_at(&mut self, addr: u64, len: usize, kind: RegionKind) -> Result<(), DmaError> {
        let l = u64::try_from(len).map_err(|_| DmaError::Overflow)?;
        let end = addr.checked_add(l.max(1)).ok_or(DmaError::Overflow)?;
        if let Some((&start, r)) = self.regions.range(..end).next_back()
            && start + r.len.max(1) > addr
        {
            return Err(DmaError::NotMapped { addr, len });
        }
        self.write_region = None;
        self.regions.insert(addr, Region { len: l, kind });
        self.copy_in(addr, &vec![0u8; len]);
        self.next = self.next.max(end.saturating_add(GUARD));
        Ok(())
    }

    /// Make every device access touching `[addr, addr + len)` fail (SLVERR)
    /// in the model's device view. The AXI memory agent does not consult
    /// these ranges.
    pub fn inject_fault(&mut self, addr: u64, len: u64) {
        self.faults.push((addr, addr.saturating_add(len)));
    }

    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Whether a device access of `len` bytes at `addr` touches an injected
    /// fault range.
    pub fn faulted(&self, addr: u64, len: u64) -> bool {
        let end = addr.saturating_add(len);
        self.faults.iter().any(|&(a, b)| addr < b && a < end)
    }

    fn release(&mut self, addr: DmaAddr, len: usize, kind: RegionKind) -> Result<(), DmaError> {
        let not_mapped = DmaError::NotMapped { addr: addr.0, len };
        match self.regions.get(&addr.0) {
            Some(r) if r.kind == kind && usize::try_from(r.len).ok() == Some(len) => {}
            _ => return Err(not_mapped),
        }
        self.write_region = None;
        self.regions.remove(&addr.0);
        // Drop pages no region touches any more (regions never share pages
        // thanks to the guard gap only when aligned; keep shared ones).
        let first = addr.0 / PAGE;
        let last = (addr.0 + len.max(1) as u64 - 1) / PAGE;
        for p in first..=last {
            if !self.page_in_use(p)
                && let Some(page) = self.pages.remove(&p)
                && self.spare_pages.len() < SPARE_PAGES
            {
                self.spare_pages.push(page);
            }
        }
        Ok(())
    }

    fn page_in_use(&self, page: u64) -> bool {
        let lo = page * PAGE;
        let hi = lo + PAGE;
        self.regions
            .range(..hi)
            .next_back()
            .is_some_and(|(s, r)| s + r.len.max(1) > lo)
    }

    /// The live region containing all of `[addr, addr+len)`.
    /// The kind of the live region holding `addr` (journey events tell
    /// descriptor rings, coherent, from packet buffers, streaming).
    pub fn kind_at(&self, addr: u64) -> Option<RegionKind> {
        self.region_within(addr, 1, BUS_BYTES).map(|(_, r)| r.kind)
    }

    fn region_of(&self, addr: u64, len: u64) -> Option<(u64, Region)> {
        self.region_within(addr, len, 1)
    }

    /// The live region containing `[addr, addr+len)` once the region is
    /// widened to `word`-byte alignment on both ends.
    fn region_within(&self, addr: u64, len: u64, word: u64) -> Option<(u64, Region)> {
        let end = addr.checked_add(len)?;
        let probe = addr.checked_add(word - 1)?;
        let (&start, &r) = self.regions.range(..=probe).next_back()?;
        let lo = start & !(word - 1);
        let hi = (start + r.len).checked_add(word - 1)? & !(word - 1);
        (addr >= lo && end <= hi).then_some((start, r))
    }

    fn cpu_check(&self, addr: DmaAddr, len: usize) -> Result<(), DmaError> {
        let l = u64::try_from(len).map_err(|_| DmaError::Overflow)?;
        self.region_of(addr.0, l)
            .map(|_| ())
            .ok_or(DmaError::NotMapped { addr: addr.0, len })
    }

    fn copy_out(&self, addr: u64, buf: &mut [u8]) {
        let mut a = addr;
        let mut done = 0;
        while done < buf.len() {
            let off = (a % PAGE) as usize;
            let n = (PAGE as usize - off).min(buf.len() - done);
            match self.pages.get(&(a / PAGE)) {
                Some(p) => buf[done..done + n].copy_from_slice(&p[off..off + n]),
                None => buf[done..done + n].fill(0),
            }
            done += n;
            a += n as u64;
        }
    }

    fn copy_in(&mut self, addr: u64, data: &[u8]) {
        let mut a = addr;
        let mut done = 0;
        while done < data.len() {
            let off = (a % PAGE) as usize;
            let n = (PAGE as usize - off).min(data.len() - done);
            let p = self
                .pages
                .entry(a / PAGE)
                .or_insert_with(|| match self.spare_pages.pop() {
                    Some(mut page) => {
                        page.fill(0);
                        page
                    }
                    None => {
                        self.pages_allocated += 1;
                        vec![0u8; PAGE as usize].into_boxed_slice()
                    }
                });
            p[off..off + n].copy_from_slice(&data[done..done + n]);
            done += n;
            a += n as u64;
        }
    }

    /// Check a device access of `len` bytes at `addr`; on success record a
    /// descriptor fetch when it reads coherent memory. A refused access is
    /// also kept in [`HostMemory::violations`].
    ///
    /// Whole data-bus words: a full-width AXI read of the word that holds a
    /// mapping's first or last byte is allowed (a 64-bit DMA engine cannot
    /// read less, A3.4.3), so mappings are widened to [`BUS_BYTES`] alignment
    /// here. Writes are then checked byte by byte on their strobes with
    /// [`HostMemory::device_check_bytes`].
    pub fn device_check(
        &mut self,
        addr: u64,
        len: u64,
        access: Access,
        cycle: u64,
    ) -> Result<(), Violation> {
        let mut v = Violation {
            cycle,
            addr,
            len,
            access,
            kind: ViolationKind::Unmapped,
            last_descriptor: self.last_desc,
        };
        if addr.checked_add(len).is_none() {
            v.kind = ViolationKind::Overflow;
            self.violations.push(v);
            return Err(v);
        }
        let Some((_, region)) = self.region_within(addr, len, BUS_BYTES) else {
            self.violations.push(v);
            return Err(v);
        };
        match (region.kind, access) {
            (RegionKind::Coherent, Access::DeviceRead) => {
                let mut bytes = [0u8; 16];
                let n = (len as usize).min(16);
                self.copy_out(addr, &mut bytes[..n]);
                self.last_desc = Some(DescFetch { addr, cycle, bytes });
            }
            (RegionKind::Coherent, Access::DeviceWrite) => {}
            (RegionKind::Streaming(DmaDirection::Bidirectional), _) => {}
            (RegionKind::Streaming(DmaDirection::ToDevice), Access::DeviceRead) => {}
            (RegionKind::Streaming(DmaDirection::FromDevice), Access::DeviceWrite) => {}
            (RegionKind::Streaming(d), _) => {
                v.kind = ViolationKind::WrongDirection(d);
                self.violations.push(v);
                return Err(v);
            }
        }
        Ok(())
    }

    /// Exact check of the bytes a write beat's strobes enable.
    pub fn device_check_bytes(&mut self, addr: u64, len: u64, cycle: u64) -> Result<(), Violation> {
        if let Some((lo, hi)) = self.write_region {
            if addr >= lo && addr.checked_add(len).is_some_and(|end| end <= hi) {
                return Ok(());
            }
        }
        if let Some((start, r)) = self.region_of(addr, len) {
            self.write_region = Some((start, start + r.len));
            return Ok(());
        }
        let v = Violation {
            cycle,
            addr,
            len,
            access: Access::DeviceWrite,
            kind: ViolationKind::Unmapped,
            last_descriptor: self.last_desc,
        };
        self.violations.push(v);
        Err(v)
    }

    /// Device read of bytes already checked with [`HostMemory::device_check`].
    pub fn device_read(&mut self, addr: u64, buf: &mut [u8]) {
        self.device_bytes_read += buf.len() as u64;
        self.copy_out(addr, buf);
    }

    /// Device write of bytes already checked with [`HostMemory::device_check`].
    pub fn device_write(&mut self, addr: u64, data: &[u8]) {
        self.device_bytes_written += data.len() as u64;
        self.copy_in(addr, data);
    }

    /// Raw access for tests and tools (no checks).
    pub fn peek(&self, addr: u64, buf: &mut [u8]) {
        self.copy_out(addr, buf);
    }

    /// Raw write for tests and tools (no checks).
    pub fn poke(&mut self, addr: u64, data: &[u8]) {
        self.copy_in(addr, data);
    }

    /// Every refused device access so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The last descriptor fetched by the device.
    pub fn last_descriptor(&self) -> Option<DescFetch> {
        self.last_desc
    }

    /// Regions still alive (to be called at teardown).
    pub fn leaks(&self) -> Vec<Leak> {
        self.regions
            .iter()
            .map(|(&addr, r)| Leak {
                addr,
                len: r.len,
                kind: r.kind,
            })
            .collect()
    }

    /// Number of live regions.
    pub fn live_regions(&self) -> usize {
        self.regions.len()
    }
}

impl driver::hal::DmaMemory for HostMemory {
    fn alloc_coherent(&mut self, len: usize, align: usize) -> Result<DmaAddr, DmaError> {
        self.alloc(len, align, RegionKind::Coherent)
    }

    fn free_coherent(&mut self, addr: DmaAddr, len: usize) -> Result<(), DmaError> {
        self.release(addr, len, RegionKind::Coherent)
    }

    fn map(&mut self, len: usize, dir: DmaDirection) -> Result<DmaAddr, DmaError> {
        // Cache-line alignment, as a kmalloc'd buffer would have.
        self.alloc(len, 64, RegionKind::Streaming(dir))
    }

    fn unmap(&mut self, addr: DmaAddr, len: usize, dir: DmaDirection) -> Result<(), DmaError> {
        self.release(addr, len, RegionKind::Streaming(dir))
    }

    fn read(&mut self, addr: DmaAddr, buf: &mut [u8]) -> Result<(), DmaError> {
        self.cpu_check(addr, buf.len())?;
        self.copy_out(addr.0, buf);
        Ok(())
    }

    fn write(&mut self, addr: DmaAddr, data: &[u8]) -> Result<(), DmaError> {
        self.cpu_check(addr, data.len())?;
        self.copy_in(addr.0, data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driver::hal::DmaMemory;

    #[test]
    fn released_pages_are_reused() {
        // A ring's worth of frame buffers in flight, released in batches
        // as a TX cleanup does: after the first round no page is new.
        let mut m = HostMemory::new();
        let mut live = std::collections::VecDeque::new();
        let mut after_warmup = None;
        for k in 0..2000 {
            let a = m.map(1514, DmaDirection::ToDevice).unwrap();
            m.write(a, &[0xa5; 1514]).unwrap();
            live.push_back(a);
            if live.len() == 64 {
                for a in live.drain(..) {
                    m.unmap(a, 1514, DmaDirection::ToDevice).unwrap();
                }
            }
            if k == 200 {
                after_warmup = Some(m.pages_allocated);
            }
        }
        assert!(m.pages_allocated > 0);
        assert_eq!(Some(m.pages_allocated), after_warmup);
        // Reused pages come back zeroed.
        let a = m.map(8192, DmaDirection::FromDevice).unwrap();
        m.write(a, &[1]).unwrap();
        let mut b = [0xffu8; 8192];
        m.read(a, &mut b).unwrap();
        assert_eq!(b[0], 1);
        assert!(b[1..].iter().all(|&x| x == 0));
    }

    #[test]
    fn coherent_memory_round_trip_and_zeroed() {
        let mut m = HostMemory::new();
        let a = m.alloc_coherent(256, 128).unwrap();
        assert_eq!(a.0 % 128, 0);
        assert!(a.0 >= HOST_BASE);
        let mut b = [0xffu8; 8];
        m.read(a, &mut b).unwrap();
        assert_eq!(b, [0; 8]);
        m.write(DmaAddr(a.0 + 250), &[1, 2, 3, 4, 5, 6]).unwrap();
        m.read(DmaAddr(a.0 + 250), &mut b[..6]).unwrap();
        assert_eq!(&b[..6], &[1, 2, 3, 4, 5, 6]);
        // One byte past the end is refused for the CPU too.
        assert_eq!(
            m.write(DmaAddr(a.0 + 250), &[0; 7]),
            Err(DmaError::NotMapped {
                addr: a.0 + 250,
                len: 7
            })
        );
    }

    #[test]
    fn device_access_against_direction_is_a_violation() {
        let mut m = HostMemory::new();
        let tx = m.map(100, DmaDirection::ToDevice).unwrap();
        let rx = m.map(100, DmaDirection::FromDevice).unwrap();
        assert!(m.device_check(tx.0, 100, Access::DeviceRead, 5).is_ok());
        let v = m.device_check(tx.0, 4, Access::DeviceWrite, 6).unwrap_err();
        assert_eq!(
            v.kind,
            ViolationKind::WrongDirection(DmaDirection::ToDevice)
        );
        assert_eq!(v.cycle, 6);
        let v = m.device_check(rx.0, 4, Access::DeviceRead, 7).unwrap_err();
        assert_eq!(
            v.kind,
            ViolationKind::WrongDirection(DmaDirection::FromDevice)
        );
        assert_eq!(m.violations().len(), 2);
    }

    #[test]
    fn overrun_and_use_after_unmap_are_caught_with_last_descriptor() {
        let mut m = HostMemory::new();
        let ring = m.alloc_coherent(128, 128).unwrap();
        let desc = [0xAAu8; 16];
        m.write(ring, &desc).unwrap();
        m.device_check(ring.0, 16, Access::DeviceRead, 10).unwrap();
        let buf = m.map(64, DmaDirection::ToDevice).unwrap();
        // Overrun by one byte.
        let v = m
            .device_check(buf.0, 65, Access::DeviceRead, 11)
            .unwrap_err();
        assert_eq!(v.kind, ViolationKind::Unmapped);
        let d = v.last_descriptor.unwrap();
        assert_eq!((d.addr, d.cycle, d.bytes), (ring.0, 10, desc));
        assert!(v.to_string().contains("last descriptor fetched"));
        // After unmap the address is never valid again.
        m.unmap(buf, 64, DmaDirection::ToDevice).unwrap();
        assert!(m.device_check(buf.0, 1, Access::DeviceRead, 12).is_err());
        let again = m.map(64, DmaDirection::ToDevice).unwrap();
        assert_ne!(again, buf);
    }

    #[test]
    fn unmap_must_match_and_leaks_are_listed() {
        let mut m = HostMemory::new();
        let a = m.map(32, DmaDirection::FromDevice).unwrap();
        assert!(m.unmap(a, 32, DmaDirection::ToDevice).is_err());
        assert!(m.unmap(a, 31, DmaDirection::FromDevice).is_err());
        let r = m.alloc_coherent(64, 16).unwrap();
        assert_eq!(m.leaks().len(), 2);
        m.unmap(a, 32, DmaDirection::FromDevice).unwrap();
        let leaks = m.leaks();
        assert_eq!(
            leaks,
            vec![Leak {
                addr: r.0,
                len: 64,
                kind: RegionKind::Coherent
            }]
        );
    }

    #[test]
    fn reads_may_cover_the_bus_words_of_the_ends_writes_are_exact() {
        let mut m = HostMemory::new();
        let b = m.map(42, DmaDirection::Bidirectional).unwrap();
        // 42 bytes end inside the sixth 8-byte word: a 48-byte read is fine.
        assert!(m.device_check(b.0, 48, Access::DeviceRead, 1).is_ok());
        assert!(m.device_check(b.0, 49, Access::DeviceRead, 1).is_err());
        assert!(m.device_check_bytes(b.0 + 40, 2, 2).is_ok());
        let v = m.device_check_bytes(b.0 + 40, 3, 2).unwrap_err();
        assert_eq!(
            (v.addr, v.len, v.access),
            (b.0 + 40, 3, Access::DeviceWrite)
        );
    }

    #[test]
    fn map_at_places_zeroed_regions_without_overlap() {
        let mut m = HostMemory::new();
        let at = HOST_BASE + 0x10_0000;
        m.poke(at, &[0xEE; 8]);
        m.map_at(at, 100, RegionKind::Coherent).unwrap();
        let mut b = [0xFFu8; 8];
        m.read(DmaAddr(at), &mut b).unwrap();
        assert_eq!(b, [0; 8], "placed regions are zeroed");
        assert!(m.map_at(at + 99, 4, RegionKind::Coherent).is_err());
        assert!(m.map_at(at - 4, 5, RegionKind::Coherent).is_err());
        m.map_at(at + 100, 4, RegionKind::Coherent).unwrap();
        // The allocator continues after placed regions, with a guard gap.
        let a = m.map(16, DmaDirection::ToDevice).unwrap();
        assert!(a.0 >= at + 104 + GUARD);
        assert!(m.map_at(u64::MAX - 2, 8, RegionKind::Coherent).is_err());
    }

    #[test]
    fn fault_ranges_touch_by_any_byte() {
        let mut m = HostMemory::new();
        m.inject_fault(0x1000, 16);
        assert!(m.faulted(0x1000, 1));
        assert!(m.faulted(0xFF8, 9), "overlaps the first byte");
        assert!(m.faulted(0x100F, 1));
        assert!(!m.faulted(0x1010, 8));
        assert!(!m.faulted(0xFF8, 8));
        m.clear_faults();
        assert!(!m.faulted(0x1000, 16));
    }

    #[test]
    fn wrapping_access_is_overflow() {
        let mut m = HostMemory::new();
        let v = m
            .device_check(u64::MAX - 3, 8, Access::DeviceRead, 1)
            .unwrap_err();
        assert_eq!(v.kind, ViolationKind::Overflow);
    }
}
