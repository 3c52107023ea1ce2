`resetall
`timescale 1ns / 1ps
`default_nettype none

// NIC register block: AXI4-Lite slave, configuration registers, statistics
// counters (clear on read), multicast table RAM and receive address entries.
//
// Offsets and fields come from nic_defs.vh (8254x section 13 subset plus the
// nicsim additions documented in docs/regmap.md). Interrupt state lives in
// nic_intr; this block forwards ICR/ICS/IMS/IMC accesses to it and reads
// ICR/IMS back. Head pointers live in the DMA engines (written through
// tdh_wr/rdh_wr, read through tdh/rdh).
//
// Two resets: rst resets everything, core_rst (rst or the CTRL.RST sequence)
// resets the register contents but not the AXI4-Lite handshake, so the write
// to CTRL.RST still completes with a B response and accesses made while the
// reset is in progress complete (reads return reset values, writes are lost).
//
// Reads take two cycles after the AR handshake (the MTA RAM is read
// synchronously); read side effects (ICR clear, statistics clear) happen in
// the cycle the data is captured, so a value is never both returned and lost.
module nic_regs #
(
    // register window address width (128 KiB)
    parameter AXIL_ADDR_WIDTH = 17
)
(
    input  wire                       clk,
    input  wire                       rst,
    input  wire                       core_rst,

    /*
     * Register slave (AXI4-Lite)
     */
    input  wire [AXIL_ADDR_WIDTH-1:0] s_axil_awaddr,
    input  wire [2:0]                 s_axil_awprot,
    input  wire                       s_axil_awvalid,
    output wire                       s_axil_awready,
    input  wire [31:0]                s_axil_wdata,
    input  wire [3:0]                 s_axil_wstrb,
    input  wire                       s_axil_wvalid,
    output wire                       s_axil_wready,
    output wire [1:0]                 s_axil_bresp,
    output wire                       s_axil_bvalid,
    input  wire                       s_axil_bready,
    input  wire [AXIL_ADDR_WIDTH-1:0] s_axil_araddr,
    input  wire [2:0]                 s_axil_arprot,
    input  wire                       s_axil_arvalid,
    output wire                       s_axil_arready,
    output wire [31:0]                s_axil_rdata,
    output wire [1:0]                 s_axil_rresp,
    output wire                       s_axil_rvalid,
    input  wire                       s_axil_rready,

    /*
     * Configuration
     */
    output wire                       cfg_ctrl_slu,
    output wire [31:0]                cfg_rctl,
    output wire [31:0]                cfg_tctl,
    output wire [9:0]                 cfg_ipgt,
    output wire [63:0]                cfg_rdba,
    output wire [19:0]                cfg_rdlen,
    output wire [15:0]                cfg_rdt,
    output wire [15:0]                cfg_rdtr,
    output wire                       cfg_rdtr_fpd,
    output wire [15:0]                cfg_radv,
    output wire [7:0]                 cfg_pcss,
    output wire [63:0]                cfg_tdba,
    output wire [19:0]                cfg_tdlen,
    output wire [15:0]                cfg_tdt,
    output wire [15:0]                cfg_tidv,
    output wire [15:0]                cfg_tadv,
    output wire [15:0]                cfg_itr,

    /*
     * Address lookups for the receive filter, both answered one cycle after
     * the request: the MTA bit at mta_index and whether lookup_da equals a
     * RAL/RAH entry with AV set (8254x 13.5.1, 13.5.2, 13.5.3)
     */
    input  wire [11:0]                mta_index,
    input  wire [47:0]                lookup_da,
    input  wire                       mta_req,
    output wire                       mta_bit,
    output wire                       ra_hit,

    /*
     * Head pointers (owned by the DMA engines)
     */
    output wire                       tdh_wr,
    output wire                       rdh_wr,
    output wire [15:0]                head_wr_data,
    input  wire [15:0]                tdh,
    input  wire [15:0]                rdh,

    /*
     * Interrupt registers (state in nic_intr)
     */
    output wire                       icr_rd,
    output wire                       icr_wr,
    output wire                       ics_wr,
    output wire                       ims_wr,
    output wire                       imc_wr,
    output wire [31:0]                int_wr_data,
    input  wire [31:0]                icr,
    input  wire [31:0]                ims,

    /*
     * Reset and status
     */
    output wire                       soft_rst_req,
    input  wire                       soft_rst_active,
    input  wire                       link_up,
    input  wire                       quiescent,
    input  wire                       tx_stopped,
    input  wire                       rx_stopped,

    /*
     * DMA bus error report (first one is kept until reset)
     */
    input  wire                       dmaerr_valid,
    input  wire [63:0]                dmaerr_addr,
    input  wire                       dmaerr_rxq,
    input  wire                       dmaerr_write,
    input  wire                       dmaerr_desc,
    input  wire [1:0]                 dmaerr_resp,

    /*
     * Statistics events (one-cycle pulses)
     */
    input  wire                       stat_rx_total,
    input  wire                       stat_rx_good,
    input  wire                       stat_rx_bcast,
    input  wire                       stat_rx_mcast,
    input  wire [15:0]                stat_rx_good_bytes,
    input  wire                       stat_rx_crc_err,
    input  wire                       stat_rx_er,
    input  wire                       stat_rx_runt,
    input  wire                       stat_rx_oversize,
    input  wire                       stat_rx_missed,
    input  wire                       stat_rx_no_desc,
    input  wire                       stat_tx_frame,
    input  wire [15:0]                stat_tx_bytes,
    input  wire                       stat_tx_drop,
    input  wire                       stat_tx_csum_skip,
    input  wire                       stat_tx_underrun
);

`include "nic_defs.vh"


