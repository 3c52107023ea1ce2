//! Socket buffers. The send buffer holds every byte from SND.UNA on (sent
//! but unacknowledged, then not yet sent); the receive buffer holds bytes
//! received in order but not yet read, and its free space is the receive
//! window (RFC 9293 3.8.6), so the window reopens as the application reads.
//! Out-of-order segments wait in a reassembly map inside the window.
//!
//! Both buffers remember which packet id (the socket write that produced
//! the bytes) each byte belongs to, for the journey trace.

use std::collections::{BTreeMap, VecDeque};

use crate::buf::PacketId;

/// Runs of stream offsets: each entry is (first offset, id) and covers the
/// offsets up to the next entry.
#[derive(Debug, Default)]
struct IdRuns {
    runs: VecDeque<(u64, PacketId)>,
}

impl IdRuns {
    fn push(&mut self, at: u64, id: PacketId) {
        if self.runs.back().map(|r| r.1) != Some(id) {
            self.runs.push_back((at, id));
        }
    }
    /// Forget runs wholly before `offset`.
    fn drop_before(&mut self, offset: u64) {
        while self.runs.len() > 1 && self.runs[1].0 <= offset {
            self.runs.pop_front();
        }
    }
    fn id_at(&self, offset: u64) -> PacketId {
        let i = self.runs.partition_point(|r| r.0 <= offset);
        if i == 0 {
            PacketId(0)
        } else {
            self.runs[i - 1].1
        }
    }
    /// Append the distinct ids covering `[from, to)` to `out`.
    fn ids_in(&self, from: u64, to: u64, out: &mut Vec<PacketId>) {
        let start = out.len();
        let first = self.runs.partition_point(|r| r.0 <= from).saturating_sub(1);
        for r in self.runs.iter().skip(first) {
            if r.0 >= to {
                break;
            }
            if out.len() == start || out.last() != Some(&r.1) {
                out.push(r.1);
            }
        }
    }
}

/// Copy `dst.len()` bytes starting at `offset` out of a deque without
/// per-byte work.
fn copy_from_deque(q: &VecDeque<u8>, offset: usize, dst: &mut [u8]) {
    let (a, b) = q.as_slices();
    let mut n = 0;
    if offset < a.len() {
        let take = (a.len() - offset).min(dst.len());
        dst[..take].copy_from_slice(&a[offset..offset + take]);
        n = take;
    }
    if n < dst.len() {
        let off_b = offset + n - a.len();
        let rest = dst.len() - n;
        dst[n..].copy_from_slice(&b[off_b..off_b + rest]);
    }
}

/// Bytes from SND.UNA onwards. Offsets are absolute stream offsets (byte 0
/// is the first data byte after the SYN).
#[derive(Debug)]
pub struct SendBuffer {
    data: VecDeque<u8>,
    capacity: usize,
    /// Stream offset of `data[0]`.
    head: u64,
    ids: IdRuns,
}

impl SendBuffer {
    pub fn new(capacity: usize) -> SendBuffer {
        SendBuffer {
            data: VecDeque::with_capacity(capacity),
            capacity,
            head: 0,
            ids: IdRuns::default(),
        }
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn free(&self) -> usize {
        self.capacity.saturating_sub(self.data.len())
    }
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
    }
    /// Append as much of `bytes` as fits; returns the count taken.
    pub fn append(&mut self, bytes: &[u8], id: PacketId) -> usize {
        let n = bytes.len().min(self.free());
        if n > 0 {
            self.ids.push(self.head + self.data.len() as u64, id);
            self.data.extend(&bytes[..n]);
        }
        n
    }
    /// Copy bytes at `offset` from SND.UNA into `dst`.
    pub fn copy_out(&self, offset: usize, dst: &mut [u8]) {
        copy_from_deque(&self.data, offset, dst);
    }
    /// The id of the write that produced the byte `offset` from SND.UNA.
    pub fn id_at(&self, offset: usize) -> PacketId {
        self.ids.id_at(self.head + offset as u64)
    }
    /// Drop `n` acknowledged bytes from the front.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.data.len());
        self.data.drain(..n);
        self.head += n as u64;
        self.ids.drop_before(self.head);
    }
}

