//! TCP segment header (RFC 9293 3.1) and options (RFC 9293 3.2, RFC 7323,
//! RFC 2018): a zero-copy view [`TcpPacket`] and a parsed [`TcpRepr`].
//!
//! Checksums: by the stack's policy the TCP layer emits segments with a zero
//! checksum field and the IPv4 layer fills it (in software or by NIC
//! offload); on input IPv4 hands TCP only verified segments. The view still
//! gives access to the field.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, AddAssign, Sub};

use super::{WireError, WireResult};

/// A TCP sequence number: arithmetic modulo 2^32, compared as in
/// RFC 9293 3.4 (a < b iff the signed 32-bit difference a - b is negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// Signed distance from `other` to `self` (positive when `self` is later).
    pub fn diff(self, other: SeqNumber) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }
    /// `self - other` as an unsigned byte count; zero if `self` is earlier.
    pub fn since(self, other: SeqNumber) -> usize {
        let d = self.diff(other);
        if d < 0 { 0 } else { d as usize }
    }
    pub fn max(self, other: SeqNumber) -> SeqNumber {
        if self > other { self } else { other }
    }
    pub fn min(self, other: SeqNumber) -> SeqNumber {
        if self < other { self } else { other }
    }
    /// `lo <= self < hi` in sequence space.
    pub fn in_range(self, lo: SeqNumber, hi: SeqNumber) -> bool {
        self >= lo && self < hi
    }
}

impl PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// RFC 9293 3.4: comparisons are modulo 2^32. This order is not transitive
/// over the whole space; it is valid for numbers less than 2^31 apart,
/// which the windows guarantee.
impl Ord for SeqNumber {
    fn cmp(&self, other: &SeqNumber) -> Ordering {
        self.diff(*other).cmp(&0)
    }
}

impl Add<usize> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, rhs: usize) -> SeqNumber {
        // Only the low 32 bits matter in sequence space (RFC 9293 3.4).
        SeqNumber(self.0.wrapping_add(rhs as u32))
    }
}

impl AddAssign<usize> for SeqNumber {
    fn add_assign(&mut self, rhs: usize) {
        *self = *self + rhs;
    }
}

impl Sub<usize> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, rhs: usize) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(rhs as u32))
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

mod field {
    use core::ops::Range;
    pub type Field = Range<usize>;

    // RFC 9293 3.1, figure 1.
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ_NUM: Field = 4..8;
    pub const ACK_NUM: Field = 8..12;
    pub const FLAGS: Field = 12..14;
    pub const WIN_SIZE: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
    pub const HEADER_LEN: usize = 20;

    pub const FLG_FIN: u16 = 0x001;
    pub const FLG_SYN: u16 = 0x002;
    pub const FLG_RST: u16 = 0x004;
    pub const FLG_PSH: u16 = 0x008;
    pub const FLG_ACK: u16 = 0x010;
    pub const FLG_URG: u16 = 0x020;
    pub const FLG_ECE: u16 = 0x040;
    pub const FLG_CWR: u16 = 0x080;

    // Option kinds: RFC 9293 3.2, RFC 7323 2.2 and 3.2, RFC 2018 2 and 3.
    pub const OPT_EOL: u8 = 0;
    pub const OPT_NOP: u8 = 1;
    pub const OPT_MSS: u8 = 2;
    pub const OPT_WS: u8 = 3;
    pub const OPT_SACKPERM: u8 = 4;
    pub const OPT_SACKRNG: u8 = 5;
    pub const OPT_TSTAMP: u8 = 8;
}

/// Length of the fixed TCP header.
pub const HEADER_LEN: usize = field::HEADER_LEN;
/// Largest TCP header (data offset 15 words).
pub const MAX_HEADER_LEN: usize = 60;

/// A read/write view of a TCP segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

fn be16(b: &[u8], f: field::Field) -> u16 {
    u16::from_be_bytes([b[f.start], b[f.start + 1]])
}

