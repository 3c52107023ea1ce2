// Training run for the profile-guided (GCC PGO) build of the Verilated model.
//
// sim/build.rs links this main() against the model compiled with
// -fprofile-generate, runs it once, and compiles the final libnic_model.a with
// -fprofile-use on the counts it leaves behind. It therefore has to exercise
// what a real nicsim run spends its time in, the way sim::world does, and it
// has to be deterministic: the same build gives the same .gcda files, so a
// rebuild through ccache hits again.
//
// What it does, per clock as sim::world::Hardware::step (drive the inputs,
// clk=0 eval, sample the outputs: a handshake is valid && ready seen after
// that eval, clk=1 eval):
//  1. reset, then GMII RX frames straight into the PHY port while the NIC is
//     unprogrammed (the `nicsim bench` RX case);
//  2. the driver's init sequence over AXI4-Lite (docs/regmap.md,
//     driver/src/nic.rs configure): MAC address, MTA, TX and RX rings,
//     TIPG, TCTL, RDTR/RADV, RXCSUM, ITR, RCTL, IMS, RDT;
//  3. a TX ring of frames from 60 to 1514 bytes (some in two descriptors,
//     some with checksum insertion, some without IFCS so they come back with
//     a bad FCS), GMII TX looped back into GMII RX with a small delay, so the
//     RX MAC, filter, FIFO and DMA write-back run; interrupts taken with an
//     ICR read, RX descriptors handed back through RDT, TX ones cleaned,
//     statistics read now and then;
//  4. the AXI4 memory slave of sim/src/axi_mem.rs (latency, bursts, strobes,
//     several outstanding bursts), always ready for the first third of the
//     frames and with back-pressure patterns for the rest;
//  5. a CTRL.RST at the end, polled until it completes.
//
// Determinism: the counters are a function of this workload alone, but GCC's
// value profiles also record some pointer values (memcpy alignment), so the
// run re-executes itself once without address-space randomisation, and
// build.rs starts it with an empty environment (the stack addresses depend on
// it). The time-profile counters are not collected (build.rs compiles with
// -fno-profile-reorder-functions). Then a rebuild writes identical .gcda
// files, and ccache serves the -fprofile-use compilations again.
//
// Nothing waits a fixed number of cycles for the RTL: every step waits on a
// handshake, a DD bit, irq or a polled register, with a cycle bound.
// Exit status: 0 when every looped-back frame that passes the RX filter was
// received intact; 1 with a message on stderr otherwise (build.rs then
// builds without the profile and warns, or fails with NICSIM_MODEL_PGO=1).
//
// usage: pgo_train [-v]   (-v: print the counts also on success). Running it
// by hand adds to the counters in $OUT_DIR/pgo; set GCOV_PREFIX=/tmp/x to
// keep them out of the build.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include <sys/personality.h>
#include <unistd.h>

#include "verilated.h"
#include "Vnic_sim_top.h"
#include "nic_edges.h"