/// One out-of-order piece waiting for the gap before it to fill.
#[derive(Debug)]
struct Piece {
    data: Vec<u8>,
    id: PacketId,
}

/// In-order unread bytes plus out-of-order pieces. Offsets are absolute
/// stream offsets.
#[derive(Debug)]
pub struct RecvBuffer {
    data: VecDeque<u8>,
    capacity: usize,
    /// Stream offset of `data[0]` (bytes read so far).
    head: u64,
    ids: IdRuns,
    ooo: BTreeMap<u64, Piece>,
    /// Out-of-order ranges in the order they were last extended, most
    /// recent first (RFC 2018 4: the first SACK block reports the most
    /// recently received segment).
    recent: Vec<(u64, u64)>,
}

impl RecvBuffer {
    pub fn new(capacity: usize) -> RecvBuffer {
        RecvBuffer {
            data: VecDeque::with_capacity(capacity),
            capacity,
            head: 0,
            ids: IdRuns::default(),
            ooo: BTreeMap::new(),
            recent: Vec::new(),
        }
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(self.capacity);
    }
    /// Free space: the receive window (RFC 9293 3.8.6).
    pub fn window(&self) -> usize {
        self.capacity.saturating_sub(self.data.len())
    }
    /// Stream offset of the next in-order byte (RCV.NXT minus IRS+1).
    pub fn next_offset(&self) -> u64 {
        self.head + self.data.len() as u64
    }
    pub fn has_out_of_order(&self) -> bool {
        !self.ooo.is_empty()
    }

    /// Store `bytes` at stream offset `at` (not before `next_offset()`; the
    /// caller trimmed the segment to the window). Returns how many bytes
    /// became readable in order, and whether the segment filled (part of)
    /// a hole or arrived out of order.
    pub fn insert(&mut self, at: u64, bytes: &[u8], id: PacketId) -> (usize, bool) {
        let nxt = self.next_offset();
        debug_assert!(at >= nxt);
        if bytes.is_empty() {
            return (0, false);
        }
        if at > nxt {
            self.insert_ooo(at, bytes, id);
            return (0, true);
        }
        let had_ooo = !self.ooo.is_empty();
        self.ids.push(nxt, id);
        self.data.extend(bytes);
        let mut added = bytes.len();
        // Pull pieces that are now in order.
        loop {
            let nxt = self.next_offset();
            let Some((&start, _)) = self.ooo.first_key_value() else {
                break;
            };
            if start > nxt {
                break;
            }
            let Some(p) = self.ooo.remove(&start) else {
                break;
            };
            let end = start + p.data.len() as u64;
            if end > nxt {
                let skip = (nxt - start) as usize;
                self.ids.push(nxt, p.id);
                self.data.extend(&p.data[skip..]);
                added += p.data.len() - skip;
            }
        }
        let nxt = self.next_offset();
        self.recent.retain(|r| r.1 > nxt);
        (added, had_ooo)
    }

    fn insert_ooo(&mut self, at: u64, bytes: &[u8], id: PacketId) {
        let end = at + bytes.len() as u64;
        // Existing pieces overlapping [at, end), in order. Pieces never
        // overlap each other, so walking back from `end` stops at the first
        // piece that ends at or before `at`.
        let mut overlaps: Vec<(u64, u64)> = self
            .ooo
            .range(..end)
            .rev()
            .map(|(s, p)| (*s, *s + p.data.len() as u64))
            .take_while(|(_, e)| *e > at)
            .collect();
        overlaps.reverse();
        let mut cur = at;
        for (s, e) in overlaps.iter().copied().chain(std::iter::once((end, end))) {
            if s > cur {
                let lo = (cur - at) as usize;
                let hi = (s.min(end) - at) as usize;
                self.ooo.insert(
                    cur,
                    Piece {
                        data: bytes[lo..hi].to_vec(),
                        id,
                    },
                );
            }
            cur = cur.max(e);
        }
        // Record the contiguous range containing this segment as the most
        // recent SACK block.
        let range = self.block_containing(at);
        self.recent.retain(|r| !(r.0 <= range.1 && range.0 <= r.1));
        self.recent.insert(0, range);
    }

