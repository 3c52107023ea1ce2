// C ABI shim between the Verilated NIC model and sim/src/ffi.rs.
//
// One call per evaluation: Rust writes inputs and reads outputs through the
// port pointers handed out by nic_model_new (generated nic_ports.h lists every
// port of nic_sim_top), then calls nic_model_eval. Each model has its own
// VerilatedContext, so several models can live in one process and thread.

#include <cstdint>
#include <memory>

#include "verilated.h"
#include "Vnic_sim_top.h"
#include "nic_ports.h"
#include "nic_edges.h"

#if VM_TRACE_FST
#include "verilated_fst_c.h"
using nic_trace_file = VerilatedFstC;
#else
#include "verilated_vcd_c.h"
using nic_trace_file = VerilatedVcdC;
#endif

struct nic_model {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vnic_sim_top> top;
    std::unique_ptr<nic_trace_file> trace;
    // The first eval() has run (initial and settle regions).
    bool inited = false;
    // Edges through nic_edges.h when no waveform is open (1), or always
    // through eval() (0; for comparing the two).
    bool fast = true;
};

extern "C" {

// Which waveform format this build writes: 0 = VCD, 1 = FST.
int nic_model_trace_format(void) { return VM_TRACE_FST ? 1 : 0; }

// Whether this build skips the falling edge's evaluation (nic_edges.h).
int nic_model_fast_edges_compiled(void) { return NIC_FAST_EDGES; }

nic_model* nic_model_new(nic_ports* ports) {
    auto* m = new nic_model;
    m->ctx = std::make_unique<VerilatedContext>();
    // Tracing must be allowed before the model exists, so a waveform can be
    // opened at any later cycle.
    m->ctx->traceEverOn(true);
    // Deterministic initial values regardless of thread (the build also uses
    // --x-initial 0); no plusargs from the host process.
    m->ctx->randReset(0);
    m->ctx->fatalOnError(false);
    m->top = std::make_unique<Vnic_sim_top>(m->ctx.get(), "TOP");
    nic_ports_fill(m->top.get(), ports);
    return m;
}

void nic_model_free(nic_model* m) {
    if (!m) return;
    if (m->trace) m->trace->close();
    m->trace.reset();
    m->top->final();
    m->top.reset();
    m->ctx.reset();
    delete m;
}

// Evaluate the model at simulated time `time_ps` (picoseconds).
void nic_model_eval(nic_model* m, uint64_t time_ps) {
    m->ctx->time(time_ps);
    m->top->eval();
    m->inited = true;
}

// Evaluate and, when a waveform is open, record the values at `time_ps`.
void nic_model_eval_dump(nic_model* m, uint64_t time_ps) {
    m->ctx->time(time_ps);
    m->top->eval();
    m->inited = true;
    if (m->trace) m->trace->dump(time_ps);
}

// One clock: the falling edge at `t_low`, then the rising edge at `t_high`
// after the caller has sampled in between. Same values at the pins as
// clk = 0 / eval_dump, clk = 1 / eval_dump; cheaper when no waveform is
// open (nic_edges.h).
void nic_model_fall(nic_model* m, uint64_t t_low) {
    if (m->fast && m->inited && !m->trace) {
        m->ctx->time(t_low);
        nic_edge_fall_fast(m->top.get());
        return;
    }
    m->top->clk = 0;
    nic_model_eval_dump(m, t_low);
}

void nic_model_rise(nic_model* m, uint64_t t_high) {
    if (m->fast && m->inited && !m->trace) {
        m->ctx->time(t_high);
        nic_edge_rise_fast(m->top.get());
        return;
    }
    m->top->clk = 1;
    nic_model_eval_dump(m, t_high);
}

// 1: edges as above; 0: every edge through eval() (the reference).
void nic_model_set_fast_edges(nic_model* m, int on) { m->fast = on != 0; }

// Nonzero once the RTL executed $finish (for instance a parameter check).
int nic_model_got_finish(const nic_model* m) { return m->ctx->gotFinish() ? 1 : 0; }

// Open a waveform file, `depth` hierarchy levels deep (0 = everything).
// Returns 0 on success, -1 when one is already open or the file cannot be
// created.
int nic_trace_open(nic_model* m, const char* path, int depth) {
    if (m->trace) return -1;
    auto t = std::make_unique<nic_trace_file>();
    // Depth limit as $dumpvars(depth, TOP): 1 = the top ports only.
    if (depth > 0) t->dumpvars(depth, "TOP");
    m->top->trace(t.get(), 99);
    t->open(path);
    if (!t->isOpen()) return -1;
    m->trace = std::move(t);
    return 0;
}

void nic_trace_dump(nic_model* m, uint64_t time_ps) {
    if (m->trace) m->trace->dump(time_ps);
}

void nic_trace_flush(nic_model* m) {
    if (m->trace) m->trace->flush();
}

void nic_trace_close(nic_model* m) {
    if (!m->trace) return;
    m->trace->close();
    m->trace.reset();
}

int nic_trace_is_open(const nic_model* m) { return m->trace ? 1 : 0; }

}  // extern "C"