initial begin
    if (AXIL_ADDR_WIDTH != 17) begin
        $error("Error: AXIL_ADDR_WIDTH must be 17 (128 KiB window) (instance %m)");
        $finish;
    end
end

// statistics counter indices
localparam [3:0] S_CRCERRS = 4'd0;
localparam [3:0] S_RXERRC = 4'd1;
localparam [3:0] S_MPC = 4'd2;
localparam [3:0] S_GPRC = 4'd3;
localparam [3:0] S_BPRC = 4'd4;
localparam [3:0] S_MPRC = 4'd5;
localparam [3:0] S_GPTC = 4'd6;
localparam [3:0] S_RNBC = 4'd7;
localparam [3:0] S_RUC = 4'd8;
localparam [3:0] S_ROC = 4'd9;
localparam [3:0] S_TPR = 4'd10;
localparam [3:0] S_TPT = 4'd11;
// nicsim transmit path counters (docs/regmap.md)
localparam [3:0] S_TXDROPC = 4'd12;
localparam [3:0] S_TXCSKIPC = 4'd13;
localparam [3:0] S_TXUNDERC = 4'd14;
localparam [3:0] S_COUNT = 4'd15;

/*
 * AXI4-Lite write channel: AW and W are taken together, B follows
 */
/*
 * Register slices on AW, W and AR (axi_skid): the s_axil_*ready outputs are
 * flip-flops and no s_axil_* input reaches the register logic
 * combinationally. Each adds one clock to an access.
 */
wire [16:0] aw_addr, ar_addr;
wire [31:0] w_data;
wire [3:0] w_strb;
wire aw_valid, w_valid, ar_valid;
wire aw_ready, w_ready, ar_ready;

axi_skid #(.WIDTH(17)) aw_slice (
    .clk(clk),
    .rst(rst),
    .s_data(s_axil_awaddr[16:0]),
    .s_valid(s_axil_awvalid),
    .s_ready(s_axil_awready),
    .m_data(aw_addr),
    .m_valid(aw_valid),
    .m_ready(aw_ready)
);

axi_skid #(.WIDTH(36)) w_slice (
    .clk(clk),
    .rst(rst),
    .s_data({s_axil_wdata, s_axil_wstrb}),
    .s_valid(s_axil_wvalid),
    .s_ready(s_axil_wready),
    .m_data({w_data, w_strb}),
    .m_valid(w_valid),
    .m_ready(w_ready)
);

axi_skid #(.WIDTH(17)) ar_slice (
    .clk(clk),
    .rst(rst),
    .s_data(s_axil_araddr[16:0]),
    .s_valid(s_axil_arvalid),
    .s_ready(s_axil_arready),
    .m_data(ar_addr),
    .m_valid(ar_valid),
    .m_ready(ar_ready)
);

