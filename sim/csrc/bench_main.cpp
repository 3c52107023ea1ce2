// Bare C++ loop on the same Verilated model as the Rust bridge, for the
// benchmark comparison (sim::bench::BareLoop does the same work from Rust):
// reset, then per cycle the falling and the rising edge through nic_edges.h
// (the same edge functions as the shim's nic_model_fall/rise), nothing else.
//
// usage: nic_bench_main CYCLES [RX_SYMBOLS]      -> prints "cycles=N ns=T"
//        nic_bench_main --serve [RX_SYMBOLS]     -> prints "ready", then for
//            every line "N" on stdin runs N more cycles on the same model and
//            prints "cycles=N ns=T" for them; ends at end of input.
//
// RX_SYMBOLS (optional, added for the `nicsim bench` traffic case): a file of
// two bytes per clock, gmii_rxd then flags (bit 0 gmii_rx_dv, bit 1
// gmii_rx_er), driven before each rising edge and replayed cyclically; the
// Rust loop in sim/src/bench.rs drives the same file the same way.
//
// The serve mode lets `nicsim bench` alternate short stretches of this loop
// with stretches of the Rust loop, both models alive and warm, so that the
// host's slow and fast spells fall on both sides alike (on a shared VM the
// speed of one and the same loop drifts by a third from second to second).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "verilated.h"
#include "Vnic_sim_top.h"
#include "nic_edges.h"

namespace {

// Runs `cycles` clocks; `at` is the position in `rx`, kept across calls.
// Returns the wall time of the loop in nanoseconds.
long long run_cycles(Vnic_sim_top* top, const std::vector<unsigned char>& rx, size_t& at,
                     uint64_t cycles) {
    const auto start = std::chrono::steady_clock::now();
    if (rx.empty()) {
        for (uint64_t c = 0; c < cycles; c++) {
            nic_edge_fall_fast(top);
            nic_edge_rise_fast(top);
        }
    } else {
        for (uint64_t c = 0; c < cycles; c++) {
            top->gmii_rxd = rx[at];
            top->gmii_rx_dv = rx[at + 1] & 1;
            top->gmii_rx_er = (rx[at + 1] >> 1) & 1;
            nic_edge_fall_fast(top);
            nic_edge_rise_fast(top);
            at += 2;
            if (at == rx.size()) at = 0;
        }
    }
    const auto end = std::chrono::steady_clock::now();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
}

bool read_symbols(const char* path, std::vector<unsigned char>& rx) {
    std::ifstream f(path, std::ios::binary);
    rx.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (!f.good() && !f.eof()) {
        std::fprintf(stderr, "cannot read %s\n", path);
        return false;
    }
    if (rx.size() < 2 || rx.size() % 2 != 0) {
        std::fprintf(stderr, "%s: need a non-empty even number of bytes\n", path);
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const bool serve = argc > 1 && std::strcmp(argv[1], "--serve") == 0;
    uint64_t cycles = 1000000;
    if (argc > 1 && !serve) {
        char* end = nullptr;
        cycles = std::strtoull(argv[1], &end, 10);
        if (end == argv[1] || *end != '\0') {
            std::fprintf(stderr, "CYCLES: not a number: %s\n", argv[1]);
            return 2;
        }
    }
    std::vector<unsigned char> rx;
    if (argc > 2 && !read_symbols(argv[2], rx)) return 2;
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->randReset(0);
    auto top = std::make_unique<Vnic_sim_top>(ctx.get(), "TOP");
    top->link_up = 1;
    top->rst = 1;
    for (int i = 0; i < 16; i++) {
        top->clk = 0;
        top->eval();
        top->clk = 1;
        top->eval();
    }
    top->rst = 0;
    size_t at = 0;
    if (serve) {
        std::printf("ready\n");
        std::fflush(stdout);
        char line[64];
        while (std::fgets(line, sizeof line, stdin)) {
            char* end = nullptr;
            const uint64_t n = std::strtoull(line, &end, 10);
            if (end == line || (*end != '\n' && *end != '\0')) {
                std::fprintf(stderr, "--serve: expected a cycle count per line, got: %s", line);
                return 2;
            }
            const long long ns = run_cycles(top.get(), rx, at, n);
            std::printf("cycles=%llu ns=%lld\n", static_cast<unsigned long long>(n), ns);
            std::fflush(stdout);
        }
    } else {
        const long long ns = run_cycles(top.get(), rx, at, cycles);
        std::printf("cycles=%llu ns=%lld\n", static_cast<unsigned long long>(cycles), ns);
    }
    top->final();
    return 0;
}
