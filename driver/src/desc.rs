//! Legacy transmit and receive descriptors (8254x 3.2.3 and 3.3.3), defined
//! once, as zero-copy views over 16 bytes in the smoltcp manner: `field`
//! gives each field's byte range, `new_checked` makes every accessor
//! infallible, and a small `Repr` parses and emits.
//!
//! All multi-byte fields are little endian.

use core::fmt;

/// Size of one descriptor in bytes.
pub const DESC_LEN: usize = 16;

/// A buffer too short to hold a descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncated;

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "buffer shorter than a {DESC_LEN}-byte descriptor")
    }
}

impl std::error::Error for Truncated {}

type Field = core::ops::Range<usize>;

fn get_u16(b: &[u8], f: Field) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[f]);
    u16::from_le_bytes(a)
}

fn get_u64(b: &[u8], f: Field) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[f]);
    u64::from_le_bytes(a)
}

/// Transmit descriptor bits and byte ranges (8254x 3.3.3).
pub mod tx {
    use super::Field;

    pub const ADDR: Field = 0..8;
    pub const LENGTH: Field = 8..10;
    pub const CSO: usize = 10;
    pub const CMD: usize = 11;
    pub const STA: usize = 12;
    pub const CSS: usize = 13;
    pub const SPECIAL: Field = 14..16;

    /// CMD.EOP: last descriptor of a frame.
    pub const CMD_EOP: u8 = 1 << 0;
    /// CMD.IFCS: the MAC appends the FCS.
    pub const CMD_IFCS: u8 = 1 << 1;
    /// CMD.IC: insert a checksum (CSS/CSO).
    pub const CMD_IC: u8 = 1 << 2;
    /// CMD.RS: report status (write back DD).
    pub const CMD_RS: u8 = 1 << 3;
    /// CMD.IDE: delay the TXDW interrupt by TIDV/TADV.
    pub const CMD_IDE: u8 = 1 << 7;
    /// STA.DD: descriptor done.
    pub const STA_DD: u8 = 1 << 0;
}

/// Receive descriptor bits and byte ranges (8254x 3.2.3).
pub mod rx {
    use super::Field;

    pub const ADDR: Field = 0..8;
    pub const LENGTH: Field = 8..10;
    pub const CSUM: Field = 10..12;
    pub const STATUS: usize = 12;
    pub const ERRORS: usize = 13;
    pub const SPECIAL: Field = 14..16;

    /// STATUS.DD: descriptor done.
    pub const STA_DD: u8 = 1 << 0;
    /// STATUS.EOP: last descriptor of a frame.
    pub const STA_EOP: u8 = 1 << 1;
    /// STATUS.IXSM: ignore the checksum indication.
    pub const STA_IXSM: u8 = 1 << 2;
    /// ERRORS.CE: CRC error (only with RCTL.SBP).
    pub const ERR_CE: u8 = 1 << 0;
    /// ERRORS.RXE: GMII receive error (only with RCTL.SBP).
    pub const ERR_RXE: u8 = 1 << 7;
}