fn be32(b: &[u8], f: field::Field) -> u32 {
    u32::from_be_bytes([b[f.start], b[f.start + 1], b[f.start + 2], b[f.start + 3]])
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    pub const fn new_unchecked(buffer: T) -> TcpPacket<T> {
        TcpPacket { buffer }
    }

    pub fn new_checked(buffer: T) -> WireResult<TcpPacket<T>> {
        let p = TcpPacket::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// After this succeeds no accessor panics: the fixed header is present,
    /// the data offset is at least 5 and within the buffer.
    pub fn check_len(&self) -> WireResult<()> {
        let len = self.buffer.as_ref().len();
        if len < field::HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let hl = self.header_len();
        if hl < field::HEADER_LEN {
            return Err(WireError::Malformed);
        }
        if len < hl {
            return Err(WireError::Truncated);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    pub fn src_port(&self) -> u16 {
        be16(self.buffer.as_ref(), field::SRC_PORT)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.buffer.as_ref(), field::DST_PORT)
    }
    pub fn seq_number(&self) -> SeqNumber {
        SeqNumber(be32(self.buffer.as_ref(), field::SEQ_NUM))
    }
    pub fn ack_number(&self) -> SeqNumber {
        SeqNumber(be32(self.buffer.as_ref(), field::ACK_NUM))
    }
    fn flags_raw(&self) -> u16 {
        be16(self.buffer.as_ref(), field::FLAGS)
    }
    pub fn fin(&self) -> bool {
        self.flags_raw() & field::FLG_FIN != 0
    }
    pub fn syn(&self) -> bool {
        self.flags_raw() & field::FLG_SYN != 0
    }
    pub fn rst(&self) -> bool {
        self.flags_raw() & field::FLG_RST != 0
    }
    pub fn psh(&self) -> bool {
        self.flags_raw() & field::FLG_PSH != 0
    }
    pub fn ack(&self) -> bool {
        self.flags_raw() & field::FLG_ACK != 0
    }
    pub fn urg(&self) -> bool {
        self.flags_raw() & field::FLG_URG != 0
    }
    pub fn ece(&self) -> bool {
        self.flags_raw() & field::FLG_ECE != 0
    }
    pub fn cwr(&self) -> bool {
        self.flags_raw() & field::FLG_CWR != 0
    }
    /// Header length in bytes (data offset * 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::FLAGS.start] >> 4) * 4
    }
    pub fn window_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::WIN_SIZE)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHECKSUM)
    }
    pub fn urgent_at(&self) -> u16 {
        be16(self.buffer.as_ref(), field::URGENT)
    }
    /// The option bytes between the fixed header and the payload.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::HEADER_LEN..self.header_len()]
    }
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
    /// Sequence space the segment occupies: payload plus one for SYN and
    /// one for FIN (RFC 9293 3.4).
    pub fn segment_len(&self) -> usize {
        self.payload().len() + usize::from(self.syn()) + usize::from(self.fin())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    fn put16(&mut self, f: field::Field, v: u16) {
        self.buffer.as_mut()[f].copy_from_slice(&v.to_be_bytes());
    }
    fn put32(&mut self, f: field::Field, v: u32) {
        self.buffer.as_mut()[f].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_src_port(&mut self, v: u16) {
        self.put16(field::SRC_PORT, v)
    }
    pub fn set_dst_port(&mut self, v: u16) {
        self.put16(field::DST_PORT, v)
    }
    pub fn set_seq_number(&mut self, v: SeqNumber) {
        self.put32(field::SEQ_NUM, v.0)
    }
    pub fn set_ack_number(&mut self, v: SeqNumber) {
        self.put32(field::ACK_NUM, v.0)
    }
    /// Set the data offset (`len` bytes, a multiple of 4) and clear flags.
    pub fn set_header_len_and_clear_flags(&mut self, len: usize) {
        let words = (len / 4).min(15) as u16;
        self.put16(field::FLAGS, words << 12);
    }
    fn set_flag(&mut self, mask: u16, on: bool) {
        let raw = self.flags_raw();
        self.put16(field::FLAGS, if on { raw | mask } else { raw & !mask });
    }
    pub fn set_fin(&mut self, on: bool) {
        self.set_flag(field::FLG_FIN, on)
    }
    pub fn set_syn(&mut self, on: bool) {
        self.set_flag(field::FLG_SYN, on)
    }
    pub fn set_rst(&mut self, on: bool) {
        self.set_flag(field::FLG_RST, on)
    }
    pub fn set_psh(&mut self, on: bool) {
        self.set_flag(field::FLG_PSH, on)
    }
    pub fn set_ack(&mut self, on: bool) {
        self.set_flag(field::FLG_ACK, on)
    }
    pub fn set_urg(&mut self, on: bool) {
        self.set_flag(field::FLG_URG, on)
    }
    pub fn set_window_len(&mut self, v: u16) {
        self.put16(field::WIN_SIZE, v)
    }
    pub fn set_checksum(&mut self, v: u16) {
        self.put16(field::CHECKSUM, v)
    }
    pub fn set_urgent_at(&mut self, v: u16) {
        self.put16(field::URGENT, v)
    }
    pub fn options_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        &mut self.buffer.as_mut()[field::HEADER_LEN..hl]
    }
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        &mut self.buffer.as_mut()[hl..]
    }
}