reg s_axil_bvalid_reg;
wire wr_fire = aw_valid && w_valid && !s_axil_bvalid_reg;

assign aw_ready = wr_fire;
assign w_ready = wr_fire;
assign s_axil_bresp = 2'b00;
assign s_axil_bvalid = s_axil_bvalid_reg;

always @(posedge clk) begin
    if (wr_fire) begin
        s_axil_bvalid_reg <= 1'b1;
    end else if (s_axil_bready) begin
        s_axil_bvalid_reg <= 1'b0;
    end
    if (rst) begin
        s_axil_bvalid_reg <= 1'b0;
    end
end

wire [16:0] wr_addr = {aw_addr[16:2], 2'b00};
wire [31:0] wr_mask = {{8{w_strb[3]}}, {8{w_strb[2]}}, {8{w_strb[1]}}, {8{w_strb[0]}}};
wire [31:0] wr_data = w_data & wr_mask;

// merge a write into a stored value under the byte strobes
function [31:0] merge(input [31:0] old);
    merge = (old & ~wr_mask) | wr_data;
endfunction

/*
 * AXI4-Lite read channel: AR -> stage (RAM read) -> R
 */
reg rd_stage_reg;
reg [16:0] rd_addr_reg;
reg s_axil_rvalid_reg;
reg [31:0] s_axil_rdata_reg;

wire rd_fire = ar_valid && !rd_stage_reg && !s_axil_rvalid_reg;

assign ar_ready = rd_fire;
assign s_axil_rdata = s_axil_rdata_reg;
assign s_axil_rresp = 2'b00;
assign s_axil_rvalid = s_axil_rvalid_reg;

// read capture happens in the stage cycle
wire rd_cap = rd_stage_reg;

always @(posedge clk) begin
    rd_stage_reg <= rd_fire;
    if (rd_fire) begin
        rd_addr_reg <= {ar_addr[16:2], 2'b00};
    end
    if (rd_cap) begin
        s_axil_rvalid_reg <= 1'b1;
    end else if (s_axil_rready) begin
        s_axil_rvalid_reg <= 1'b0;
    end
    if (rst) begin
        rd_stage_reg <= 1'b0;
        s_axil_rvalid_reg <= 1'b0;
    end
end

/*
 * Multicast table array, 8254x 13.4.52: one write port, two synchronous
 * read ports (register reads, filter lookup). Not reset (8254x: undefined
 * after reset; software clears it).
 */
reg [31:0] mta_mem [0:MTA_WORDS-1];
reg [31:0] mta_rd_reg;
reg [31:0] mta_lookup_word_reg;
reg [4:0] mta_lookup_bit_reg;

wire mta_wr_sel = wr_addr[16:9] == REG_MTA[16:9];

integer k_init;
initial begin
    for (k_init = 0; k_init < MTA_WORDS; k_init = k_init + 1) begin
        mta_mem[k_init] = 32'd0;
    end
end

always @(posedge clk) begin
    if (wr_fire && mta_wr_sel) begin
        mta_mem[wr_addr[8:2]] <= merge(mta_mem[wr_addr[8:2]]);
    end
    if (rd_fire) begin
        mta_rd_reg <= mta_mem[ar_addr[8:2]];
    end
    if (mta_req) begin
        mta_lookup_word_reg <= mta_mem[mta_index[11:5]];
        mta_lookup_bit_reg <= mta_index[4:0];
    end
end

assign mta_bit = mta_lookup_word_reg[mta_lookup_bit_reg];

/*
 * Configuration registers
 */
reg [31:0] ctrl_reg;
reg [31:0] rctl_reg;
reg [31:0] tctl_reg;
reg [31:0] tipg_reg;
reg [31:0] itr_reg;
reg [31:0] rdbal_reg;
reg [31:0] rdbah_reg;
reg [31:0] rdlen_reg;
reg [31:0] rdt_reg;
reg [31:0] rdtr_reg;
reg [31:0] radv_reg;
reg [31:0] rxcsum_reg;
reg [31:0] tdbal_reg;
reg [31:0] tdbah_reg;
reg [31:0] tdlen_reg;
reg [31:0] tdt_reg;
reg [31:0] tidv_reg;
reg [31:0] tadv_reg;
reg [31:0] ral_reg [0:RA_ENTRIES-1];
reg [31:0] rah_reg [0:RA_ENTRIES-1];
reg rdtr_fpd_reg;

// DMA error report
reg dmaerr_valid_reg;
reg [63:0] dmaerr_addr_reg;
reg [2:0] dmaerr_kind_reg;
reg [1:0] dmaerr_resp_reg;

wire ra_sel = wr_addr[16:7] == REG_RAL0[16:7];
integer k_ra;

always @(posedge clk) begin
    rdtr_fpd_reg <= 1'b0;
    if (wr_fire) begin
        case (wr_addr)
            REG_CTRL:   ctrl_reg <= merge(ctrl_reg) & ~(32'd1 << CTRL_RST_BIT);
            REG_RCTL:   rctl_reg <= merge(rctl_reg);
            REG_TCTL:   tctl_reg <= merge(tctl_reg);
            REG_TIPG:   tipg_reg <= merge(tipg_reg);
            REG_ITR:    itr_reg <= merge(itr_reg) & 32'h0000FFFF;
            REG_RDBAL:  rdbal_reg <= merge(rdbal_reg) & 32'hFFFFFFF0;
            REG_RDBAH:  rdbah_reg <= merge(rdbah_reg);
            REG_RDLEN:  rdlen_reg <= merge(rdlen_reg) & 32'h000FFF80;
            REG_RDT:    rdt_reg <= merge(rdt_reg) & 32'h0000FFFF;
            REG_RDTR: begin
                rdtr_reg <= merge(rdtr_reg) & 32'h0000FFFF;
                // FPD is write-only and self-clearing, 8254x 13.4.30
                rdtr_fpd_reg <= wr_data[RDTR_FPD_BIT];
            end
            REG_RADV:   radv_reg <= merge(radv_reg) & 32'h0000FFFF;
            REG_RXCSUM: rxcsum_reg <= merge(rxcsum_reg) & 32'h000000FF;
            REG_TDBAL:  tdbal_reg <= merge(tdbal_reg) & 32'hFFFFFFF0;
            REG_TDBAH:  tdbah_reg <= merge(tdbah_reg);
            REG_TDLEN:  tdlen_reg <= merge(tdlen_reg) & 32'h000FFF80;
            REG_TDT:    tdt_reg <= merge(tdt_reg) & 32'h0000FFFF;
            REG_TIDV:   tidv_reg <= merge(tidv_reg) & 32'h0000FFFF;
            REG_TADV:   tadv_reg <= merge(tadv_reg) & 32'h0000FFFF;
            default: begin end
        endcase
        if (ra_sel) begin
            if (wr_addr[2]) begin
                rah_reg[wr_addr[6:3]] <= merge(rah_reg[wr_addr[6:3]]) & 32'h8003FFFF;
            end else begin
                ral_reg[wr_addr[6:3]] <= merge(ral_reg[wr_addr[6:3]]);
            end
        end
    end

    if (dmaerr_valid && !dmaerr_valid_reg) begin
        dmaerr_valid_reg <= 1'b1;
        dmaerr_addr_reg <= dmaerr_addr;
        dmaerr_kind_reg <= {dmaerr_desc, dmaerr_write, dmaerr_rxq};
        dmaerr_resp_reg <= dmaerr_resp;
    end

    if (core_rst) begin
        ctrl_reg <= RST_CTRL;
        rctl_reg <= RST_RCTL;
        tctl_reg <= RST_TCTL;
        tipg_reg <= RST_TIPG;
        itr_reg <= RST_ITR;
        rdbal_reg <= RST_RDBAL;
        rdbah_reg <= RST_RDBAH;
        rdlen_reg <= RST_RDLEN;
        rdt_reg <= RST_RDT;
        rdtr_reg <= RST_RDTR;
        rdtr_fpd_reg <= 1'b0;
        radv_reg <= RST_RADV;
        rxcsum_reg <= RST_RXCSUM;
        tdbal_reg <= RST_TDBAL;
        tdbah_reg <= RST_TDBAH;
        tdlen_reg <= RST_TDLEN;
        tdt_reg <= RST_TDT;
        tidv_reg <= RST_TIDV;
        tadv_reg <= RST_TADV;
        for (k_ra = 0; k_ra < RA_ENTRIES; k_ra = k_ra + 1) begin
            ral_reg[k_ra] <= RST_RAL0;
            rah_reg[k_ra] <= RST_RAH0;
        end
        dmaerr_valid_reg <= 1'b0;
        dmaerr_addr_reg <= 64'd0;
        dmaerr_kind_reg <= 3'd0;
        dmaerr_resp_reg <= 2'd0;
    end
end

assign cfg_ctrl_slu = ctrl_reg[CTRL_SLU_BIT];
assign cfg_rctl = rctl_reg;
assign cfg_tctl = tctl_reg;
assign cfg_ipgt = tipg_reg[TIPG_IPGT_LSB +: TIPG_IPGT_WIDTH];
assign cfg_rdba = {rdbah_reg, rdbal_reg};
assign cfg_rdlen = rdlen_reg[19:0];
assign cfg_rdt = rdt_reg[15:0];
assign cfg_rdtr = rdtr_reg[15:0];
assign cfg_rdtr_fpd = rdtr_fpd_reg;
assign cfg_radv = radv_reg[15:0];
assign cfg_pcss = rxcsum_reg[7:0];
assign cfg_tdba = {tdbah_reg, tdbal_reg};
assign cfg_tdlen = tdlen_reg[19:0];
assign cfg_tdt = tdt_reg[15:0];
assign cfg_tidv = tidv_reg[15:0];
assign cfg_tadv = tadv_reg[15:0];
assign cfg_itr = itr_reg[15:0];

// Exact match against the RAL/RAH table, {RAH[15:0], RAL} = lookup_da,
// compared only in the clock of a lookup request (a simulator skips the
// sixteen 48-bit compares the other clocks); registered like the MTA bit.
reg ra_match;
reg ra_hit_reg;
integer k_match;
always @* begin
    ra_match = 1'b0;
    k_match = 0;
    if (mta_req) begin
        for (k_match = 0; k_match < RA_ENTRIES; k_match = k_match + 1) begin
            if (rah_reg[k_match][RAH_AV_BIT]
                    && {rah_reg[k_match][15:0], ral_reg[k_match]} == lookup_da) begin
                ra_match = 1'b1;
            end
        end
    end
end

always @(posedge clk) begin
    if (mta_req) begin
        ra_hit_reg <= ra_match;
    end
end

assign ra_hit = ra_hit_reg;

/*
 * Pulses to the DMA engines, the interrupt block and the reset sequencer
 */
assign tdh_wr = wr_fire && wr_addr == REG_TDH;
assign rdh_wr = wr_fire && wr_addr == REG_RDH;
assign head_wr_data = wr_data[15:0];
assign icr_wr = wr_fire && wr_addr == REG_ICR;
assign ics_wr = wr_fire && wr_addr == REG_ICS;
assign ims_wr = wr_fire && wr_addr == REG_IMS;
assign imc_wr = wr_fire && wr_addr == REG_IMC;
assign int_wr_data = wr_data;
assign soft_rst_req = wr_fire && wr_addr == REG_CTRL && wr_data[CTRL_RST_BIT];
assign icr_rd = rd_cap && rd_addr_reg == REG_ICR;

/*
 * Statistics, 8254x 13.7: 32-bit counters saturate, read clears. The
 * nicsim transmit path counters (TXDROPC, TXCSKIPC, TXUNDERC at 0x0F00C..
 * 0x0F014, docs/regmap.md) behave the same way.
 *
 * The 64-bit octet counters (GORC/GOTC, 13.7.21-22) are read low word
 * first. Reading the low word returns bits 31:0 of the running count,
 * latches bits 63:32 of that same count into a holding register and
 * restarts the count from zero (an event in the read cycle counts after
 * the restart). Reading the high word returns the holding register and
 * clears it. Octets counted between the two reads stay in the running
 * count for the next low read: none is lost or counted twice.
 */
reg [31:0] stat_reg [0:S_COUNT-1];
reg [63:0] gorc_reg;
reg [63:0] gotc_reg;
reg [31:0] gorch_hold_reg;
reg [31:0] gotch_hold_reg;

wire [S_COUNT-1:0] stat_inc;
assign stat_inc[S_CRCERRS] = stat_rx_crc_err;
assign stat_inc[S_RXERRC] = stat_rx_er;
assign stat_inc[S_MPC] = stat_rx_missed;
assign stat_inc[S_GPRC] = stat_rx_good;
assign stat_inc[S_BPRC] = stat_rx_bcast;
assign stat_inc[S_MPRC] = stat_rx_mcast;
assign stat_inc[S_GPTC] = stat_tx_frame;
assign stat_inc[S_RNBC] = stat_rx_no_desc;
assign stat_inc[S_RUC] = stat_rx_runt;
assign stat_inc[S_ROC] = stat_rx_oversize;
assign stat_inc[S_TPR] = stat_rx_total;
assign stat_inc[S_TPT] = stat_tx_frame;
assign stat_inc[S_TXDROPC] = stat_tx_drop;
assign stat_inc[S_TXCSKIPC] = stat_tx_csum_skip;
assign stat_inc[S_TXUNDERC] = stat_tx_underrun;

// which counter a read address names (S_COUNT when none)
function [3:0] stat_index(input [16:0] addr);
    case (addr)
        REG_CRCERRS: stat_index = S_CRCERRS;
        REG_RXERRC:  stat_index = S_RXERRC;
        REG_MPC:     stat_index = S_MPC;
        REG_GPRC:    stat_index = S_GPRC;
        REG_BPRC:    stat_index = S_BPRC;
        REG_MPRC:    stat_index = S_MPRC;
        REG_GPTC:    stat_index = S_GPTC;
        REG_RNBC:    stat_index = S_RNBC;
        REG_RUC:     stat_index = S_RUC;
        REG_ROC:     stat_index = S_ROC;
        REG_TPR:     stat_index = S_TPR;
        REG_TPT:     stat_index = S_TPT;
        REG_TXDROPC: stat_index = S_TXDROPC;
        REG_TXCSKIPC: stat_index = S_TXCSKIPC;
        REG_TXUNDERC: stat_index = S_TXUNDERC;
        default:     stat_index = S_COUNT;
    endcase
endfunction

// Decoded only in the clock that captures a read (its only users), so a
// simulator skips the address compares the other clocks.
reg [3:0] rd_stat_idx;
always @* begin
    rd_stat_idx = S_COUNT;
    if (rd_cap) begin
        rd_stat_idx = stat_index(rd_addr_reg);
    end
end
integer k_st;

always @(posedge clk) begin
    // (the guard changes nothing; most clocks no counter moves, and a
    // simulator then skips the loop)
    if (rd_cap || stat_inc != {S_COUNT{1'b0}}) begin
        for (k_st = 0; k_st < S_COUNT; k_st = k_st + 1) begin
            if (rd_cap && rd_stat_idx == k_st[3:0]) begin
                stat_reg[k_st] <= {31'd0, stat_inc[k_st]};
            end else if (stat_inc[k_st] && stat_reg[k_st] != 32'hFFFFFFFF) begin
                stat_reg[k_st] <= stat_reg[k_st] + 32'd1;
            end
        end
    end
    if (rd_cap && rd_addr_reg == REG_GORCL) begin
        gorc_reg <= stat_rx_good ? {48'd0, stat_rx_good_bytes} : 64'd0;
        gorch_hold_reg <= gorc_reg[63:32];
    end else begin
        if (stat_rx_good) begin
            gorc_reg <= gorc_reg + {48'd0, stat_rx_good_bytes};
        end
        if (rd_cap && rd_addr_reg == REG_GORCH) begin
            gorch_hold_reg <= 32'd0;
        end
    end
    if (rd_cap && rd_addr_reg == REG_GOTCL) begin
        gotc_reg <= stat_tx_frame ? {48'd0, stat_tx_bytes} : 64'd0;
        gotch_hold_reg <= gotc_reg[63:32];
    end else begin
        if (stat_tx_frame) begin
            gotc_reg <= gotc_reg + {48'd0, stat_tx_bytes};
        end
        if (rd_cap && rd_addr_reg == REG_GOTCH) begin
            gotch_hold_reg <= 32'd0;
        end
    end
    if (core_rst) begin
        for (k_st = 0; k_st < S_COUNT; k_st = k_st + 1) begin
            stat_reg[k_st] <= 32'd0;
        end
        gorc_reg <= 64'd0;
        gotc_reg <= 64'd0;
        gorch_hold_reg <= 32'd0;
        gotch_hold_reg <= 32'd0;
    end
end

/*
 * Read data
 */
reg [31:0] rd_data;

// (only the capture clock uses it: the other clocks a simulator skips the
// address decode)
always @* begin
    rd_data = 32'd0;
    if (rd_cap) begin
        case (rd_addr_reg)
            REG_CTRL:   rd_data = ctrl_reg | ({31'd0, soft_rst_active} << CTRL_RST_BIT);
            REG_STATUS: begin
                rd_data = RST_STATUS;
                rd_data[STATUS_LU_BIT] = link_up;
                rd_data[STATUS_QUIESCENT_BIT] = quiescent;
                rd_data[STATUS_TXSTOP_BIT] = tx_stopped;
                rd_data[STATUS_RXSTOP_BIT] = rx_stopped;
            end
            REG_ICR:    rd_data = icr;
            REG_ITR:    rd_data = itr_reg;
            REG_IMS:    rd_data = ims;
            REG_RCTL:   rd_data = rctl_reg;
            REG_TCTL:   rd_data = tctl_reg;
            REG_TIPG:   rd_data = tipg_reg;
            REG_RDBAL:  rd_data = rdbal_reg;
            REG_RDBAH:  rd_data = rdbah_reg;
            REG_RDLEN:  rd_data = rdlen_reg;
            REG_RDH:    rd_data = {16'd0, rdh};
            REG_RDT:    rd_data = rdt_reg;
            REG_RDTR:   rd_data = rdtr_reg;
            REG_RADV:   rd_data = radv_reg;
            REG_RXCSUM: rd_data = rxcsum_reg;
            REG_TDBAL:  rd_data = tdbal_reg;
            REG_TDBAH:  rd_data = tdbah_reg;
            REG_TDLEN:  rd_data = tdlen_reg;
            REG_TDH:    rd_data = {16'd0, tdh};
            REG_TDT:    rd_data = tdt_reg;
            REG_TIDV:   rd_data = tidv_reg;
            REG_TADV:   rd_data = tadv_reg;
            REG_GORCL:  rd_data = gorc_reg[31:0];
            REG_GORCH:  rd_data = gorch_hold_reg;
            REG_GOTCL:  rd_data = gotc_reg[31:0];
            REG_GOTCH:  rd_data = gotch_hold_reg;
            REG_DMAERR: rd_data = {26'd0, dmaerr_resp_reg, dmaerr_kind_reg, dmaerr_valid_reg};
            REG_DMAERR_ADDRL: rd_data = dmaerr_addr_reg[31:0];
            REG_DMAERR_ADDRH: rd_data = dmaerr_addr_reg[63:32];
            default: begin
                if (rd_stat_idx != S_COUNT) begin
                    rd_data = stat_reg[rd_stat_idx];
                end else if (rd_addr_reg[16:9] == REG_MTA[16:9]) begin
                    rd_data = mta_rd_reg;
                end else if (rd_addr_reg[16:7] == REG_RAL0[16:7]) begin
                    rd_data = rd_addr_reg[2] ? rah_reg[rd_addr_reg[6:3]] : ral_reg[rd_addr_reg[6:3]];
                end
            end
        endcase
    end
end

always @(posedge clk) begin
    if (rd_cap) begin
        s_axil_rdata_reg <= rd_data;
    end
end

// unused: protection bits (every access is treated alike)
wire unused_ok = &{1'b0, s_axil_awprot, s_axil_arprot, aw_addr[1:0], ar_addr[1:0],
                   ar_addr[16:9], ctrl_reg[31:27], ctrl_reg[25:7], ctrl_reg[5:0]};

endmodule

`resetall