namespace {

// Register offsets (docs/regmap.md, rtl/nic_defs.vh).
constexpr uint32_t CTRL = 0x00000, STATUS = 0x00008, ICR = 0x000C0, ITR = 0x000C4,
                   IMS = 0x000D0, IMC = 0x000D8, RCTL = 0x00100, TCTL = 0x00400,
                   TIPG = 0x00410, RDBAL = 0x02800, RDBAH = 0x02804, RDLEN = 0x02808,
                   RDH = 0x02810, RDT = 0x02818, RDTR = 0x02820, RADV = 0x0282C,
                   TDBAL = 0x03800, TDBAH = 0x03804, TDLEN = 0x03808, TDH = 0x03810,
                   TDT = 0x03818, TIDV = 0x03820, TADV = 0x0382C, RXCSUM = 0x05000,
                   MTA = 0x05200, RAL0 = 0x05400, RAH0 = 0x05404;
static_assert(RDBAH - RDBAL == TDBAH - TDBAL && RDLEN - RDBAL == TDLEN - TDBAL &&
              RDH - RDBAL == TDH - TDBAL && RDT - RDBAL == TDT - TDBAL);
constexpr uint32_t STATS[] = {0x04000, 0x0400C, 0x04010, 0x04074, 0x04078, 0x0407C,
                              0x04080, 0x04088, 0x0408C, 0x04090, 0x04094, 0x040A0,
                              0x040A4, 0x040AC, 0x040D0, 0x040D4, 0x0F00C, 0x0F010,
                              0x0F014};
constexpr uint32_t GPRC = 0x04074, GPTC = 0x04080, CRCERRS = 0x04000;
constexpr uint32_t CTRL_RST = 1u << 26;
constexpr uint32_t RCTL_EN = 1u << 1, RCTL_BAM = 1u << 15, RCTL_SECRC = 1u << 26;
constexpr uint32_t TCTL_EN = 1u << 1, TCTL_PSP = 1u << 3;
// TXDW | LSC | RXDMT0 | RXO | RXT0 | DMAERR (driver::regs::Icr::ENABLE_MASK).
constexpr uint32_t IMS_ENABLE = 0x100000D5;
constexpr uint32_t ICR_DMAERR = 0x10000000;
constexpr uint8_t TX_EOP = 1, TX_IFCS = 2, TX_IC = 4, TX_RS = 8, TX_IDE = 0x80;
constexpr uint8_t DD = 1;

constexpr uint64_t MEM_BASE = 0x1'2340'0000ULL;  // above 4 GiB: BAH matters
constexpr size_t MEM_SIZE = 1 << 20;
constexpr uint32_t RING = 64;  // descriptors per ring
constexpr uint64_t TX_RING = MEM_BASE, RX_RING = MEM_BASE + 0x1000;
constexpr uint64_t TX_BUF = MEM_BASE + 0x10000, RX_BUF = MEM_BASE + 0x90000;
constexpr uint32_t BUF = 2048;
constexpr uint8_t MAC[6] = {0x02, 0x00, 0x00, 0x12, 0x34, 0x56};
constexpr uint8_t MCAST[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};

constexpr int FRAMES = 320;
constexpr uint64_t MAX_CYCLES = 3'000'000;
constexpr uint32_t LOOP_DELAY = 5;  // cycles from gmii_tx* to gmii_rx*

bool verbose = false;

// splitmix64: a fixed, seedless pseudo-random function of its input.
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint32_t crc32(const uint8_t* p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

[[noreturn]] void die(const char* what, uint64_t cycle) {
    std::fprintf(stderr, "pgo_train: %s (cycle %llu)\n", what,
                 static_cast<unsigned long long>(cycle));
    std::exit(1);
}

struct HostMem {
    std::vector<uint8_t> b = std::vector<uint8_t>(MEM_SIZE, 0);
    bool ok(uint64_t a, uint64_t n) const {
        return a >= MEM_BASE && a + n <= MEM_BASE + MEM_SIZE;
    }
    uint8_t* at(uint64_t a) { return &b[a - MEM_BASE]; }
    void put16(uint64_t a, uint16_t v) { std::memcpy(at(a), &v, 2); }
    void put64(uint64_t a, uint64_t v) { std::memcpy(at(a), &v, 8); }
    uint16_t get16(uint64_t a) {
        uint16_t v;
        std::memcpy(&v, at(a), 2);
        return v;
    }
};

// When a ready/valid the slave controls is high (cf. axi_mem::Pattern).
enum class Gate { Always, Duty, Random };

// AXI4 slave on m_axi_* with the semantics of sim/src/axi_mem.rs.
struct AxiSlave {
    struct Burst {
        uint8_t id, len, size, burst;
        uint64_t addr;
        uint32_t beat;
        uint64_t ready_at;
        uint32_t beats() const { return uint32_t(len) + 1; }
        // Address of beat i and the bytes valid from it (AXI A3.4.1).
        uint64_t beat_addr(uint32_t i, uint64_t* n_out) const {
            const uint64_t n = 1ULL << size;
            const uint64_t aligned = addr & ~(n - 1);
            uint64_t a;
            if (burst == 0) {
                a = addr;
            } else if (burst == 2) {
                const uint64_t total = n * beats();
                const uint64_t base = addr & ~(total - 1);
                a = base + ((addr - base + n * i) % total);
            } else {
                a = i == 0 ? addr : aligned + n * i;
            }
            *n_out = (a & ~(n - 1)) + n - a;
            return a;
        }
    };
    struct BResp {
        uint8_t id;
        uint64_t at;
    };
    HostMem& mem;
    uint32_t read_latency = 8, write_latency = 4;
    size_t max_reads = 4, max_writes = 4;
    Gate gate = Gate::Always;
    std::deque<Burst> reads, writes;
    std::deque<BResp> bresps;
    bool r_latched = false;
    uint64_t r_data = 0;
    uint64_t bursts = 0;

    explicit AxiSlave(HostMem& m) : mem(m) {}

    bool open(uint64_t cycle, unsigned lane) const {
        switch (gate) {
            case Gate::Always: return true;
            case Gate::Duty: return (cycle + lane) % (3 + lane) != 0;
            case Gate::Random: return ((mix(cycle) >> (lane * 7)) & 0x7f) < 77;  // 60 %
        }
        return true;
    }

    void check(uint64_t a, uint64_t n, uint64_t cycle) const {
        if (!mem.ok(a, n)) die("DMA outside host memory", cycle);
    }

    void drive(Vnic_sim_top* t, uint64_t cycle) {
        t->m_axi_arready = reads.size() < max_reads && open(cycle, 0);
        t->m_axi_awready = writes.size() < max_writes && open(cycle, 1);
        t->m_axi_wready = !writes.empty() && open(cycle, 2);
        bool rvalid = false;
        if (!reads.empty()) {
            const Burst& b = reads.front();
            if (b.ready_at <= cycle && (r_latched || open(cycle, 3))) {
                rvalid = true;
                if (!r_latched) {
                    uint64_t n;
                    const uint64_t a = b.beat_addr(b.beat, &n);
                    uint8_t buf[8] = {};
                    const size_t lane = a % 8;
                    const size_t cnt = n < 8 - lane ? n : 8 - lane;
                    check(a, cnt, cycle);
                    std::memcpy(buf + lane, mem.at(a), cnt);
                    std::memcpy(&r_data, buf, 8);
                    r_latched = true;
                }
                t->m_axi_rid = b.id;
                t->m_axi_rdata = r_data;
                t->m_axi_rresp = 0;
                t->m_axi_rlast = b.beat + 1 == b.beats();
            }
        }
        t->m_axi_rvalid = rvalid;
        bool bvalid = false;
        if (!bresps.empty() && bresps.front().at <= cycle && open(cycle, 4)) {
            bvalid = true;
            t->m_axi_bid = bresps.front().id;
            t->m_axi_bresp = 0;
        }
        t->m_axi_bvalid = bvalid;
    }

    // Handshakes of this edge: the slave's ready/valid as driven, the
    // master's as the model shows them after the clk=0 evaluation.
    void sample(const Vnic_sim_top* t, uint64_t cycle) {
        if (t->m_axi_rvalid && t->m_axi_rready) {
            r_latched = false;
            Burst& b = reads.front();
            if (++b.beat == b.beats()) reads.pop_front();
        }
        if (t->m_axi_bvalid && t->m_axi_bready) bresps.pop_front();
        if (t->m_axi_wvalid && t->m_axi_wready) {
            Burst& b = writes.front();
            uint64_t n;
            const uint64_t a = b.beat_addr(b.beat, &n);
            const unsigned lane0 = a % 8;
            const unsigned top = lane0 + n < 8 ? unsigned(lane0 + n) : 8u;
            const uint8_t in_beat = uint8_t(((1u << top) - 1) & ~((1u << lane0) - 1));
            const uint8_t lanes = t->m_axi_wstrb & in_beat;
            const uint64_t data = t->m_axi_wdata;
            for (unsigned l = 0; l < 8; l++) {
                if (lanes & (1u << l)) {
                    check((a & ~7ULL) + l, 1, cycle);
                    *mem.at((a & ~7ULL) + l) = uint8_t(data >> (8 * l));
                }
            }
            if (++b.beat == b.beats() || t->m_axi_wlast) {
                bresps.push_back({b.id, cycle + write_latency});
                writes.pop_front();
            }
        }
        if (t->m_axi_arvalid && t->m_axi_arready) {
            reads.push_back({t->m_axi_arid, t->m_axi_arlen, uint8_t(t->m_axi_arsize & 3),
                             t->m_axi_arburst, t->m_axi_araddr, 0, cycle + read_latency});
            bursts++;
        }
        if (t->m_axi_awvalid && t->m_axi_awready) {
            writes.push_back({t->m_axi_awid, t->m_axi_awlen, uint8_t(t->m_axi_awsize & 3),
                              t->m_axi_awburst, t->m_axi_awaddr, 0, 0});
            bursts++;
        }
    }
};

// One register access at a time, as sim/src/axil.rs (a CPU's MMIO access).
struct Axil {
    enum class Tag { None, Icr, Stat, CtrlPoll, Status };
    struct Op {
        bool write;
        uint32_t addr, data;
        Tag tag;
    };
    std::deque<Op> queue;
    bool busy = false, addr_done = false, data_done = false;
    Op cur{};
    uint64_t count = 0;

    void write(uint32_t a, uint32_t d) { queue.push_back({true, a, d, Tag::None}); }
    void read(uint32_t a, Tag tag) { queue.push_back({false, a, 0, tag}); }
    bool idle() const { return !busy && queue.empty(); }

    void start() {
        if (busy || queue.empty()) return;
        cur = queue.front();
        queue.pop_front();
        busy = true;
        addr_done = data_done = false;
    }

    void drive(Vnic_sim_top* t) const {
        uint8_t awv = 0, wv = 0, bready = 0, arv = 0, rready = 0;
        if (busy && cur.write) {
            t->s_axil_awaddr = cur.addr;
            t->s_axil_wdata = cur.data;
            t->s_axil_wstrb = 0xf;
            awv = !addr_done;
            wv = !data_done;
            bready = addr_done && data_done;
        } else if (busy) {
            t->s_axil_araddr = cur.addr;
            arv = !addr_done;
            rready = addr_done;
        }
        t->s_axil_awvalid = awv;
        t->s_axil_wvalid = wv;
        t->s_axil_bready = bready;
        t->s_axil_arvalid = arv;
        t->s_axil_rready = rready;
        t->s_axil_awprot = 0;
        t->s_axil_arprot = 0;
    }

    // Returns true when the current access finished this edge (read data in
    // *data).
    bool sample(const Vnic_sim_top* t, uint32_t* data) {
        if (!busy) return false;
        if (cur.write) {
            if (t->s_axil_bvalid && t->s_axil_bready) {
                busy = false;
                count++;
                return true;
            }
            addr_done |= t->s_axil_awvalid && t->s_axil_awready;
            data_done |= t->s_axil_wvalid && t->s_axil_wready;
        } else {
            if (t->s_axil_rvalid && t->s_axil_rready) {
                *data = t->s_axil_rdata;
                busy = false;
                count++;
                return true;
            }
            addr_done |= t->s_axil_arvalid && t->s_axil_arready;
        }
        return false;
    }
};

struct Frame {
    std::vector<uint8_t> bytes;
    bool split;    // two TX descriptors
    bool csum;     // CMD.IC with CSS/CSO
    bool no_fcs;   // CMD.IFCS clear: comes back with a bad FCS
    bool expect;   // passes the RX filter and comes back intact
};

// The frames sent, fixed: sizes 60..1514, unicast to us, broadcast,
// multicast in the MTA, unicast to someone else (filtered out).
std::vector<Frame> make_frames() {
    static const uint16_t sizes[] = {60, 1514, 590, 64, 1514, 128, 1000, 1514, 73, 256, 1514, 512};
    std::vector<Frame> fs;
    for (int i = 0; i < FRAMES; i++) {
        Frame f{};
        const uint16_t len = sizes[i % 12];
        f.bytes.resize(len);
        for (uint16_t k = 0; k < len; k++) f.bytes[k] = uint8_t(mix(uint64_t(i) << 16 | k));
        const int kind = i % 7;
        static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        static const uint8_t other[6] = {0x02, 0x00, 0x00, 0x99, 0x88, 0x77};
        const uint8_t* da = kind == 3 ? bcast : kind == 5 ? MCAST : kind == 6 ? other : MAC;
        std::memcpy(&f.bytes[0], da, 6);
        std::memcpy(&f.bytes[6], MAC, 6);
        f.bytes[12] = 0x08;  // IPv4 ethertype, a 20-byte header, UDP
        f.bytes[13] = 0x00;
        f.bytes[14] = 0x45;
        f.bytes[23] = 17;
        f.split = len > 200 && i % 3 == 0;
        f.csum = i % 2 == 0 && len >= 42;
        f.no_fcs = i % 23 == 11;
        f.expect = kind != 6 && !f.no_fcs;
        fs.push_back(std::move(f));
    }
    return fs;
}

// GMII symbols of a frame with preamble, SFD and FCS (for direct injection).
void gmii_frame(std::deque<uint16_t>& out, const std::vector<uint8_t>& f, bool bad_fcs, bool er) {
    std::vector<uint8_t> w(f);
    uint32_t c = crc32(w.data(), w.size()) ^ (bad_fcs ? 1u : 0u);
    for (int k = 0; k < 4; k++) w.push_back(uint8_t(c >> (8 * k)));
    for (int k = 0; k < 7; k++) out.push_back(0x155);
    out.push_back(0x1d5);
    for (size_t k = 0; k < w.size(); k++)
        out.push_back(uint16_t(0x100 | w[k] | ((er && k == w.size() / 2) ? 0x200 : 0)));
    for (int k = 0; k < 12; k++) out.push_back(0);
}

}  // namespace

int main(int argc, char** argv) {
    const int persona = personality(0xffffffff);
    if (persona != -1 && !(persona & ADDR_NO_RANDOMIZE) &&
        personality(static_cast<unsigned long>(persona) | ADDR_NO_RANDOMIZE) != -1) {
        execv("/proc/self/exe", argv);
        // Not possible here: go on with randomised addresses (the profile is
        // as good, only ccache will not recognise it).
    }
    verbose = argc > 1 && std::strcmp(argv[1], "-v") == 0;
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->randReset(0);
    ctx->fatalOnError(false);
    auto top = std::make_unique<Vnic_sim_top>(ctx.get(), "TOP");
    Vnic_sim_top* t = top.get();

    HostMem mem;
    AxiSlave slave(mem);
    Axil axil;
    const std::vector<Frame> frames = make_frames();
    int expected = 0;
    for (const Frame& f : frames) expected += f.expect;

    // Directly injected frames while the NIC is unprogrammed (bench RX case):
    // broadcast frames, one with a bad FCS, one with gmii_rx_er.
    std::deque<uint16_t> inject;
    for (int i = 0; i < 8; i++) {
        std::vector<uint8_t> f(frames[i].bytes);
        std::memset(&f[0], 0xff, 6);
        gmii_frame(inject, f, i == 5, i == 6);
    }

    enum class Phase { Reset, Inject, Init, Run, Drain, CtrlRst, Done } phase = Phase::Reset;
    uint16_t loop[LOOP_DELAY] = {};
    uint32_t loop_at = 0;
    uint64_t phase_start = 0;
    bool prev_irq = false, icr_pending = false;
    int next_frame = 0, rx_good = 0, rx_bad = 0, rx_seen_frames = 0;
    uint32_t tx_tail = 0, tx_clean = 0, rx_next = 0, rdt = 0, services = 0;
    uint64_t irqs = 0, gprc = 0, gptc = 0, crcerrs = 0;
    int expect_cursor = 0;              // next frame index expected back

    auto fill_rx = [&](uint32_t i) {
        const uint64_t d = RX_RING + 16ULL * i;
        mem.put64(d, RX_BUF + uint64_t(BUF) * i);
        mem.put64(d + 8, 0);
    };
    for (uint32_t i = 0; i < RING; i++) fill_rx(i);

    auto tx_free = [&]() { return RING - 1 - (tx_tail + RING - tx_clean) % RING; };

    auto queue_tx = [&]() {
        bool any = false;
        while (next_frame < FRAMES) {
            const Frame& f = frames[next_frame];
            const uint32_t need = f.split ? 2 : 1;
            if (tx_free() < need) break;
            const uint64_t buf = TX_BUF + uint64_t(BUF) * tx_tail;
            std::memcpy(mem.at(buf), f.bytes.data(), f.bytes.size());
            const uint16_t first = f.split ? uint16_t(f.bytes.size() / 3) : uint16_t(f.bytes.size());
            for (uint32_t k = 0; k < need; k++) {
                const uint64_t d = TX_RING + 16ULL * tx_tail;
                const uint16_t len = k == 0 ? first : uint16_t(f.bytes.size() - first);
                const uint64_t a = buf + (k == 0 ? 0 : first);
                uint8_t cmd = TX_RS | (f.no_fcs ? 0 : TX_IFCS);
                if (k + 1 == need) cmd |= TX_EOP;
                if (next_frame % 5 == 1) cmd |= TX_IDE;
                uint8_t cso = 0, css = 0;
                if (f.csum && k == 0) {
                    cmd |= TX_IC;
                    css = 34;      // UDP header after Ethernet + IPv4
                    cso = 34 + 6;  // UDP checksum field
                }
                mem.put64(d, a);
                mem.put16(d + 8, len);
                uint8_t* p = mem.at(d + 10);
                p[0] = cso;
                p[1] = cmd;
                p[2] = 0;
                p[3] = css;
                mem.put16(d + 14, 0);
                tx_tail = (tx_tail + 1) % RING;
            }
            next_frame++;
            any = true;
        }
        if (any) axil.write(TDT, tx_tail);
    };

    // The driver's interrupt/poll work: clean TX, take RX, hand back RDT.
    auto service = [&](uint64_t cycle) {
        while (tx_clean != tx_tail && (*mem.at(TX_RING + 16ULL * tx_clean + 12) & DD)) {
            tx_clean = (tx_clean + 1) % RING;
        }
        uint32_t taken = 0;
        while (true) {
            const uint64_t d = RX_RING + 16ULL * rx_next;
            const uint8_t status = *mem.at(d + 12);
            if (!(status & DD)) break;
            const uint16_t len = mem.get16(d + 8);
            const uint8_t errors = *mem.at(d + 13);
            while (expect_cursor < FRAMES && !frames[expect_cursor].expect) expect_cursor++;
            bool good = false;
            if (expect_cursor < FRAMES) {
                const std::vector<uint8_t>& want = frames[expect_cursor].bytes;
                const uint8_t* got = mem.at(RX_BUF + uint64_t(BUF) * rx_next);
                // Checksum insertion changed two bytes: compare around them.
                good = errors == 0 && len == want.size() &&
                       std::memcmp(got, want.data(), 40) == 0 &&
                       std::memcmp(got + 42, want.data() + 42, want.size() - 42) == 0;
                expect_cursor++;
            }
            if (good) {
                rx_good++;
            } else {
                rx_bad++;
                if (verbose)
                    std::fprintf(stderr, "rx mismatch: desc %u len %u errors %#x cycle %llu\n",
                                 rx_next, len, errors, static_cast<unsigned long long>(cycle));
            }
            rx_seen_frames++;
            fill_rx(rx_next);
            rx_next = (rx_next + 1) % RING;
            taken++;
        }
        if (taken) {
            rdt = (rdt + taken) % RING;
            axil.write(RDT, rdt);
        }
        if (phase == Phase::Run) queue_tx();
        if (++services % 8 == 0)
            for (uint32_t s : STATS) axil.read(s, Axil::Tag::Stat);
    };

    const int total_frames = FRAMES;
    uint64_t cycle = 0;
    for (; cycle < MAX_CYCLES && phase != Phase::Done; cycle++) {
        // 1-2: drive and settle.
        t->rst = phase == Phase::Reset;
        t->link_up = !(phase == Phase::Init && cycle - phase_start < 64);
        axil.drive(t);
        slave.drive(t, cycle);
        uint16_t rx = loop[loop_at];
        if (phase == Phase::Inject && !inject.empty()) {
            rx = inject.front();
            inject.pop_front();
        }
        t->gmii_rxd = uint8_t(rx);
        t->gmii_rx_dv = (rx >> 8) & 1;
        t->gmii_rx_er = (rx >> 9) & 1;
        // The edges as the shim runs them (nic_edges.h), after a first
        // full eval (initial and settle regions).
        if (cycle == 0) {
            t->clk = 0;
            t->eval();
        } else {
            nic_edge_fall_fast(t);
        }

        // 3: sample.
        uint32_t data = 0;
        const Axil::Op op = axil.cur;
        const bool done = axil.sample(t, &data);
        slave.sample(t, cycle);
        loop[loop_at] = uint16_t(t->gmii_txd | (t->gmii_tx_en ? 0x100 : 0) |
                                 (t->gmii_tx_er ? 0x200 : 0));
        loop_at = (loop_at + 1) % LOOP_DELAY;
        const bool irq = t->irq != 0;
        if (irq && !prev_irq) irqs++;
        prev_irq = irq;

        if (done && !op.write) {
            switch (op.tag) {
                case Axil::Tag::Icr:
                    icr_pending = false;
                    if (data & ICR_DMAERR) die("ICR.DMAERR: the NIC saw a DMA error", cycle);
                    service(cycle);
                    break;
                case Axil::Tag::Stat:
                    if (op.addr == GPRC) gprc += data;
                    if (op.addr == GPTC) gptc += data;
                    if (op.addr == CRCERRS) crcerrs += data;
                    break;
                case Axil::Tag::CtrlPoll:
                    if (data & CTRL_RST) {
                        axil.read(CTRL, Axil::Tag::CtrlPoll);
                    } else {
                        axil.read(STATUS, Axil::Tag::Status);
                    }
                    break;
                case Axil::Tag::Status:
                    if (phase == Phase::CtrlRst) phase = Phase::Done;
                    break;
                case Axil::Tag::None: break;
            }
        }

        // Software, once per clock (it only queues register accesses).
        switch (phase) {
            case Phase::Reset:
                if (cycle >= 15) {
                    phase = Phase::Inject;
                    phase_start = cycle;
                }
                break;
            case Phase::Inject:
                if (inject.empty()) {
                    phase = Phase::Init;
                    phase_start = cycle;
                    axil.read(STATUS, Axil::Tag::Status);
                    axil.write(IMC, 0xffffffffu);
                    axil.read(ICR, Axil::Tag::None);
                    axil.write(RAL0, uint32_t(MAC[0]) | MAC[1] << 8 | MAC[2] << 16 |
                                         uint32_t(MAC[3]) << 24);
                    axil.write(RAH0, (1u << 31) | MAC[4] | MAC[5] << 8);
                    for (uint32_t n = 0; n < 128; n++) {
                        // e1000 hash, RCTL.MO = 0 (driver::regs::mta_hash).
                        const uint32_t h = ((MCAST[4] >> 4) | (MCAST[5] << 4)) & 0xfff;
                        axil.write(MTA + 4 * n, ((h >> 5) & 0x7f) == n ? 1u << (h & 31) : 0);
                    }
                    // The TX and RX ring registers have the same layout
                    // from TDBAL and RDBAL: BAL, BAH, LEN, H, T.
                    auto ring = [&](uint32_t bal, uint64_t base) {
                        axil.write(bal, uint32_t(base));
                        axil.write(bal + (TDBAH - TDBAL), uint32_t(base >> 32));
                        axil.write(bal + (TDLEN - TDBAL), RING * 16);
                        axil.write(bal + (TDH - TDBAL), 0);
                        axil.write(bal + (TDT - TDBAL), 0);
                    };
                    ring(TDBAL, TX_RING);
                    axil.write(TIPG, 12);
                    axil.write(TIDV, 8);
                    axil.write(TADV, 32);
                    axil.write(TCTL, TCTL_EN | TCTL_PSP);
                    ring(RDBAL, RX_RING);
                    axil.write(RDTR, 2);
                    axil.write(RADV, 8);
                    axil.write(RXCSUM, 14);
                    axil.write(ITR, 40);
                    axil.write(RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);  // BSIZE 2048
                    axil.write(IMS, IMS_ENABLE);
                    rdt = RING - 1;
                    axil.write(RDT, rdt);
                }
                break;
            case Phase::Init:
                if (axil.idle()) {
                    phase = Phase::Run;
                    phase_start = cycle;
                    queue_tx();
                }
                break;
            case Phase::Run:
            case Phase::Drain: {
                // Back-pressure: none for the first third of the frames, a
                // duty pattern for the second, pseudo-random for the rest.
                slave.gate = next_frame < total_frames / 3       ? Gate::Always
                             : next_frame < 2 * total_frames / 3 ? Gate::Duty
                                                                 : Gate::Random;
                if (irq && !icr_pending) {
                    icr_pending = true;
                    axil.read(ICR, Axil::Tag::Icr);
                } else if (axil.idle() && cycle % 4096 == 0) {
                    service(cycle);  // polling, as NAPI does with interrupts off
                }
                if (phase == Phase::Run && next_frame == total_frames) {
                    phase = Phase::Drain;
                    phase_start = cycle;
                }
                if (phase == Phase::Drain && tx_clean == tx_tail &&
                    (rx_seen_frames >= expected || cycle - phase_start > 200000)) {
                    // Final statistics, then a device reset (CTRL.RST), polled.
                    for (uint32_t s : STATS) axil.read(s, Axil::Tag::Stat);
                    axil.write(CTRL, CTRL_RST);
                    axil.read(CTRL, Axil::Tag::CtrlPoll);
                    phase = Phase::CtrlRst;
                    phase_start = cycle;
                }
                break;
            }
            case Phase::CtrlRst:
            case Phase::Done: break;
        }
        axil.start();

        if (cycle == 0) {
            t->clk = 1;
            t->eval();
        } else {
            nic_edge_rise_fast(t);
        }
    }
    top->final();

    if (verbose || phase != Phase::Done || rx_good < expected) {
        std::fprintf(stderr,
                     "pgo_train: %llu cycles, %d frames sent, %d expected back, %d intact, "
                     "%d wrong, %llu irqs, %llu DMA bursts, %llu register accesses, "
                     "GPTC %llu GPRC %llu CRCERRS %llu\n",
                     static_cast<unsigned long long>(cycle), next_frame, expected, rx_good,
                     rx_bad, static_cast<unsigned long long>(irqs),
                     static_cast<unsigned long long>(slave.bursts),
                     static_cast<unsigned long long>(axil.count),
                     static_cast<unsigned long long>(gptc), static_cast<unsigned long long>(gprc),
                     static_cast<unsigned long long>(crcerrs));
    }
    if (phase != Phase::Done) die("did not finish: the NIC stopped answering", cycle);
    if (rx_good == 0) die("no frame came back through the GMII loopback", cycle);
    if (rx_good < expected) die("not every looped-back frame was received intact", cycle);
    return 0;
}
