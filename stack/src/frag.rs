//! IPv4 fragmentation and reassembly (RFC 791 3.2 "Fragmentation and
//! Reassembly", RFC 815 for the hole bookkeeping, RFC 1122 3.3.2).
//!
//! Reassembly policy:
//! - Datagrams are keyed by (source, destination, protocol, ident).
//! - A fragment other than the last must carry a multiple of eight bytes;
//!   no fragment may end beyond 65535 bytes; a fragment may not extend past
//!   the end the last fragment gave, nor may two last fragments disagree.
//!   Violations drop the whole datagram (`frag-malformed`).
//! - An exact duplicate (same offset and length as a fragment held) is
//!   dropped alone (`frag-duplicate`); any other overlap drops the whole
//!   datagram (`frag-overlap`), in the manner RFC 5722 prescribes for IPv6:
//!   overlapping fragments are an attack or a bug, never repaired.
//! - A datagram not complete within the timeout is dropped; if its first
//!   fragment was received the stack answers with ICMP time exceeded,
//!   fragment reassembly time exceeded (RFC 792, RFC 1122 3.3.2).
//! - Payload bytes held over all datagrams stay under a memory limit; a
//!   fragment that would exceed it evicts the oldest datagrams first; a
//!   datagram that alone does not fit is dropped (`frag-memory-limit`).

use crate::buf::{PacketBuf, PacketMeta};
use crate::stats::DropReason;
use crate::time::{Duration, Instant};
use crate::wire::ipv4::{HEADER_LEN, MAX_PACKET_LEN};
use crate::wire::{Ipv4Packet, icmpv4};
use core::net::Ipv4Addr;
use std::collections::BTreeMap;

/// Tunables of reassembly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasmConfig {
    /// RFC 1122 3.3.2 recommends 60 to 120 s; Linux uses 30 s.
    pub timeout: Duration,
    /// Payload bytes held over all datagrams being reassembled.
    pub mem_limit: usize,
}

