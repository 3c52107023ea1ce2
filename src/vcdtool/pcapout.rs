//! GMII frames as a classic pcap (LINKTYPE_ETHERNET, FCS kept, nanosecond
//! timestamps from the dump time of the frame's first preamble byte).

use std::io::Write;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

use super::{Frame, VcdError};

/// Snap length: the frames' stored bytes never exceed it.
const SNAPLEN: u32 = super::MAX_STORED_BYTES as u32;

/// Writes frames one by one; frames without an SFD are not frames a PHY
/// would deliver, and frames cut by the start or end of the dump are
/// partial: both are skipped (counted in [`FramePcapWriter::skipped`]).
pub struct FramePcapWriter<W: Write> {
    inner: PcapWriter<W>,
    written: u64,
    skipped: u64,
}

fn pcap_err(e: pcap_file::PcapError) -> VcdError {
    VcdError::Pcap(e.to_string())
}

impl<W: Write> FramePcapWriter<W> {
    pub fn new(w: W) -> Result<Self, VcdError> {
        let header = PcapHeader {
            version_major: 2,
            version_minor: 4,
            ts_correction: 0,
            ts_accuracy: 0,
            snaplen: SNAPLEN,
            datalink: DataLink::ETHERNET,
            ts_resolution: TsResolution::NanoSecond,
            endianness: Endianness::Little,
        };
        Ok(FramePcapWriter {
            inner: PcapWriter::with_header(w, header).map_err(pcap_err)?,
            written: 0,
            skipped: 0,
        })
    }

    pub fn write(&mut self, f: &Frame) -> Result<(), VcdError> {
        if !f.sfd || f.cut {
            self.skipped += 1;
            return Ok(());
        }
        let ts = Duration::from_nanos(f.start_ps / 1000);
        let orig = u32::try_from(f.len).unwrap_or(u32::MAX);
        let p = PcapPacket::new(ts, orig, &f.data);
        self.inner.write_packet(&p).map_err(pcap_err)?;
        self.written += 1;
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    pub fn into_inner(self) -> W {
        self.inner.into_writer()
    }
}

/// Writes all frames to `w`; returns how many were written.
pub fn write_pcap<'a, W: Write>(
    w: W,
    frames: impl IntoIterator<Item = &'a Frame>,
) -> Result<u64, VcdError> {
    let mut p = FramePcapWriter::new(w)?;
    for f in frames {
        p.write(f)?;
    }
    Ok(p.written())
}
