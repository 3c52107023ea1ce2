//! MAC-level semantics shared by the model's transmit and receive paths:
//! the Ethernet FCS, padding, the internet checksum the NIC offloads, and
//! the destination-address filter.

use driver::regs::{Rah, Rctl, mta_hash};

/// Minimum frame length without the FCS (IEEE 802.3 clause 4.2.3.3: 64
/// bytes with the FCS).
pub const MIN_FRAME: usize = 60;
/// Length of the frame check sequence.
pub const FCS_LEN: usize = 4;
/// Longest accepted frame including the FCS without RCTL.LPE (1514 + 4).
pub const MAX_FRAME: usize = 1518;
/// Longest accepted frame including the FCS with RCTL.LPE: our long-packet
/// limit (rtl-mac's mac_rx_gmii defines the same).
pub const MAX_LONG_FRAME: usize = 16384;

const fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC_TABLE: [u32; 256] = crc_table();

/// The Ethernet CRC-32 of `data` (IEEE 802.3 clause 3.2.9: reflected
/// polynomial 0x04C11DB7, initial value all ones, result complemented).
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = u32::MAX;
    for &b in data {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// `frame` with its FCS appended, least significant byte first as it goes
/// on the wire.
pub fn with_fcs(frame: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.len() + FCS_LEN);
    out.extend_from_slice(frame);
    out.extend_from_slice(&crc32(frame).to_le_bytes());
    out
}

/// Whether the last four bytes of `frame` are its correct FCS.
pub fn fcs_ok(frame: &[u8]) -> bool {
    match frame.len().checked_sub(FCS_LEN) {
        Some(n) => frame[n..] == crc32(&frame[..n]).to_le_bytes(),
        None => false,
    }
}

/// The 16-bit ones-complement sum of `data` taken as big-endian words, an
/// odd last byte padded with zero (RFC 1071), folded, not complemented.
pub fn ones_sum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u32::from(*b) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// What a frame's destination address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestKind {
    Unicast,
    Multicast,
    Broadcast,
}

pub fn dest_kind(da: &[u8; 6]) -> DestKind {
    if da == &[0xff; 6] {
        DestKind::Broadcast
    } else if da[0] & 1 != 0 {
        DestKind::Multicast
    } else {
        DestKind::Unicast
    }
}

/// The receive-address filter's configuration, as the registers hold it.
pub struct FilterConfig<'a> {
    pub rctl: Rctl,
    /// (RAL, RAH) pairs.
    pub ra: &'a [(u32, u32)],
    /// The 128 MTA words.
    pub mta: &'a [u32],
}

/// The filter's verdict on a destination address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterVerdict {
    pub accept: bool,
    /// Passed only through the imperfect MTA hash (RX status PIF).
    pub pif: bool,
}

/// The address filter (8254x 13.4.22 RCTL, 13.4.52 MTA, 13.4.53/13.4.54
/// RAL/RAH), as rtl/rx_filter.v defines it: an exact match on a valid
/// RAL/RAH entry; broadcast with BAM; any group address (broadcast
/// included) with MPE; a group address whose MTA hash bit is set; any
/// unicast with UPE.
pub fn filter(cfg: &FilterConfig<'_>, da: &[u8; 6]) -> FilterVerdict {
    let exact = cfg.ra.iter().any(|&(ral, rah)| {
        let rah = Rah(rah);
        let b = ral.to_le_bytes();
        let h = (rah.get(Rah::ADDR) as u16).to_le_bytes();
        rah.contains(Rah::AV) && *da == [b[0], b[1], b[2], b[3], h[0], h[1]]
    });
    let kind = dest_kind(da);
    let group = kind != DestKind::Unicast;
    let bcast_bam = kind == DestKind::Broadcast && cfg.rctl.contains(Rctl::BAM);
    let mpe = group && cfg.rctl.contains(Rctl::MPE);
    let h = usize::from(mta_hash(da, cfg.rctl.get(Rctl::MO)));
    let hashed = group
        && cfg
            .mta
            .get(h >> 5)
            .is_some_and(|w| w & (1 << (h & 31)) != 0);
    let upe = kind == DestKind::Unicast && cfg.rctl.contains(Rctl::UPE);
    FilterVerdict {
        accept: exact || bcast_bam || mpe || hashed || upe,
        pif: hashed && !exact && !mpe && !bcast_bam,
    }
}

/// Whether the filter accepts a frame for `da`.
pub fn filter_accepts(cfg: &FilterConfig<'_>, da: &[u8; 6]) -> bool {
    filter(cfg, da).accept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_check_string() {
        // The CRC-32 catalogue's check value for "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let f = with_fcs(b"123456789");
        assert_eq!(&f[9..], &[0x26, 0x39, 0xF4, 0xCB]);
        assert!(fcs_ok(&f));
        let mut bad = f.clone();
        bad[0] ^= 1;
        assert!(!fcs_ok(&bad));
        assert!(!fcs_ok(&[1, 2, 3]));
    }

    #[test]
    fn ones_sum_rfc1071_example() {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        assert_eq!(
            ones_sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0xddf2
        );
        assert_eq!(ones_sum(&[0xab]), 0xab00);
        assert_eq!(ones_sum(&[]), 0);
    }

    #[test]
    fn filter_modes() {
        let me = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
        let ral = u32::from_le_bytes([0x02, 0x11, 0x22, 0x33]);
        let rah = 0x5544 | Rah::AV.bits();
        let mut mta = vec![0u32; 128];
        let mc = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
        let h = usize::from(mta_hash(&mc, 0));
        mta[h >> 5] |= 1 << (h & 31);
        let ra = [(ral, rah)];
        let mut cfg = FilterConfig {
            rctl: Rctl::EN,
            ra: &ra,
            mta: &mta,
        };
        assert!(filter_accepts(&cfg, &me));
        assert!(!filter_accepts(&cfg, &[0x02, 0x11, 0x22, 0x33, 0x44, 0x56]));
        assert!(!filter_accepts(&cfg, &[0xff; 6]));
        assert!(filter_accepts(&cfg, &mc));
        assert!(!filter_accepts(&cfg, &[0x01, 0x00, 0x5e, 0x00, 0x00, 0x02]));
        cfg.rctl = Rctl::EN | Rctl::BAM;
        assert!(filter_accepts(&cfg, &[0xff; 6]));
        cfg.rctl = Rctl::EN | Rctl::UPE;
        assert!(filter_accepts(&cfg, &[0x02, 0, 0, 0, 0, 9]));
        assert!(!filter_accepts(&cfg, &[0x03, 0, 0, 0, 0, 9]));
        cfg.rctl = Rctl::EN | Rctl::MPE;
        assert!(filter_accepts(&cfg, &[0x03, 0, 0, 0, 0, 9]));
        let invalid = [(ral, 0x5544)];
        cfg.ra = &invalid;
        cfg.rctl = Rctl::EN;
        assert!(!filter_accepts(&cfg, &me), "AV clear: no match");
    }
}