    /// The contiguous out-of-order range containing offset `at`, or the
    /// next one after it. Pieces never overlap, and neighbours abut
    /// exactly, so contiguity is `end == next start`.
    fn block_containing(&self, at: u64) -> (u64, u64) {
        let plen = |p: &Piece| p.data.len() as u64;
        let first = match self.ooo.range(..=at).next_back() {
            Some((s, p)) if *s + plen(p) > at => (*s, *s + plen(p)),
            _ => match self.ooo.range(at..).next() {
                Some((s, p)) => (*s, *s + plen(p)),
                None => return (at, at),
            },
        };
        let (mut lo, mut hi) = first;
        while let Some((s, p)) = self.ooo.range(..lo).next_back() {
            if *s + plen(p) != lo {
                break;
            }
            lo = *s;
        }
        while let Some(p) = self.ooo.get(&hi) {
            hi += plen(p);
        }
        (lo, hi)
    }

    /// Up to `max` SACK blocks as stream offsets, most recent first
    /// (RFC 2018 4).
    pub fn sack_blocks(&self, max: usize) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for r in &self.recent {
            if out.len() == max {
                break;
            }
            // Re-derive the block so that it reflects merges since.
            let b = self.block_containing(r.0.max(self.next_offset()));
            if b.1 > b.0 && !out.contains(&b) {
                out.push(b);
            }
        }
        out
    }

    /// Read up to `dst.len()` bytes; returns the count and appends the ids
    /// of the writes they came from to `ids` (no list allocated per read
    /// when the caller keeps one).
    pub fn read_into(&mut self, dst: &mut [u8], ids: &mut Vec<PacketId>) -> usize {
        let n = dst.len().min(self.data.len());
        copy_from_deque(&self.data, 0, &mut dst[..n]);
        self.ids.ids_in(self.head, self.head + n as u64, ids);
        self.data.drain(..n);
        self.head += n as u64;
        self.ids.drop_before(self.head);
        n
    }

    /// Discard everything unread (shutdown of the read side).
    pub fn discard(&mut self) -> usize {
        let n = self.data.len();
        self.data.clear();
        self.head += n as u64;
        self.ids.drop_before(self.head);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_buffer_ids_and_copy() {
        let mut b = SendBuffer::new(10);
        assert_eq!(b.append(b"abcd", PacketId(1)), 4);
        assert_eq!(b.append(b"efghijkl", PacketId(2)), 6);
        assert_eq!(b.free(), 0);
        let mut out = [0u8; 5];
        b.copy_out(2, &mut out);
        assert_eq!(&out, b"cdefg");
        assert_eq!(b.id_at(3), PacketId(1));
        assert_eq!(b.id_at(4), PacketId(2));
        b.consume(5);
        assert_eq!(b.id_at(0), PacketId(2));
        assert_eq!(b.len(), 5);
    }

    #[test]
    fn recv_buffer_reassembles_and_sacks() {
        let mut b = RecvBuffer::new(100);
        assert_eq!(b.insert(10, b"klmno", PacketId(3)), (0, true));
        assert_eq!(b.insert(20, b"uv", PacketId(4)), (0, true));
        assert_eq!(b.sack_blocks(4), vec![(20, 22), (10, 15)]);
        // Overlapping duplicate is clipped.
        assert_eq!(b.insert(8, b"ijklmnop", PacketId(5)), (0, true));
        assert_eq!(b.sack_blocks(4), vec![(8, 16), (20, 22)]);
        assert_eq!(b.insert(0, b"abcdefgh", PacketId(1)), (16, true));
        assert_eq!(b.next_offset(), 16);
        assert_eq!(b.sack_blocks(4), vec![(20, 22)]);
        let mut out = [0u8; 16];
        let mut ids = Vec::new();
        let n = b.read_into(&mut out, &mut ids);
        assert_eq!(n, 16);
        assert_eq!(&out, b"abcdefghijklmnop");
        assert_eq!(
            ids,
            vec![PacketId(1), PacketId(5), PacketId(3), PacketId(5)]
        );
        assert_eq!(b.window(), 100);
    }
}
