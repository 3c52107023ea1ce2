//! pcap capture of a wire: every frame with its FCS kept, LINKTYPE_ETHERNET,
//! nanosecond timestamps in simulated time (so tshark can check the FCS with
//! `-o eth.fcs:Always -o eth.check_fcs:TRUE`).

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// A capture file could not be written.
#[derive(Debug)]
pub struct CaptureError(pub String);

impl core::fmt::Display for CaptureError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "pcap capture: {}", self.0)
    }
}

impl std::error::Error for CaptureError {}

/// A pcap file being written.
pub struct Capture {
    writer: PcapWriter<BufWriter<File>>,
    pub frames: u64,
}

impl core::fmt::Debug for Capture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Capture({} frames)", self.frames)
    }
}

impl Capture {
    pub fn create(path: &Path) -> Result<Capture, CaptureError> {
        let file = File::create(path)
            .map_err(|e| CaptureError(format!("cannot create {}: {e}", path.display())))?;
        let header = PcapHeader {
            version_major: 2,
            version_minor: 4,
            ts_correction: 0,
            ts_accuracy: 0,
            snaplen: 65535,
            datalink: DataLink::ETHERNET,
            ts_resolution: TsResolution::NanoSecond,
            endianness: Endianness::Little,
        };
        let writer = PcapWriter::with_header(BufWriter::new(file), header)
            .map_err(|e| CaptureError(e.to_string()))?;
        Ok(Capture { writer, frames: 0 })
    }

    /// Record `data` (Ethernet header to FCS) seen at simulated `ns`.
    pub fn write(&mut self, ns: u64, data: &[u8]) -> Result<(), CaptureError> {
        let len = u32::try_from(data.len()).map_err(|_| CaptureError("frame too long".into()))?;
        let pkt = PcapPacket::new(std::time::Duration::from_nanos(ns), len, data);
        self.writer
            .write_packet(&pkt)
            .map_err(|e| CaptureError(e.to_string()))?;
        self.frames += 1;
        Ok(())
    }

    /// Flush to disk.
    pub fn finish(self) -> Result<(), CaptureError> {
        let mut w = self.writer.into_writer();
        std::io::Write::flush(&mut w).map_err(|e| CaptureError(e.to_string()))
    }
}