impl Default for ReasmConfig {
    fn default() -> ReasmConfig {
        ReasmConfig {
            timeout: Duration::from_secs(30),
            mem_limit: 256 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: u8,
    ident: u16,
}

#[derive(Debug)]
struct Assembly {
    created: Instant,
    /// Header of the first fragment (offset zero), once seen.
    header: Option<Vec<u8>>,
    /// Received byte ranges `[start, end)` of the payload, sorted.
    ranges: Vec<(usize, usize)>,
    data: Vec<u8>,
    /// Payload length, known from the last fragment.
    total: Option<usize>,
    held: usize,
    meta: PacketMeta,
}

/// A datagram dropped by the timer; `quote` is the first fragment's header
/// and eight bytes of its data when it was received (for the ICMP error).
#[derive(Debug)]
pub(crate) struct Expired {
    pub iface: usize,
    pub quote: Option<Vec<u8>>,
}

/// The outcome of adding one fragment.
#[derive(Debug)]
pub(crate) enum Reasm {
    /// Held; the datagram is not complete yet.
    Held,
    /// The datagram is complete: a full IPv4 packet.
    Complete(PacketBuf),
    Dropped(DropReason),
}

/// The reassembly queues.
#[derive(Debug, Default)]
pub struct Reassembler {
    config: ReasmConfig,
    queues: BTreeMap<Key, Assembly>,
    held: usize,
    pub(crate) evicted: u64,
}

impl Reassembler {
    pub fn new(config: ReasmConfig) -> Reassembler {
        Reassembler {
            config,
            ..Reassembler::default()
        }
    }

    /// Datagrams being reassembled.
    pub fn len(&self) -> usize {
        self.queues.len()
    }
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }
    /// Payload bytes held.
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Add a fragment: `packet` is a whole IPv4 packet (header valid, buffer
    /// trimmed to the total length) with MF set or a non-zero offset.
    pub(crate) fn add(&mut self, now: Instant, packet: &[u8], meta: PacketMeta) -> Reasm {
        let p = Ipv4Packet::new_unchecked(packet);
        let hlen = usize::from(p.header_len());
        let payload = p.payload();
        let start = usize::from(p.frag_offset());
        let end = start + payload.len();
        let more = p.more_frags();
        let key = Key {
            src: p.src_addr(),
            dst: p.dst_addr(),
            protocol: u8::from(p.protocol()),
            ident: p.ident(),
        };
        // RFC 791: every fragment but the last carries a multiple of 8
        // bytes; the datagram fits the total-length field.
        if payload.is_empty() || (more && payload.len() % 8 != 0) || hlen + end > MAX_PACKET_LEN {
            self.discard(&key);
            return Reasm::Dropped(DropReason::FragMalformed);
        }
        if self.held + payload.len() > self.config.mem_limit {
            self.evict_for(payload.len(), &key);
            if self.held + payload.len() > self.config.mem_limit {
                self.discard(&key);
                return Reasm::Dropped(DropReason::FragMemory);
            }
        }
        let a = self.queues.entry(key).or_insert_with(|| Assembly {
            created: now,
            header: None,
            ranges: Vec::new(),
            data: Vec::new(),
            total: None,
            held: 0,
            meta,
        });
        // Consistency with the end the last fragment gave.
        let bad_end = match a.total {
            Some(t) => end > t || (!more && end != t),
            None => !more && a.ranges.last().is_some_and(|r| r.1 > end),
        };
        if bad_end {
            self.discard(&key);
            return Reasm::Dropped(DropReason::FragMalformed);
        }
        if a.ranges.iter().any(|r| r.0 == start && r.1 == end) {
            return Reasm::Dropped(DropReason::FragDuplicate);
        }
        if a.ranges.iter().any(|r| r.0 < end && start < r.1) {
            self.discard(&key);
            return Reasm::Dropped(DropReason::FragOverlap);
        }
        if !more {
            a.total = Some(end);
        }
        if start == 0 {
            a.header = Some(packet[..hlen].to_vec());
            a.meta = meta;
        }
        if a.data.len() < end {
            a.data.resize(end, 0);
        }
        a.data[start..end].copy_from_slice(payload);
        let pos = a.ranges.partition_point(|r| r.0 < start);
        a.ranges.insert(pos, (start, end));
        a.held += payload.len();
        self.held += payload.len();
        let complete = match (a.total, &a.header) {
            (Some(t), Some(_)) => {
                let mut covered = 0;
                for r in &a.ranges {
                    if r.0 != covered {
                        break;
                    }
                    covered = r.1;
                }
                covered == t
            }
            _ => false,
        };
        if !complete {
            return Reasm::Held;
        }
        let Some(a) = self.queues.remove(&key) else {
            return Reasm::Held;
        };
        self.held -= a.held;
        Reasm::Complete(assemble(a))
    }

    fn discard(&mut self, key: &Key) {
        if let Some(a) = self.queues.remove(key) {
            self.held -= a.held;
        }
    }

    /// Evict the oldest datagrams (other than `keep`) until `need` more
    /// bytes fit.
    fn evict_for(&mut self, need: usize, keep: &Key) {
        while self.held + need > self.config.mem_limit {
            let victim = self
                .queues
                .iter()
                .filter(|(k, _)| *k != keep)
                .min_by_key(|(_, a)| a.created)
                .map(|(k, _)| *k);
            match victim {
                Some(k) => {
                    self.discard(&k);
                    self.evicted += 1;
                }
                None => break,
            }
        }
    }

    /// Drop datagrams older than the timeout.
    pub(crate) fn poll(&mut self, now: Instant) -> Vec<Expired> {
        let timeout = self.config.timeout;
        let keys: Vec<Key> = self
            .queues
            .iter()
            .filter(|(_, a)| now >= a.created + timeout)
            .map(|(k, _)| *k)
            .collect();
        let mut out = Vec::new();
        for k in keys {
            if let Some(a) = self.queues.remove(&k) {
                self.held -= a.held;
                let quote = a.header.as_ref().map(|h| {
                    let mut q = h.clone();
                    let n = a
                        .ranges
                        .first()
                        .map_or(0, |r| if r.0 == 0 { r.1 } else { 0 });
                    q.extend_from_slice(&a.data[..n.min(icmpv4::ERROR_QUOTE_DATA)]);
                    q
                });
                out.push(Expired {
                    iface: a.meta.iface,
                    quote,
                });
            }
        }
        out
    }

    pub fn poll_at(&self) -> Option<Instant> {
        self.queues
            .values()
            .map(|a| a.created + self.config.timeout)
            .min()
    }
}

/// Build the reassembled datagram from the first fragment's header.
fn assemble(a: Assembly) -> PacketBuf {
    let header = a.header.unwrap_or_default();
    let total = a.total.unwrap_or(a.data.len());
    let mut buf = PacketBuf::new(0, header.len() + total);
    if let Ok(out) = buf.put(header.len() + total) {
        out[..header.len()].copy_from_slice(&header);
        out[header.len()..].copy_from_slice(&a.data[..total]);
        let mut p = Ipv4Packet::new_unchecked(&mut out[..]);
        // Checked by `add`: header + total <= 65535.
        p.set_total_len(u16::try_from(header.len() + total).unwrap_or(u16::MAX));
        p.set_flags_and_offset(false, false, 0);
        p.fill_checksum();
    }
    *buf.meta_mut() = a.meta;
    buf
}

/// Split the IPv4 datagram `packet` (header valid, DF clear) into fragments
/// of at most `mtu` bytes, each in a buffer with `headroom` (RFC 791 3.2,
/// "An Example Fragmentation Procedure"). Options whose copied flag is set
/// go into every fragment, the others only into the first. `None` if the
/// MTU cannot carry eight bytes of payload.
pub(crate) fn fragment(packet: &[u8], mtu: usize, headroom: usize) -> Option<Vec<PacketBuf>> {
    let p = Ipv4Packet::new_checked(packet).ok()?;
    let hlen = usize::from(p.header_len());
    let payload = p.payload();
    let first_header = &packet[..hlen];
    let later_header = copied_options_header(first_header);
    let base_offset = usize::from(p.frag_offset());
    let orig_more = p.more_frags();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < payload.len() {
        let header: &[u8] = if pos == 0 {
            first_header
        } else {
            &later_header
        };
        let room = mtu.checked_sub(header.len())? & !7;
        if room == 0 {
            return None;
        }
        let n = room.min(payload.len() - pos);
        let last = pos + n == payload.len();
        let mut buf = PacketBuf::new(headroom, header.len() + n);
        let bytes = buf.put(header.len() + n).ok()?;
        bytes[..header.len()].copy_from_slice(header);
        bytes[header.len()..].copy_from_slice(&payload[pos..pos + n]);
        let mut f = Ipv4Packet::new_unchecked(&mut bytes[..]);
        f.set_total_len(u16::try_from(header.len() + n).ok()?);
        let offset = u16::try_from(base_offset + pos).ok()?;
        f.set_flags_and_offset(false, !last || orig_more, offset);
        f.fill_checksum();
        out.push(buf);
        pos += n;
    }
    Some(out)
}

/// The header for fragments after the first: the fixed part plus the
/// options with the copied flag (RFC 791 3.1, "Options"), padded to a
/// multiple of four with end-of-option-list.
fn copied_options_header(header: &[u8]) -> Vec<u8> {
    let mut out = header[..HEADER_LEN].to_vec();
    let opts = &header[HEADER_LEN..];
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => break,
            1 => i += 1,
            t => {
                let Some(&len) = opts.get(i + 1) else { break };
                let len = usize::from(len);
                if len < 2 || i + len > opts.len() {
                    break;
                }
                if t & 0x80 != 0 {
                    out.extend_from_slice(&opts[i..i + len]);
                }
                i += len;
            }
        }
    }
    while out.len() % 4 != 0 {
        out.push(0);
    }
    let ihl = out.len();
    let mut p = Ipv4Packet::new_unchecked(&mut out[..]);
    p.set_version_and_header_len(4, u8::try_from(ihl).unwrap_or(60));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{IpProtocol, Ipv4Repr};