/// A view of a legacy transmit descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxDesc<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TxDesc<T> {
    pub const fn new_unchecked(buffer: T) -> TxDesc<T> {
        TxDesc { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<TxDesc<T>, Truncated> {
        let d = TxDesc::new_unchecked(buffer);
        d.check_len()?;
        Ok(d)
    }
    pub fn check_len(&self) -> Result<(), Truncated> {
        if self.buffer.as_ref().len() < DESC_LEN {
            Err(Truncated)
        } else {
            Ok(())
        }
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
    pub fn addr(&self) -> u64 {
        get_u64(self.buffer.as_ref(), tx::ADDR)
    }
    pub fn length(&self) -> u16 {
        get_u16(self.buffer.as_ref(), tx::LENGTH)
    }
    pub fn cso(&self) -> u8 {
        self.buffer.as_ref()[tx::CSO]
    }
    pub fn cmd(&self) -> u8 {
        self.buffer.as_ref()[tx::CMD]
    }
    pub fn sta(&self) -> u8 {
        self.buffer.as_ref()[tx::STA]
    }
    pub fn css(&self) -> u8 {
        self.buffer.as_ref()[tx::CSS]
    }
    pub fn special(&self) -> u16 {
        get_u16(self.buffer.as_ref(), tx::SPECIAL)
    }
    pub fn dd(&self) -> bool {
        self.sta() & tx::STA_DD != 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TxDesc<T> {
    pub fn set_addr(&mut self, v: u64) {
        self.buffer.as_mut()[tx::ADDR].copy_from_slice(&v.to_le_bytes());
    }
    pub fn set_length(&mut self, v: u16) {
        self.buffer.as_mut()[tx::LENGTH].copy_from_slice(&v.to_le_bytes());
    }
    pub fn set_cso(&mut self, v: u8) {
        self.buffer.as_mut()[tx::CSO] = v;
    }
    pub fn set_cmd(&mut self, v: u8) {
        self.buffer.as_mut()[tx::CMD] = v;
    }
    pub fn set_sta(&mut self, v: u8) {
        self.buffer.as_mut()[tx::STA] = v;
    }
    pub fn set_css(&mut self, v: u8) {
        self.buffer.as_mut()[tx::CSS] = v;
    }
    pub fn set_special(&mut self, v: u16) {
        self.buffer.as_mut()[tx::SPECIAL].copy_from_slice(&v.to_le_bytes());
    }
}

/// A transmit descriptor's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxDescRepr {
    pub addr: u64,
    pub length: u16,
    pub cso: u8,
    pub cmd: u8,
    pub sta: u8,
    pub css: u8,
    pub special: u16,
}

impl TxDescRepr {
    pub fn parse<T: AsRef<[u8]>>(d: &TxDesc<T>) -> TxDescRepr {
        TxDescRepr {
            addr: d.addr(),
            length: d.length(),
            cso: d.cso(),
            cmd: d.cmd(),
            sta: d.sta(),
            css: d.css(),
            special: d.special(),
        }
    }
    pub const fn buffer_len(&self) -> usize {
        DESC_LEN
    }
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, d: &mut TxDesc<T>) {
        d.set_addr(self.addr);
        d.set_length(self.length);
        d.set_cso(self.cso);
        d.set_cmd(self.cmd);
        d.set_sta(self.sta);
        d.set_css(self.css);
        d.set_special(self.special);
    }
    /// The 16 bytes of this descriptor.
    pub fn to_bytes(&self) -> [u8; DESC_LEN] {
        let mut b = [0u8; DESC_LEN];
        self.emit(&mut TxDesc::new_unchecked(&mut b[..]));
        b
    }
    pub fn from_bytes(b: &[u8; DESC_LEN]) -> TxDescRepr {
        TxDescRepr::parse(&TxDesc::new_unchecked(&b[..]))
    }
}

/// A view of a legacy receive descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RxDesc<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> RxDesc<T> {
    pub const fn new_unchecked(buffer: T) -> RxDesc<T> {
        RxDesc { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<RxDesc<T>, Truncated> {
        let d = RxDesc::new_unchecked(buffer);
        d.check_len()?;
        Ok(d)
    }
    pub fn check_len(&self) -> Result<(), Truncated> {
        if self.buffer.as_ref().len() < DESC_LEN {
            Err(Truncated)
        } else {
            Ok(())
        }
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
    pub fn addr(&self) -> u64 {
        get_u64(self.buffer.as_ref(), rx::ADDR)
    }
    pub fn length(&self) -> u16 {
        get_u16(self.buffer.as_ref(), rx::LENGTH)
    }
    pub fn csum(&self) -> u16 {
        get_u16(self.buffer.as_ref(), rx::CSUM)
    }
    pub fn status(&self) -> u8 {
        self.buffer.as_ref()[rx::STATUS]
    }
    pub fn errors(&self) -> u8 {
        self.buffer.as_ref()[rx::ERRORS]
    }
    pub fn special(&self) -> u16 {
        get_u16(self.buffer.as_ref(), rx::SPECIAL)
    }
    pub fn dd(&self) -> bool {
        self.status() & rx::STA_DD != 0
    }
    pub fn eop(&self) -> bool {
        self.status() & rx::STA_EOP != 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> RxDesc<T> {
    pub fn set_addr(&mut self, v: u64) {
        self.buffer.as_mut()[rx::ADDR].copy_from_slice(&v.to_le_bytes());
    }
    pub fn set_length(&mut self, v: u16) {
        self.buffer.as_mut()[rx::LENGTH].copy_from_slice(&v.to_le_bytes());
    }
    pub fn set_csum(&mut self, v: u16) {
        self.buffer.as_mut()[rx::CSUM].copy_from_slice(&v.to_le_bytes());
    }
    pub fn set_status(&mut self, v: u8) {
        self.buffer.as_mut()[rx::STATUS] = v;
    }
    pub fn set_errors(&mut self, v: u8) {
        self.buffer.as_mut()[rx::ERRORS] = v;
    }
    pub fn set_special(&mut self, v: u16) {
        self.buffer.as_mut()[rx::SPECIAL].copy_from_slice(&v.to_le_bytes());
    }
}

/// A receive descriptor's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RxDescRepr {
    pub addr: u64,
    pub length: u16,
    pub csum: u16,
    pub status: u8,
    pub errors: u8,
    pub special: u16,
}

impl RxDescRepr {
    pub fn parse<T: AsRef<[u8]>>(d: &RxDesc<T>) -> RxDescRepr {
        RxDescRepr {
            addr: d.addr(),
            length: d.length(),
            csum: d.csum(),
            status: d.status(),
            errors: d.errors(),
            special: d.special(),
        }
    }
    pub const fn buffer_len(&self) -> usize {
        DESC_LEN
    }
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, d: &mut RxDesc<T>) {
        d.set_addr(self.addr);
        d.set_length(self.length);
        d.set_csum(self.csum);
        d.set_status(self.status);
        d.set_errors(self.errors);
        d.set_special(self.special);
    }
    pub fn to_bytes(&self) -> [u8; DESC_LEN] {
        let mut b = [0u8; DESC_LEN];
        self.emit(&mut RxDesc::new_unchecked(&mut b[..]));
        b
    }
    pub fn from_bytes(b: &[u8; DESC_LEN]) -> RxDescRepr {
        RxDescRepr::parse(&RxDesc::new_unchecked(&b[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // addr 0x0000_0001_2345_6780, length 1514 (0x05ea), CSO 50, CMD
    // EOP|IFCS|IC|RS, STA 0, CSS 34, special 0.
    static TX_BYTES: [u8; 16] = [
        0x80, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00, 0xea, 0x05, 0x32, 0x0f, 0x00, 0x22, 0x00,
        0x00,
    ];

    fn tx_repr() -> TxDescRepr {
        TxDescRepr {
            addr: 0x1_2345_6780,
            length: 1514,
            cso: 50,
            cmd: tx::CMD_EOP | tx::CMD_IFCS | tx::CMD_IC | tx::CMD_RS,
            sta: 0,
            css: 34,
            special: 0,
        }
    }

    #[test]
    fn tx_deconstruct() {
        let d = TxDesc::new_checked(&TX_BYTES[..]).unwrap();
        assert_eq!(d.addr(), 0x1_2345_6780);
        assert_eq!(d.length(), 1514);
        assert_eq!(d.cso(), 50);
        assert_eq!(d.cmd(), 0x0f);
        assert!(!d.dd());
        assert_eq!(d.css(), 34);
        assert_eq!(TxDescRepr::parse(&d), tx_repr());
    }

    #[test]
    fn tx_construct() {
        assert_eq!(tx_repr().to_bytes(), TX_BYTES);
        let mut b = TX_BYTES;
        TxDesc::new_unchecked(&mut b[..]).set_sta(tx::STA_DD);
        assert!(TxDesc::new_unchecked(&b[..]).dd());
        assert_eq!(b[12], 1);
    }

    // addr 0xffff_0000_0000_1000, length 60, csum 0xbeef, status DD|EOP,
    // errors CE, special 0x0102.
    static RX_BYTES: [u8; 16] = [
        0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x3c, 0x00, 0xef, 0xbe, 0x03, 0x01, 0x02,
        0x01,
    ];

    #[test]
    fn rx_round_trip() {
        let d = RxDesc::new_checked(&RX_BYTES[..]).unwrap();
        let r = RxDescRepr::parse(&d);
        assert_eq!(
            r,
            RxDescRepr {
                addr: 0xffff_0000_0000_1000,
                length: 60,
                csum: 0xbeef,
                status: rx::STA_DD | rx::STA_EOP,
                errors: rx::ERR_CE,
                special: 0x0102,
            }
        );
        assert!(d.dd() && d.eop());
        assert_eq!(r.to_bytes(), RX_BYTES);
        assert_eq!(RxDescRepr::from_bytes(&RX_BYTES), r);
    }

    #[test]
    fn short_buffers_are_rejected() {
        assert_eq!(TxDesc::new_checked(&[0u8; 15][..]).err(), Some(Truncated));
        assert_eq!(RxDesc::new_checked(&[0u8; 15][..]).err(), Some(Truncated));
        assert!(RxDesc::new_checked(&[0u8; 16][..]).is_ok());
    }
}
