//! A capture tap, like tcpdump on a device: every frame an interface takes
//! from or hands to its device is written as a pcap record with
//! LINKTYPE_ETHERNET (1) and nanosecond timestamps (magic 0xa1b23c4d), in
//! simulated time. Dependency-free; writes into any [`std::io::Write`].

use crate::time::Instant;
use std::io::{self, Write};

const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
const LINKTYPE_ETHERNET: u32 = 1;

/// A pcap writer.
pub struct PcapWriter {
    out: Box<dyn Write>,
    snaplen: u32,
    records: u64,
}

impl core::fmt::Debug for PcapWriter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PcapWriter")
            .field("snaplen", &self.snaplen)
            .field("records", &self.records)
            .finish()
    }
}

impl PcapWriter {
    /// Write the global header (libpcap file format, version 2.4).
    pub fn new(mut out: Box<dyn Write>, snaplen: u32) -> io::Result<PcapWriter> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&MAGIC_NANOS.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&snaplen.to_le_bytes());
        h.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter {
            out,
            snaplen,
            records: 0,
        })
    }

    /// Write one frame (without FCS) captured at `now`.
    pub fn write(&mut self, now: Instant, frame: &[u8]) -> io::Result<()> {
        let ns = now.as_nanos();
        let caplen = frame.len().min(self.snaplen as usize);
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(
            &u32::try_from(ns / 1_000_000_000)
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        h[4..8].copy_from_slice(&((ns % 1_000_000_000) as u32).to_le_bytes());
        h[8..12].copy_from_slice(&(caplen as u32).to_le_bytes());
        h[12..16].copy_from_slice(&u32::try_from(frame.len()).unwrap_or(u32::MAX).to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(&frame[..caplen])?;
        self.records += 1;
        Ok(())
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn header_and_record_layout() {
        let sink = Shared::default();
        let mut w = PcapWriter::new(Box::new(sink.clone()), 4).unwrap();
        w.write(Instant::from_nanos(2_000_000_123), &[1, 2, 3, 4, 5, 6])
            .unwrap();
        let b = sink.0.borrow();
        assert_eq!(&b[0..4], &[0x4d, 0x3c, 0xb2, 0xa1]);
        assert_eq!(&b[20..24], &[1, 0, 0, 0]);
        assert_eq!(&b[24..28], &2u32.to_le_bytes());
        assert_eq!(&b[28..32], &123u32.to_le_bytes());
        assert_eq!(&b[32..36], &4u32.to_le_bytes());
        assert_eq!(&b[36..40], &6u32.to_le_bytes());
        assert_eq!(&b[40..], &[1, 2, 3, 4]);
        assert_eq!(w.records(), 1);
    }
}
