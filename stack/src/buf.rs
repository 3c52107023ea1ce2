//! Packet buffers in the manner of Linux's `sk_buff`: one contiguous
//! allocation with headroom and tailroom, so that each layer on the way down
//! pushes its header in front of the payload without copying, and each layer
//! on the way up pulls its header off.
//!
//! ```text
//!  head          data            tail          end
//!   |  headroom   |    payload    |  tailroom   |
//! ```

//!
//! Storage is shared copy-on-write: [`Clone`] is cheap (a reference count),
//! so a retransmission queue can keep a clone of what it sent; the first
//! write through a shared clone copies it. Storage comes from a per-thread
//! pool of recycled allocations ([`pool_stats`]), so steady traffic does
//! not allocate per packet: a buffer's allocation returns to the pool when
//! its last clone is dropped.

use std::cell::RefCell;
use std::sync::Arc;

use crate::time::Instant;

/// Identifies one packet across layers and across the simulated wire, for
/// tracing. Zero means "not traced".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PacketId(pub u64);

/// Transmit checksum request: the device computes the ones-complement sum
/// of the bytes from `start` (offset from the frame start) to the end of the
/// frame and stores its complement at `offset`. Software seeds the field at
/// `offset` with the pseudo-header sum (e1000 legacy IC with CSS/CSO).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxChecksum {
    pub start: u16,
    pub offset: u16,
}

/// What the receive path knows about a frame's checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RxChecksum {
    /// Nothing known: verify in software.
    #[default]
    None,
    /// The device summed the frame (16-bit ones-complement sum, not
    /// complemented) from byte `start` to the end of the received data,
    /// like Linux's CHECKSUM_COMPLETE.
    Complete { start: u16, sum: u16 },
}

/// Metadata that travels with a packet buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketMeta {
    pub id: PacketId,
    /// Interface index the packet arrived on or leaves by.
    pub iface: usize,
    /// Simulated time of the last layer that handled it.
    pub timestamp: Instant,
    pub tx_checksum: Option<TxChecksum>,
    pub rx_checksum: RxChecksum,
    /// Offsets of the headers from the start of the buffer storage, as in
    /// `skb->mac_header`, `skb->network_header`, `skb->transport_header`.
    pub mac_header: Option<u16>,
    pub network_header: Option<u16>,
    pub transport_header: Option<u16>,
}

/// A packet buffer. See the module documentation for the layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PacketBuf {
    storage: Arc<Vec<u8>>,
    data: usize,
    tail: usize,
    meta: PacketMeta,
}

/// A buffer operation asked for more room than there is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufError {
    NoHeadroom,
    NoTailroom,
    TooShort,
}

impl core::fmt::Display for BufError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            BufError::NoHeadroom => "not enough headroom",
            BufError::NoTailroom => "not enough tailroom",
            BufError::TooShort => "buffer shorter than requested",
        })
    }
}

impl std::error::Error for BufError {}

impl PacketBuf {
    /// An empty buffer with `headroom` bytes reserved in front and room for
    /// `capacity` bytes of data after it.
    pub fn new(headroom: usize, capacity: usize) -> PacketBuf {
        PacketBuf {
            storage: pool_take(headroom + capacity),
            data: headroom,
            tail: headroom,
            meta: PacketMeta::default(),
        }
    }

    /// A buffer holding a copy of `bytes`, with `headroom` in front.
    pub fn from_slice(headroom: usize, bytes: &[u8]) -> PacketBuf {
        let mut buf = PacketBuf::new(headroom, bytes.len());
        Arc::make_mut(&mut buf.storage)[headroom..].copy_from_slice(bytes);
        buf.tail = headroom + bytes.len();
        buf
    }

    pub fn len(&self) -> usize {
        self.tail - self.data
    }
    pub fn is_empty(&self) -> bool {
        self.tail == self.data
    }
    pub fn headroom(&self) -> usize {
        self.data
    }
    pub fn tailroom(&self) -> usize {
        self.storage.len() - self.tail
    }
    pub fn data(&self) -> &[u8] {
        &self.storage[self.data..self.tail]
    }
    pub fn data_mut(&mut self) -> &mut [u8] {
        let (d, t) = (self.data, self.tail);
        &mut Arc::make_mut(&mut self.storage)[d..t]
    }
    pub fn meta(&self) -> &PacketMeta {
        &self.meta
    }
    pub fn meta_mut(&mut self) -> &mut PacketMeta {
        &mut self.meta
    }

