//! Packet buffers in the manner of Linux's `sk_buff`: one contiguous
//! allocation with headroom and tailroom, so that each layer on the way down
//! pushes its header in front of the payload without copying, and each layer
//! on the way up pulls its header off.
//!
//! ```text
//!  head          data            tail          end
//!   |  headroom   |    payload    |  tailroom   |
//! ```

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
    storage: Vec<u8>,
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
            storage: vec![0; headroom + capacity],
            data: headroom,
            tail: headroom,
            meta: PacketMeta::default(),
        }
    }

    /// A buffer holding a copy of `bytes`, with `headroom` in front.
    pub fn from_slice(headroom: usize, bytes: &[u8]) -> PacketBuf {
        let mut buf = PacketBuf::new(headroom, bytes.len());
        buf.storage[headroom..].copy_from_slice(bytes);
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
        &mut self.storage[self.data..self.tail]
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
        Ok(&mut self.storage[self.data..self.data + n])
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
        Ok(&mut self.storage[start..self.tail])
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