/// One TCP option, as met while walking the option area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    EndOfList,
    NoOperation,
    MaxSegmentSize(u16),
    WindowScale(u8),
    SackPermitted,
    /// Up to four SACK blocks (RFC 2018 3: at most 4 fit in 40 bytes).
    SackRange([Option<(SeqNumber, SeqNumber)>; 4]),
    /// (TSval, TSecr), RFC 7323 3.2.
    Timestamp(u32, u32),
    Unknown {
        kind: u8,
        data: &'a [u8],
    },
}

impl<'a> TcpOption<'a> {
    /// Parse one option at the start of `buf`; returns it and the rest.
    /// Known options with a wrong length are returned as `Unknown` so that
    /// they are skipped (RFC 9293 3.2: a TCP must be prepared to handle an
    /// illegal option length without crashing).
    pub fn parse(buf: &'a [u8]) -> WireResult<(&'a [u8], TcpOption<'a>)> {
        let (&kind, rest) = buf.split_first().ok_or(WireError::Truncated)?;
        match kind {
            field::OPT_EOL => return Ok((&[], TcpOption::EndOfList)),
            field::OPT_NOP => return Ok((rest, TcpOption::NoOperation)),
            _ => {}
        }
        let &len = rest.first().ok_or(WireError::Malformed)?;
        let len = usize::from(len);
        if len < 2 || len > buf.len() {
            return Err(WireError::Malformed);
        }
        let data = &buf[2..len];
        let next = &buf[len..];
        let opt = match (kind, len) {
            (field::OPT_MSS, 4) => {
                TcpOption::MaxSegmentSize(u16::from_be_bytes([data[0], data[1]]))
            }
            (field::OPT_WS, 3) => TcpOption::WindowScale(data[0]),
            (field::OPT_SACKPERM, 2) => TcpOption::SackPermitted,
            (field::OPT_SACKRNG, n) if n >= 10 && (n - 2) % 8 == 0 => {
                let mut blocks = [None; 4];
                for (slot, chunk) in blocks.iter_mut().zip(data.chunks_exact(8)) {
                    let l = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                    let r = u32::from_be_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
                    *slot = Some((SeqNumber(l), SeqNumber(r)));
                }
                TcpOption::SackRange(blocks)
            }
            (field::OPT_TSTAMP, 10) => TcpOption::Timestamp(
                u32::from_be_bytes([data[0], data[1], data[2], data[3]]),
                u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
            ),
            _ => TcpOption::Unknown { kind, data },
        };
        Ok((next, opt))
    }

    pub fn buffer_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::NoOperation => 1,
            TcpOption::MaxSegmentSize(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::SackRange(b) => 2 + 8 * b.iter().flatten().count(),
            TcpOption::Timestamp(..) => 10,
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Write the option at the start of `buf` and return the rest.
    pub fn emit<'b>(&self, buf: &'b mut [u8]) -> &'b mut [u8] {
        let n = self.buffer_len();
        let (out, rest) = buf.split_at_mut(n);
        match *self {
            TcpOption::EndOfList => out[0] = field::OPT_EOL,
            TcpOption::NoOperation => out[0] = field::OPT_NOP,
            _ => {
                out[1] = n as u8;
                match *self {
                    TcpOption::MaxSegmentSize(v) => {
                        out[0] = field::OPT_MSS;
                        out[2..4].copy_from_slice(&v.to_be_bytes());
                    }
                    TcpOption::WindowScale(s) => {
                        out[0] = field::OPT_WS;
                        out[2] = s;
                    }
                    TcpOption::SackPermitted => out[0] = field::OPT_SACKPERM,
                    TcpOption::SackRange(blocks) => {
                        out[0] = field::OPT_SACKRNG;
                        for (chunk, (l, r)) in
                            out[2..].chunks_exact_mut(8).zip(blocks.iter().flatten())
                        {
                            chunk[..4].copy_from_slice(&l.0.to_be_bytes());
                            chunk[4..].copy_from_slice(&r.0.to_be_bytes());
                        }
                    }
                    TcpOption::Timestamp(v, e) => {
                        out[0] = field::OPT_TSTAMP;
                        out[2..6].copy_from_slice(&v.to_be_bytes());
                        out[6..10].copy_from_slice(&e.to_be_bytes());
                    }
                    TcpOption::Unknown { kind, data } => {
                        out[0] = kind;
                        out[2..].copy_from_slice(data);
                    }
                    TcpOption::EndOfList | TcpOption::NoOperation => {}
                }
            }
        }
        rest
    }
}