    /// Grow the data at the front (`skb_push`) and return the new bytes.
    pub fn push(&mut self, n: usize) -> Result<&mut [u8], BufError> {
        if n > self.data {
            return Err(BufError::NoHeadroom);
        }
        self.data -= n;
        let d = self.data;
        Ok(&mut Arc::make_mut(&mut self.storage)[d..d + n])
    }

    /// Remove `n` bytes from the front (`skb_pull`).
    pub fn pull(&mut self, n: usize) -> Result<(), BufError> {
        if n > self.len() {
            return Err(BufError::TooShort);
        }
        self.data += n;
        Ok(())
    }

    /// Grow the data at the end (`skb_put`) and return the new bytes.
    pub fn put(&mut self, n: usize) -> Result<&mut [u8], BufError> {
        if n > self.tailroom() {
            return Err(BufError::NoTailroom);
        }
        let start = self.tail;
        self.tail += n;
        let t = self.tail;
        Ok(&mut Arc::make_mut(&mut self.storage)[start..t])
    }

    /// Cut the data to `len` bytes (`skb_trim`); longer lengths are a no-op.
    pub fn trim(&mut self, len: usize) {
        if len < self.len() {
            self.tail = self.data + len;
        }
    }

    /// Offset of the current data start from the start of storage, for the
    /// header offsets in [`PacketMeta`].
    pub fn data_offset(&self) -> usize {
        self.data
    }

    /// The stored bytes from storage offset `offset` (for instance
    /// `meta().mac_header`) to the end of the data, including headers
    /// already pulled. Empty when `offset` is past the end of the data.
    pub fn bytes_from(&self, offset: usize) -> &[u8] {
        self.storage.get(offset..self.tail).unwrap_or(&[])
    }
}

impl PacketBuf {
    /// A copy of the data (not the headroom) into a fresh buffer with
    /// `headroom` in front, keeping the metadata.
    pub fn copy_with_headroom(&self, headroom: usize) -> PacketBuf {
        let mut b = PacketBuf::from_slice(headroom, self.data());
        b.meta = self.meta;
        b
    }

    /// Whether another clone shares this buffer's storage (a write would
    /// copy it first).
    pub fn is_shared(&self) -> bool {
        Arc::strong_count(&self.storage) > 1
    }
}

impl Drop for PacketBuf {
    fn drop(&mut self) {
        // The last owner gives the allocation (storage and its reference
        // count block) back to the pool; the shared empty placeholder left
        // behind costs a reference count, not an allocation.
        if Arc::get_mut(&mut self.storage).is_some() {
            pool_give(core::mem::replace(&mut self.storage, Arc::clone(&EMPTY)));
        }
    }
}

/// Allocations the pool keeps per size class.
const POOL_DEPTH: usize = 512;
/// Size classes: a standard frame with headroom, and a jumbo/reassembly one.
const POOL_CLASSES: [usize; 2] = [2048, 16384];

/// Counters of this thread's buffer pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Storage allocated fresh (pool empty or size beyond the classes).
    pub allocated: u64,
    /// Storage taken from the pool.
    pub reused: u64,
    /// Storage given back to the pool.
    pub returned: u64,
}

/// Storage of a dropped buffer: never written, never given to the pool
/// (its capacity matches no class).
static EMPTY: std::sync::LazyLock<Arc<Vec<u8>>> = std::sync::LazyLock::new(|| Arc::new(Vec::new()));

/// Free storage per class, each with its `Arc` block, so that taking one
/// allocates nothing.
#[derive(Default)]
struct Pool {
    free: [Vec<Arc<Vec<u8>>>; 2],
    stats: PoolStats,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

fn class_of(capacity: usize) -> Option<usize> {
    POOL_CLASSES.iter().position(|c| capacity <= *c)
}

fn pool_take(len: usize) -> Arc<Vec<u8>> {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if let Some(c) = class_of(len) {
            // Only unshared storage is ever pooled (see `pool_give`).
            if let Some(mut a) = p.free[c].pop()
                && let Some(v) = Arc::get_mut(&mut a)
            {
                p.stats.reused += 1;
                v.clear();
                v.resize(len, 0);
                return a;
            }
            p.stats.allocated += 1;
            let mut v = Vec::with_capacity(POOL_CLASSES[c]);
            v.resize(len, 0);
            return Arc::new(v);
        }
        p.stats.allocated += 1;
        Arc::new(vec![0; len])
    })
}

