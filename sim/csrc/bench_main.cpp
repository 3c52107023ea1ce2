// Bare C++ loop on the same Verilated model as the Rust bridge, for the
// benchmark comparison (sim::bench::bare_loop does the same work from Rust):
// reset, then per cycle the falling and the rising edge through nic_edges.h
// (the same edge functions as the shim's nic_model_fall/rise), nothing else.
//
// usage: nic_bench_main CYCLES [RX_SYMBOLS]   -> prints "cycles=N ns=T"
//
// RX_SYMBOLS (optional, added for the `nicsim bench` traffic case): a file of
// two bytes per clock, gmii_rxd then flags (bit 0 gmii_rx_dv, bit 1
// gmii_rx_er), driven before each rising edge and replayed cyclically; the
// Rust loop in src/bench.rs drives the same file the same way.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "verilated.h"
#include "Vnic_sim_top.h"
#include "nic_edges.h"

int main(int argc, char** argv) {
    uint64_t cycles = 1000000;
    if (argc > 1) cycles = std::strtoull(argv[1], nullptr, 10);
    std::vector<unsigned char> rx;
    if (argc > 2) {
        std::ifstream f(argv[2], std::ios::binary);
        rx.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        if (!f.good() && !f.eof()) {
            std::fprintf(stderr, "cannot read %s\n", argv[2]);
            return 2;
        }
        if (rx.size() < 2 || rx.size() % 2 != 0) {
            std::fprintf(stderr, "%s: need a non-empty even number of bytes\n", argv[2]);
            return 2;
        }
    }
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
    const auto start = std::chrono::steady_clock::now();
    if (rx.empty()) {
        for (uint64_t c = 0; c < cycles; c++) {
            nic_edge_fall_fast(top.get());
            nic_edge_rise_fast(top.get());
        }
    } else {
        size_t at = 0;
        for (uint64_t c = 0; c < cycles; c++) {
            top->gmii_rxd = rx[at];
            top->gmii_rx_dv = rx[at + 1] & 1;
            top->gmii_rx_er = (rx[at + 1] >> 1) & 1;
            nic_edge_fall_fast(top.get());
            nic_edge_rise_fast(top.get());
            at += 2;
            if (at == rx.size()) at = 0;
        }
    }
    const auto end = std::chrono::steady_clock::now();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
    top->final();
    std::printf("cycles=%llu ns=%lld\n", static_cast<unsigned long long>(cycles),
                static_cast<long long>(ns));
    return 0;
}