/// Control flags of a segment (RFC 9293 3.1). URG is parsed but the
/// urgent mechanism is not implemented (RFC 6093 recommends against it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags {
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

/// A parsed TCP segment header, borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpRepr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq_number: SeqNumber,
    /// `Some` iff the ACK flag is set.
    pub ack_number: Option<SeqNumber>,
    pub flags: TcpFlags,
    /// The raw 16-bit window field (unscaled).
    pub window_len: u16,
    pub max_seg_size: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    pub sack_ranges: [Option<(SeqNumber, SeqNumber)>; 4],
    /// (TSval, TSecr), RFC 7323 3.
    pub timestamp: Option<(u32, u32)>,
    pub payload: &'a [u8],
}

impl<'a> TcpRepr<'a> {
    /// A header with every field empty, for building segments.
    pub fn new(src_port: u16, dst_port: u16, seq_number: SeqNumber) -> TcpRepr<'static> {
        TcpRepr {
            src_port,
            dst_port,
            seq_number,
            ack_number: None,
            flags: TcpFlags::default(),
            window_len: 0,
            max_seg_size: None,
            window_scale: None,
            sack_permitted: false,
            sack_ranges: [None; 4],
            timestamp: None,
            payload: &[],
        }
    }

    /// Parse a segment whose checksum has already been verified (see the
    /// module documentation). Unknown options are skipped; options after
    /// End of Option List are ignored (RFC 9293 3.1).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &TcpPacket<&'a T>) -> WireResult<TcpRepr<'a>> {
        packet.check_len()?;
        let inner: &'a T = packet.buffer;
        let buf: &'a [u8] = inner.as_ref();
        let hl = packet.header_len();
        let mut repr = TcpRepr::new(packet.src_port(), packet.dst_port(), packet.seq_number());
        if packet.ack() {
            repr.ack_number = Some(packet.ack_number());
        }
        repr.flags = TcpFlags {
            syn: packet.syn(),
            fin: packet.fin(),
            rst: packet.rst(),
            psh: packet.psh(),
        };
        repr.window_len = packet.window_len();
        let mut opts = &buf[field::HEADER_LEN..hl];
        while !opts.is_empty() {
            let (rest, opt) = TcpOption::parse(opts)?;
            match opt {
                TcpOption::EndOfList => break,
                TcpOption::NoOperation | TcpOption::Unknown { .. } => {}
                TcpOption::MaxSegmentSize(v) => repr.max_seg_size = Some(v),
                // RFC 7323 2.3: a shift above 14 is treated as 14.
                TcpOption::WindowScale(s) => repr.window_scale = Some(s.min(14)),
                TcpOption::SackPermitted => repr.sack_permitted = true,
                TcpOption::SackRange(b) => repr.sack_ranges = b,
                TcpOption::Timestamp(v, e) => repr.timestamp = Some((v, e)),
            }
            opts = rest;
        }
        repr.payload = &buf[hl..];
        Ok(repr)
    }

    /// Length of the option area, padded to a multiple of 4 bytes.
    pub fn options_len(&self) -> usize {
        let mut n = 0;
        if self.max_seg_size.is_some() {
            n += 4;
        }
        if self.window_scale.is_some() {
            n += 4; // NOP + WS(3)
        }
        if self.sack_permitted {
            n += 4; // NOP NOP + SACKOK(2), or paired with the timestamp
        }
        if self.timestamp.is_some() {
            n += 12; // NOP NOP + TS(10), RFC 7323 appendix A layout
        }
        let blocks = self.sack_ranges.iter().flatten().count();
        if blocks > 0 {
            n += 4 + 8 * blocks; // NOP NOP + SACK(2 + 8n)
        }
        n
    }

    pub fn header_len(&self) -> usize {
        field::HEADER_LEN + self.options_len()
    }

    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Sequence space the segment occupies.
    pub fn segment_len(&self) -> usize {
        self.payload.len() + usize::from(self.flags.syn) + usize::from(self.flags.fin)
    }

    /// Write the header into the first `header_len()` bytes of `packet`
    /// (options aligned as in RFC 7323 appendix A) with a zero checksum;
    /// the payload, if `packet` is longer, is written by the caller or
    /// copied here when `copy_payload` is set.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut TcpPacket<T>,
        copy_payload: bool,
    ) {
        let hl = self.header_len();
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_seq_number(self.seq_number);
        packet.set_ack_number(self.ack_number.unwrap_or_default());
        packet.set_header_len_and_clear_flags(hl);
        packet.set_syn(self.flags.syn);
        packet.set_fin(self.flags.fin);
        packet.set_rst(self.flags.rst);
        packet.set_psh(self.flags.psh);
        packet.set_ack(self.ack_number.is_some());
        packet.set_window_len(self.window_len);
        packet.set_checksum(0);
        packet.set_urgent_at(0);
        let mut opts = packet.options_mut();
        if let Some(mss) = self.max_seg_size {
            opts = TcpOption::MaxSegmentSize(mss).emit(opts);
        }
        if let Some(ws) = self.window_scale {
            opts = TcpOption::NoOperation.emit(opts);
            opts = TcpOption::WindowScale(ws).emit(opts);
        }
        if self.sack_permitted {
            opts = TcpOption::NoOperation.emit(opts);
            opts = TcpOption::NoOperation.emit(opts);
            opts = TcpOption::SackPermitted.emit(opts);
        }
        if let Some((v, e)) = self.timestamp {
            opts = TcpOption::NoOperation.emit(opts);
            opts = TcpOption::NoOperation.emit(opts);
            opts = TcpOption::Timestamp(v, e).emit(opts);
        }
        if self.sack_ranges.iter().any(Option::is_some) {
            opts = TcpOption::NoOperation.emit(opts);
            opts = TcpOption::NoOperation.emit(opts);
            opts = TcpOption::SackRange(self.sack_ranges).emit(opts);
        }
        debug_assert!(opts.is_empty());
        if copy_payload {
            packet.payload_mut()[..self.payload.len()].copy_from_slice(self.payload);
        }
    }
}