fn pool_give(a: Arc<Vec<u8>>) {
    // Only allocations of a class's exact capacity come back, so each
    // class holds interchangeable storage; only unshared ones.
    let Some(c) = POOL_CLASSES.iter().position(|c| a.capacity() == *c) else {
        return;
    };
    if Arc::strong_count(&a) != 1 || Arc::weak_count(&a) != 0 {
        return;
    }
    // `try_with`: buffers dropped during thread teardown just free.
    let _ = POOL.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            if p.free[c].len() < POOL_DEPTH {
                p.free[c].push(a);
                p.stats.returned += 1;
            }
        }
    });
}

/// This thread's pool counters.
pub fn pool_stats() -> PoolStats {
    POOL.with(|p| p.borrow().stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pull_put_trim() {
        let mut b = PacketBuf::new(8, 4);
        b.put(4).unwrap().copy_from_slice(&[1, 2, 3, 4]);
        b.push(2).unwrap().copy_from_slice(&[9, 9]);
        assert_eq!(b.data(), &[9, 9, 1, 2, 3, 4]);
        assert_eq!(b.headroom(), 6);
        assert_eq!(b.push(7).unwrap_err(), BufError::NoHeadroom);
        assert_eq!(b.put(1).unwrap_err(), BufError::NoTailroom);
        b.pull(3).unwrap();
        assert_eq!(b.data(), &[2, 3, 4]);
        assert_eq!(b.bytes_from(6), &[9, 9, 1, 2, 3, 4]);
        assert_eq!(b.bytes_from(100), &[] as &[u8]);
        assert_eq!(b.pull(4).unwrap_err(), BufError::TooShort);
        b.trim(1);
        assert_eq!(b.data(), &[2]);
    }

    #[test]
    fn clones_share_until_written() {
        let mut a = PacketBuf::from_slice(4, &[1, 2, 3]);
        a.meta_mut().id = PacketId(5);
        let b = a.clone();
        assert!(a.is_shared() && b.is_shared());
        a.data_mut()[0] = 7;
        assert!(!a.is_shared() && !b.is_shared());
        assert_eq!(a.data(), &[7, 2, 3]);
        assert_eq!(b.data(), &[1, 2, 3]);
        assert_eq!(b.meta().id, PacketId(5));
        let c = b.copy_with_headroom(20);
        assert_eq!(
            (c.headroom(), c.data(), c.meta().id),
            (20, &[1u8, 2, 3][..], PacketId(5))
        );
    }

    #[test]
    fn pool_keeps_unshared_storage_with_its_reference_count() {
        let a = PacketBuf::new(0, 100);
        let p = Arc::as_ptr(&a.storage);
        drop(a);
        // The same allocation, reference count block included, comes back.
        let mut b = PacketBuf::new(0, 200);
        assert_eq!(Arc::as_ptr(&b.storage), p);
        b.put(3).unwrap().copy_from_slice(&[1, 2, 3]);
        // While a clone shares it, dropping one owner returns nothing.
        let c = b.clone();
        let returned = pool_stats().returned;
        drop(b);
        assert_eq!(pool_stats().returned, returned);
        assert_eq!(c.data(), &[1, 2, 3]);
        drop(c);
        assert_eq!(pool_stats().returned, returned + 1);
        // A write through a shared clone copies; the original is intact.
        let mut d = PacketBuf::from_slice(0, &[7; 4]);
        let e = d.clone();
        d.data_mut()[0] = 9;
        assert_eq!((d.data()[0], e.data()[0]), (9, 7));
    }

    #[test]
    fn storage_is_recycled() {
        // Warm the pool, then steady churn allocates nothing new.
        drop((0..4).map(|_| PacketBuf::new(64, 1500)).collect::<Vec<_>>());
        let before = pool_stats();
        for i in 0..1000u32 {
            let mut b = PacketBuf::new(64, 1500);
            b.put(4).unwrap().copy_from_slice(&i.to_be_bytes());
            assert_eq!(b.data(), &i.to_be_bytes());
            assert!(
                b.bytes_from(0)[..64].iter().all(|x| *x == 0),
                "recycled storage is zeroed"
            );
        }
        let after = pool_stats();
        assert_eq!(after.allocated, before.allocated);
        assert_eq!(after.reused - before.reused, 1000);
        // Beyond the classes: plain allocations, not kept.
        drop(PacketBuf::new(0, 20_000));
        assert_eq!(pool_stats().allocated, after.allocated + 1);
        assert_eq!(pool_stats().returned, after.returned);
    }
}