    fn datagram(len: usize, ident: u16) -> Vec<u8> {
        let repr = Ipv4Repr {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            protocol: IpProtocol::Udp,
            payload_len: len as u16,
            ttl: 64,
            dscp_ecn: 0,
            ident,
            dont_frag: false,
            more_frags: false,
            frag_offset: 0,
        };
        let mut b = vec![0u8; 20 + len];
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut b[..]));
        for (i, x) in b[20..].iter_mut().enumerate() {
            *x = (i * 7 + 3) as u8;
        }
        b
    }

    #[test]
    fn fragment_then_reassemble_in_any_order() {
        let d = datagram(3000, 7);
        let frags = fragment(&d, 1500, 0).unwrap();
        assert_eq!(frags.len(), 3);
        let sizes: Vec<_> = frags.iter().map(|f| f.len()).collect();
        assert_eq!(sizes, vec![1500, 1500, 60]);
        let p1 = Ipv4Packet::new_checked(frags[1].data()).unwrap();
        assert!(p1.more_frags() && p1.verify_checksum());
        assert_eq!(p1.frag_offset(), 1480);
        let mut r = Reassembler::new(ReasmConfig::default());
        let now = Instant::ZERO;
        for i in [2, 0] {
            assert!(matches!(
                r.add(now, frags[i].data(), PacketMeta::default()),
                Reasm::Held
            ));
        }
        match r.add(now, frags[1].data(), PacketMeta::default()) {
            Reasm::Complete(b) => assert_eq!(b.data(), &d[..]),
            other => panic!("{other:?}"),
        }
        assert!(r.is_empty());
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn overlap_drops_datagram_duplicate_drops_fragment() {
        let d = datagram(3000, 8);
        let frags = fragment(&d, 1500, 0).unwrap();
        let mut r = Reassembler::new(ReasmConfig::default());
        let now = Instant::ZERO;
        let m = PacketMeta::default();
        assert!(matches!(r.add(now, frags[0].data(), m), Reasm::Held));
        assert!(matches!(
            r.add(now, frags[0].data(), m),
            Reasm::Dropped(DropReason::FragDuplicate)
        ));
        // A fragment at offset 8 overlapping the first one.
        let mut bad = frags[1].data().to_vec();
        Ipv4Packet::new_unchecked(&mut bad[..]).set_flags_and_offset(false, true, 8);
        assert!(matches!(
            r.add(now, &bad, m),
            Reasm::Dropped(DropReason::FragOverlap)
        ));
        assert!(r.is_empty());
    }

    #[test]
    fn timeout_quotes_first_fragment_and_memory_limit() {
        let d = datagram(3000, 9);
        let frags = fragment(&d, 1500, 0).unwrap();
        let cfg = ReasmConfig {
            timeout: Duration::from_secs(30),
            mem_limit: 2000,
        };
        let mut r = Reassembler::new(cfg);
        let m = PacketMeta::default();
        assert!(matches!(
            r.add(Instant::ZERO, frags[0].data(), m),
            Reasm::Held
        ));
        assert_eq!(r.poll_at(), Some(Instant::ZERO + cfg.timeout));
        // The second fragment does not fit beside the first.
        assert!(matches!(
            r.add(Instant::ZERO, frags[1].data(), m),
            Reasm::Dropped(DropReason::FragMemory)
        ));
        let d2 = datagram(3000, 10);
        let f2 = fragment(&d2, 1500, 0).unwrap();
        assert!(matches!(r.add(Instant::ZERO, f2[0].data(), m), Reasm::Held));
        assert!(r.poll(Instant::from_millis(29_999)).is_empty());
        let expired = r.poll(Instant::from_millis(30_000));
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].quote.as_deref().unwrap(), &f2[0].data()[..28]);
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn malformed_fragments() {
        let d = datagram(3000, 11);
        let frags = fragment(&d, 1500, 0).unwrap();
        let mut r = Reassembler::new(ReasmConfig::default());
        let m = PacketMeta::default();
        // MF set with a length that is not a multiple of eight.
        let mut odd = frags[0].data()[..1499].to_vec();
        Ipv4Packet::new_unchecked(&mut odd[..]).set_total_len(1499);
        assert!(matches!(
            r.add(Instant::ZERO, &odd, m),
            Reasm::Dropped(DropReason::FragMalformed)
        ));
        // Data past the end the last fragment gave.
        assert!(matches!(
            r.add(Instant::ZERO, frags[2].data(), m),
            Reasm::Held
        ));
        let mut past = frags[1].data().to_vec();
        Ipv4Packet::new_unchecked(&mut past[..]).set_flags_and_offset(false, true, 2960);
        assert!(matches!(
            r.add(Instant::ZERO, &past, m),
            Reasm::Dropped(DropReason::FragMalformed)
        ));
        assert!(r.is_empty());
    }

    #[test]
    fn copied_options_only_in_later_fragments() {
        // Options: a copied option (type 0x83, loose source route, len 7)
        // and a non-copied one (type 0x07, record route, len 3) plus NOP.
        let mut d = datagram(100, 12);
        let opts = [0x83, 7, 4, 1, 2, 3, 4, 0x07, 3, 4, 1, 0];
        d.splice(20..20, opts.iter().copied());
        let mut p = Ipv4Packet::new_unchecked(&mut d[..]);
        p.set_version_and_header_len(4, 32);
        p.set_total_len(132);
        p.fill_checksum();
        let frags = fragment(&d, 32 + 56, 0).unwrap();
        assert_eq!(
            Ipv4Packet::new_checked(frags[0].data())
                .unwrap()
                .header_len(),
            32
        );
        let later = Ipv4Packet::new_checked(frags[1].data()).unwrap();
        assert_eq!(later.header_len(), 28);
        assert_eq!(&frags[1].data()[20..28], &[0x83, 7, 4, 1, 2, 3, 4, 0]);
        assert!(later.verify_checksum());
        let mut r = Reassembler::new(ReasmConfig::default());
        let mut done = None;
        for f in &frags {
            if let Reasm::Complete(b) = r.add(Instant::ZERO, f.data(), PacketMeta::default()) {
                done = Some(b);
            }
        }
        assert_eq!(done.unwrap().data(), &d[..]);
    }
}