impl fmt::Display for TcpRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TCP {}>{} seq={}",
            self.src_port, self.dst_port, self.seq_number
        )?;
        if let Some(a) = self.ack_number {
            write!(f, " ack={a}")?;
        }
        for (on, name) in [
            (self.flags.syn, " SYN"),
            (self.flags.fin, " FIN"),
            (self.flags.rst, " RST"),
            (self.flags.psh, " PSH"),
        ] {
            if on {
                f.write_str(name)?;
            }
        }
        write!(f, " win={} len={}", self.window_len, self.payload.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A SYN from port 49152 to 80 with MSS 1460, SACK-permitted, timestamps
    // and window scale 7, in the order Linux sends them.
    const SYN_BYTES: [u8; 40] = [
        0xc0, 0x00, 0x00, 0x50, // ports
        0x01, 0x02, 0x03, 0x04, // seq
        0x00, 0x00, 0x00, 0x00, // ack
        0xa0, 0x02, 0xfa, 0xf0, // data offset 10, SYN, window 64240
        0x00, 0x00, 0x00, 0x00, // checksum, urgent
        0x02, 0x04, 0x05, 0xb4, // MSS 1460
        0x04, 0x02, // SACK permitted
        0x08, 0x0a, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, // TS 100,0
        0x01, // NOP
        0x03, 0x03, 0x07, // WS 7
    ];

    #[test]
    fn test_deconstruct_syn() {
        let p = TcpPacket::new_checked(&SYN_BYTES[..]).unwrap();
        assert_eq!(p.src_port(), 49152);
        assert_eq!(p.dst_port(), 80);
        assert_eq!(p.seq_number(), SeqNumber(0x0102_0304));
        assert!(p.syn() && !p.ack() && !p.fin() && !p.rst());
        assert_eq!(p.header_len(), 40);
        assert_eq!(p.window_len(), 64240);
        let r = TcpRepr::parse(&p).unwrap();
        assert_eq!(r.max_seg_size, Some(1460));
        assert!(r.sack_permitted);
        assert_eq!(r.timestamp, Some((100, 0)));
        assert_eq!(r.window_scale, Some(7));
        assert_eq!(r.ack_number, None);
        assert_eq!(r.segment_len(), 1);
    }

    #[test]
    fn test_construct_round_trip() {
        let mut r = TcpRepr::new(1, 2, SeqNumber(0xffff_fff0));
        r.ack_number = Some(SeqNumber(7));
        r.flags.psh = true;
        r.flags.fin = true;
        r.window_len = 1234;
        r.timestamp = Some((5, 6));
        r.sack_ranges[0] = Some((SeqNumber(10), SeqNumber(20)));
        r.sack_ranges[1] = Some((SeqNumber(30), SeqNumber(40)));
        r.payload = b"hello";
        let mut buf = vec![0u8; r.buffer_len()];
        r.emit(&mut TcpPacket::new_unchecked(&mut buf[..]), true);
        assert_eq!(r.header_len() % 4, 0);
        let p = TcpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(TcpRepr::parse(&p).unwrap(), r);
        assert_eq!(p.payload(), b"hello");
        assert_eq!(p.checksum(), 0, "TCP leaves the checksum to IPv4");
    }

    #[test]
    fn test_check_len() {
        assert_eq!(
            TcpPacket::new_checked(&SYN_BYTES[..19]).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(
            TcpPacket::new_checked(&SYN_BYTES[..39]).unwrap_err(),
            WireError::Truncated
        );
        let mut b = SYN_BYTES;
        b[12] = 0x40; // data offset 4
        assert_eq!(
            TcpPacket::new_checked(&b[..]).unwrap_err(),
            WireError::Malformed
        );
    }

    #[test]
    fn test_unknown_and_bad_options() {
        let mut b = SYN_BYTES;
        // Replace SACK-permitted with an unknown 2-byte option kind 99.
        b[24] = 99;
        let p = TcpPacket::new_checked(&b[..]).unwrap();
        let r = TcpRepr::parse(&p).unwrap();
        assert!(!r.sack_permitted);
        assert_eq!(r.max_seg_size, Some(1460));
        assert_eq!(r.window_scale, Some(7));
        // MSS with a wrong length (3) is skipped, not misread.
        let mut b = SYN_BYTES;
        b[20..24].copy_from_slice(&[0x02, 0x03, 0x05, 0x01]);
        let r = TcpRepr::parse(&TcpPacket::new_checked(&b[..]).unwrap()).unwrap();
        assert_eq!(r.max_seg_size, None);
        // A length running past the option area is an error.
        let mut b = SYN_BYTES;
        b[37] = 0x03;
        b[38] = 0x09;
        assert_eq!(
            TcpRepr::parse(&TcpPacket::new_checked(&b[..]).unwrap()).unwrap_err(),
            WireError::Malformed
        );
        // A zero length would loop forever; it is an error.
        let mut b = SYN_BYTES;
        b[21] = 0;
        assert_eq!(
            TcpRepr::parse(&TcpPacket::new_checked(&b[..]).unwrap()).unwrap_err(),
            WireError::Malformed
        );
        // Options after EOL are ignored.
        let mut b = SYN_BYTES;
        b[20] = 0;
        let r = TcpRepr::parse(&TcpPacket::new_checked(&b[..]).unwrap()).unwrap();
        assert_eq!(r.max_seg_size, None);
        assert_eq!(r.timestamp, None);
    }

    #[test]
    fn test_window_scale_clamped() {
        let mut b = SYN_BYTES;
        b[39] = 20;
        let r = TcpRepr::parse(&TcpPacket::new_checked(&b[..]).unwrap()).unwrap();
        assert_eq!(r.window_scale, Some(14));
    }

    #[test]
    fn test_seq_wrapping() {
        let a = SeqNumber(0xffff_fff0);
        let b = a + 0x20;
        assert_eq!(b, SeqNumber(0x10));
        assert!(a < b);
        assert!(b > a);
        assert_eq!(b.diff(a), 0x20);
        assert_eq!(b.since(a), 0x20);
        assert_eq!(a.since(b), 0);
        assert_eq!(b - 0x20usize, a);
        assert!(SeqNumber(5).in_range(a, b));
        assert!(!b.in_range(a, b));
        assert_eq!(a.max(b), b);
        assert_eq!(a.min(b), a);
    }
}
