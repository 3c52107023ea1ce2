`resetall
`timescale 1ns / 1ps
`default_nettype none

// DMA subsystem: TX and RX descriptor engines sharing one AXI4 master.
//
// AXI IDs (axi_dma_arb): reads 0 = TX descriptors, 1 = TX buffers,
// 2 = RX descriptors; writes 0 = TX write-back, 1 = RX buffers and
// write-back. Bus errors of either queue are merged into one report (the
// first in a cycle wins, TX before RX). drain: see axi_dma_arb.
module nic_dma #
(
    // AXI data width (64 only)
    parameter AXI_DATA_WIDTH = 64,
    // AXI address width
    parameter AXI_ADDR_WIDTH = 64,
    // AXI byte strobe width
    parameter AXI_STRB_WIDTH = AXI_DATA_WIDTH/8,
    // AXI ID width (>= 2)
    parameter AXI_ID_WIDTH = 4,
    // longest burst in beats (even, 2 .. 256)
    parameter MAX_BURST_BEATS = 16,
    // prefetched descriptors per queue
    parameter DESC_DEPTH = 8,
    // TX data FIFO depth in beats
    parameter TX_DATA_DEPTH = 32
)
(
    input  wire                       clk,
    // resets the AXI arbiter (rst only, never CTRL.RST: it drains instead)
    input  wire                       rst,
    // resets the engines (rst or CTRL.RST)
    input  wire                       core_rst,
    input  wire                       drain,
    output wire                       idle,
    output wire                       bus_idle,

    /*
     * Configuration
     */
    input  wire                       cfg_tx_enable,
    input  wire [63:0]                cfg_tdba,
    input  wire [19:0]                cfg_tdlen,
    input  wire [15:0]                cfg_tdt,
    input  wire                       tdh_wr,
    input  wire [15:0]                tdh_wr_data,
    output wire [15:0]                tdh,
    input  wire                       cfg_rx_enable,
    input  wire [63:0]                cfg_rdba,
    input  wire [19:0]                cfg_rdlen,
    input  wire [15:0]                cfg_rdt,
    input  wire [1:0]                 cfg_bsize,
    input  wire                       cfg_bsex,
    input  wire [1:0]                 cfg_rdmts,
    input  wire                       rdh_wr,
    input  wire [15:0]                rdh_wr_data,
    output wire [15:0]                rdh,

    /*
     * TX frame stream (to tx_fifo)
     */
    output wire [63:0]                m_axis_tx_tdata,
    output wire [7:0]                 m_axis_tx_tkeep,
    output wire                       m_axis_tx_tvalid,
    input  wire                       m_axis_tx_tready,
    output wire                       m_axis_tx_tlast,
    output wire                       m_axis_tx_tuser_ifcs,
    output wire                       m_axis_tx_tuser_ic,
    output wire [7:0]                 m_axis_tx_tuser_css,
    output wire [7:0]                 m_axis_tx_tuser_cso,
    output wire                       m_axis_tx_tuser_abort,

    /*
     * RX frame stream (from rx_fifo)
     */
    input  wire [63:0]                s_axis_rx_tdata,
    input  wire                       s_axis_rx_tvalid,
    output wire                       s_axis_rx_tready,
    input  wire [15:0]                s_rx_frame_len,
    input  wire [15:0]                s_rx_frame_csum,
    input  wire [7:0]                 s_rx_frame_status,
    input  wire [7:0]                 s_rx_frame_errors,

    /*
     * Events and status
     */
    output wire                       ev_txdw,
    output wire                       ev_txdw_ide,
    output wire                       ev_txqe,
    output wire                       ev_rx_frame,
    output wire                       ev_rxdmt0,
    output wire                       stat_rx_no_desc,
    output wire                       err_valid,
    output wire [63:0]                err_addr,
    output wire                       err_rxq,
    output wire                       err_write,
    output wire                       err_desc,
    output wire [1:0]                 err_resp,
    output wire                       tx_stopped,
    output wire                       rx_stopped,

    /*
     * DMA master (AXI4)
     */
    output wire [AXI_ID_WIDTH-1:0]    m_axi_awid,
    output wire [AXI_ADDR_WIDTH-1:0]  m_axi_awaddr,
    output wire [7:0]                 m_axi_awlen,
    output wire [2:0]                 m_axi_awsize,
    output wire [1:0]                 m_axi_awburst,
    output wire                       m_axi_awlock,
    output wire [3:0]                 m_axi_awcache,
    output wire [2:0]                 m_axi_awprot,
    output wire                       m_axi_awvalid,
    input  wire                       m_axi_awready,
    output wire [AXI_DATA_WIDTH-1:0]  m_axi_wdata,
    output wire [AXI_STRB_WIDTH-1:0]  m_axi_wstrb,
    output wire                       m_axi_wlast,
    output wire                       m_axi_wvalid,
    input  wire                       m_axi_wready,
    input  wire [AXI_ID_WIDTH-1:0]    m_axi_bid,
    input  wire [1:0]                 m_axi_bresp,
    input  wire                       m_axi_bvalid,
    output wire                       m_axi_bready,
    output wire [AXI_ID_WIDTH-1:0]    m_axi_arid,
    output wire [AXI_ADDR_WIDTH-1:0]  m_axi_araddr,
    output wire [7:0]                 m_axi_arlen,
    output wire [2:0]                 m_axi_arsize,
    output wire [1:0]                 m_axi_arburst,
    output wire                       m_axi_arlock,
    output wire [3:0]                 m_axi_arcache,
    output wire [2:0]                 m_axi_arprot,
    output wire                       m_axi_arvalid,
    input  wire                       m_axi_arready,
    input  wire [AXI_ID_WIDTH-1:0]    m_axi_rid,
    input  wire [AXI_DATA_WIDTH-1:0]  m_axi_rdata,
    input  wire [1:0]                 m_axi_rresp,
    input  wire                       m_axi_rlast,
    input  wire                       m_axi_rvalid,
    output wire                       m_axi_rready
);

initial begin
    if (AXI_DATA_WIDTH != 64 || AXI_ADDR_WIDTH != 64 || AXI_ID_WIDTH < 2) begin
        $error("Error: the DMA engines need 64-bit data and address, ID width >= 2 (instance %m)");
        $finish;
    end
end

wire [3*64-1:0] rd_req_addr;
wire [3*8-1:0] rd_req_len;
wire [2:0] rd_req_valid, rd_req_ready, rd_resp_valid;
wire [63:0] rd_resp_data;
wire [1:0] rd_resp_resp;
wire rd_resp_last;
wire [2*64-1:0] wr_req_addr, wr_data;
wire [2*8-1:0] wr_req_len, wr_strb;
wire [1:0] wr_req_valid, wr_req_ready, wr_data_valid, wr_data_ready, wr_resp_valid;
wire [1:0] wr_resp_resp;
wire arb_idle, tx_idle, rx_idle;

// The arbiter's side of the AXI master port; axi_skid slices sit between it
// and the m_axi_* pins (below), so no pin reaches logic combinationally.
wire [AXI_ID_WIDTH-1:0] arb_awid, arb_arid, arb_bid, arb_rid;
wire [AXI_ADDR_WIDTH-1:0] arb_awaddr, arb_araddr;
wire [7:0] arb_awlen, arb_arlen;
wire [2:0] arb_awsize, arb_arsize, arb_awprot, arb_arprot;
wire [1:0] arb_awburst, arb_arburst, arb_bresp, arb_rresp;
wire arb_awlock, arb_arlock;
wire [3:0] arb_awcache, arb_arcache;
wire arb_awvalid, arb_awready, arb_arvalid, arb_arready;
wire [AXI_DATA_WIDTH-1:0] arb_wdata, arb_rdata;
wire [AXI_STRB_WIDTH-1:0] arb_wstrb;
wire arb_wlast, arb_wvalid, arb_wready;
wire arb_bvalid, arb_bready;
wire arb_rlast, arb_rvalid, arb_rready;

axi_dma_arb #(
    .N_RD(3),
    .N_WR(2),
    .DATA_WIDTH(AXI_DATA_WIDTH),
    .ADDR_WIDTH(AXI_ADDR_WIDTH),
    .STRB_WIDTH(AXI_STRB_WIDTH),
    .ID_WIDTH(AXI_ID_WIDTH)
)
arb_inst (
    .clk(clk),
    .rst(rst),
    .drain(drain),
    .idle(arb_idle),
    .rd_req_addr(rd_req_addr),
    .rd_req_len(rd_req_len),
    .rd_req_valid(rd_req_valid),
    .rd_req_ready(rd_req_ready),
    .rd_resp_data(rd_resp_data),
    .rd_resp_resp(rd_resp_resp),
    .rd_resp_last(rd_resp_last),
    .rd_resp_valid(rd_resp_valid),
    .wr_req_addr(wr_req_addr),
    .wr_req_len(wr_req_len),
    .wr_req_valid(wr_req_valid),
    .wr_req_ready(wr_req_ready),
    .wr_data(wr_data),
    .wr_strb(wr_strb),
    .wr_data_valid(wr_data_valid),
    .wr_data_ready(wr_data_ready),
    .wr_resp_resp(wr_resp_resp),
    .wr_resp_valid(wr_resp_valid),
    .m_axi_awid(arb_awid),
    .m_axi_awaddr(arb_awaddr),
    .m_axi_awlen(arb_awlen),
    .m_axi_awsize(arb_awsize),
    .m_axi_awburst(arb_awburst),
    .m_axi_awlock(arb_awlock),
    .m_axi_awcache(arb_awcache),
    .m_axi_awprot(arb_awprot),
    .m_axi_awvalid(arb_awvalid),
    .m_axi_awready(arb_awready),
    .m_axi_wdata(arb_wdata),
    .m_axi_wstrb(arb_wstrb),
    .m_axi_wlast(arb_wlast),
    .m_axi_wvalid(arb_wvalid),
    .m_axi_wready(arb_wready),
    .m_axi_bid(arb_bid),
    .m_axi_bresp(arb_bresp),
    .m_axi_bvalid(arb_bvalid),
    .m_axi_bready(arb_bready),
    .m_axi_arid(arb_arid),
    .m_axi_araddr(arb_araddr),
    .m_axi_arlen(arb_arlen),
    .m_axi_arsize(arb_arsize),
    .m_axi_arburst(arb_arburst),
    .m_axi_arlock(arb_arlock),
    .m_axi_arcache(arb_arcache),
    .m_axi_arprot(arb_arprot),
    .m_axi_arvalid(arb_arvalid),
    .m_axi_arready(arb_arready),
    .m_axi_rid(arb_rid),
    .m_axi_rdata(arb_rdata),
    .m_axi_rresp(arb_rresp),
    .m_axi_rlast(arb_rlast),
    .m_axi_rvalid(arb_rvalid),
    .m_axi_rready(arb_rready)
);

/*
 * Register slices on all five channels of the AXI master port: one clock of
 * latency each way, full throughput, every m_axi_* output a flip-flop and
 * every m_axi_* input registered before it reaches the arbiter. Held by rst
 * only, like the arbiter: during CTRL.RST the arbiter drains through them.
 * A beat inside a slice is still counted as outstanding by the arbiter (it
 * counts AR/AW when the slice takes them and R/B when the slice hands them
 * on), so bus_idle covers the slices too.
 */
localparam AX_W = AXI_ID_WIDTH + AXI_ADDR_WIDTH + 8 + 3 + 2 + 1 + 4 + 3;

axi_skid #(.WIDTH(AX_W)) ar_slice (
    .clk(clk),
    .rst(rst),
    .s_data({arb_arid, arb_araddr, arb_arlen, arb_arsize, arb_arburst, arb_arlock,
             arb_arcache, arb_arprot}),
    .s_valid(arb_arvalid),
    .s_ready(arb_arready),
    .m_data({m_axi_arid, m_axi_araddr, m_axi_arlen, m_axi_arsize, m_axi_arburst, m_axi_arlock,
             m_axi_arcache, m_axi_arprot}),
    .m_valid(m_axi_arvalid),
    .m_ready(m_axi_arready)
);

axi_skid #(.WIDTH(AX_W)) aw_slice (
    .clk(clk),
    .rst(rst),
    .s_data({arb_awid, arb_awaddr, arb_awlen, arb_awsize, arb_awburst, arb_awlock,
             arb_awcache, arb_awprot}),
    .s_valid(arb_awvalid),
    .s_ready(arb_awready),
    .m_data({m_axi_awid, m_axi_awaddr, m_axi_awlen, m_axi_awsize, m_axi_awburst, m_axi_awlock,
             m_axi_awcache, m_axi_awprot}),
    .m_valid(m_axi_awvalid),
    .m_ready(m_axi_awready)
);

axi_skid #(.WIDTH(AXI_DATA_WIDTH + AXI_STRB_WIDTH + 1)) w_slice (
    .clk(clk),
    .rst(rst),
    .s_data({arb_wdata, arb_wstrb, arb_wlast}),
    .s_valid(arb_wvalid),
    .s_ready(arb_wready),
    .m_data({m_axi_wdata, m_axi_wstrb, m_axi_wlast}),
    .m_valid(m_axi_wvalid),
    .m_ready(m_axi_wready)
);

axi_skid #(.WIDTH(AXI_ID_WIDTH + 2)) b_slice (
    .clk(clk),
    .rst(rst),
    .s_data({m_axi_bid, m_axi_bresp}),
    .s_valid(m_axi_bvalid),
    .s_ready(m_axi_bready),
    .m_data({arb_bid, arb_bresp}),
    .m_valid(arb_bvalid),
    .m_ready(arb_bready)
);

axi_skid #(.WIDTH(AXI_ID_WIDTH + AXI_DATA_WIDTH + 2 + 1)) r_slice (
    .clk(clk),
    .rst(rst),
    .s_data({m_axi_rid, m_axi_rdata, m_axi_rresp, m_axi_rlast}),
    .s_valid(m_axi_rvalid),
    .s_ready(m_axi_rready),
    .m_data({arb_rid, arb_rdata, arb_rresp, arb_rlast}),
    .m_valid(arb_rvalid),
    .m_ready(arb_rready)
);

wire tx_err_valid, rx_err_valid;
wire [63:0] tx_err_addr, rx_err_addr;
wire tx_err_write, rx_err_write, tx_err_desc, rx_err_desc;
wire [1:0] tx_err_resp, rx_err_resp;

dma_tx #(
    .MAX_BURST_BEATS(MAX_BURST_BEATS),
    .DESC_DEPTH(DESC_DEPTH),
    .DATA_DEPTH(TX_DATA_DEPTH)
)
tx_inst (
    .clk(clk),
    .rst(core_rst),
    .cfg_enable(cfg_tx_enable),
    .cfg_tdba(cfg_tdba),
    .cfg_tdlen(cfg_tdlen),
    .cfg_tdt(cfg_tdt),
    .tdh_wr(tdh_wr),
    .tdh_wr_data(tdh_wr_data),
    .tdh(tdh),
    .dr_req_addr(rd_req_addr[0*64 +: 64]),
    .dr_req_len(rd_req_len[0*8 +: 8]),
    .dr_req_valid(rd_req_valid[0]),
    .dr_req_ready(rd_req_ready[0]),
    .dr_resp_data(rd_resp_data),
    .dr_resp_resp(rd_resp_resp),
    .dr_resp_valid(rd_resp_valid[0]),
    .br_req_addr(rd_req_addr[1*64 +: 64]),
    .br_req_len(rd_req_len[1*8 +: 8]),
    .br_req_valid(rd_req_valid[1]),
    .br_req_ready(rd_req_ready[1]),
    .br_resp_data(rd_resp_data),
    .br_resp_resp(rd_resp_resp),
    .br_resp_valid(rd_resp_valid[1]),
    .wb_req_addr(wr_req_addr[0*64 +: 64]),
    .wb_req_len(wr_req_len[0*8 +: 8]),
    .wb_req_valid(wr_req_valid[0]),
    .wb_req_ready(wr_req_ready[0]),
    .wb_data(wr_data[0*64 +: 64]),
    .wb_strb(wr_strb[0*8 +: 8]),
    .wb_data_valid(wr_data_valid[0]),
    .wb_data_ready(wr_data_ready[0]),
    .wb_resp_resp(wr_resp_resp),
    .wb_resp_valid(wr_resp_valid[0]),
    .m_axis_tdata(m_axis_tx_tdata),
    .m_axis_tkeep(m_axis_tx_tkeep),
    .m_axis_tvalid(m_axis_tx_tvalid),
    .m_axis_tready(m_axis_tx_tready),
    .m_axis_tlast(m_axis_tx_tlast),
    .m_axis_tuser_ifcs(m_axis_tx_tuser_ifcs),
    .m_axis_tuser_ic(m_axis_tx_tuser_ic),
    .m_axis_tuser_css(m_axis_tx_tuser_css),
    .m_axis_tuser_cso(m_axis_tx_tuser_cso),
    .m_axis_tuser_abort(m_axis_tx_tuser_abort),
    .ev_txdw(ev_txdw),
    .ev_txdw_ide(ev_txdw_ide),
    .ev_txqe(ev_txqe),
    .err_valid(tx_err_valid),
    .err_addr(tx_err_addr),
    .err_write(tx_err_write),
    .err_desc(tx_err_desc),
    .err_resp(tx_err_resp),
    .stopped(tx_stopped),
    .idle(tx_idle)
);

dma_rx #(
    .MAX_BURST_BEATS(MAX_BURST_BEATS),
    .DESC_DEPTH(DESC_DEPTH)
)
rx_inst (
    .clk(clk),
    .rst(core_rst),
    .cfg_enable(cfg_rx_enable),
    .cfg_rdba(cfg_rdba),
    .cfg_rdlen(cfg_rdlen),
    .cfg_rdt(cfg_rdt),
    .cfg_bsize(cfg_bsize),
    .cfg_bsex(cfg_bsex),
    .cfg_rdmts(cfg_rdmts),
    .rdh_wr(rdh_wr),
    .rdh_wr_data(rdh_wr_data),
    .rdh(rdh),
    .dr_req_addr(rd_req_addr[2*64 +: 64]),
    .dr_req_len(rd_req_len[2*8 +: 8]),
    .dr_req_valid(rd_req_valid[2]),
    .dr_req_ready(rd_req_ready[2]),
    .dr_resp_data(rd_resp_data),
    .dr_resp_resp(rd_resp_resp),
    .dr_resp_valid(rd_resp_valid[2]),
    .wr_req_addr(wr_req_addr[1*64 +: 64]),
    .wr_req_len(wr_req_len[1*8 +: 8]),
    .wr_req_valid(wr_req_valid[1]),
    .wr_req_ready(wr_req_ready[1]),
    .wr_data(wr_data[1*64 +: 64]),
    .wr_strb(wr_strb[1*8 +: 8]),
    .wr_data_valid(wr_data_valid[1]),
    .wr_data_ready(wr_data_ready[1]),
    .wr_resp_resp(wr_resp_resp),
    .wr_resp_valid(wr_resp_valid[1]),
    .s_axis_tdata(s_axis_rx_tdata),
    .s_axis_tvalid(s_axis_rx_tvalid),
    .s_axis_tready(s_axis_rx_tready),
    .s_frame_len(s_rx_frame_len),
    .s_frame_csum(s_rx_frame_csum),
    .s_frame_status(s_rx_frame_status),
    .s_frame_errors(s_rx_frame_errors),
    .ev_rx_frame(ev_rx_frame),
    .ev_rxdmt0(ev_rxdmt0),
    .stat_no_desc(stat_rx_no_desc),
    .err_valid(rx_err_valid),
    .err_addr(rx_err_addr),
    .err_write(rx_err_write),
    .err_desc(rx_err_desc),
    .err_resp(rx_err_resp),
    .stopped(rx_stopped),
    .idle(rx_idle)
);

assign err_valid = tx_err_valid || rx_err_valid;
assign err_addr = tx_err_valid ? tx_err_addr : rx_err_addr;
assign err_rxq = !tx_err_valid;
assign err_write = tx_err_valid ? tx_err_write : rx_err_write;
assign err_desc = tx_err_valid ? tx_err_desc : rx_err_desc;
assign err_resp = tx_err_valid ? tx_err_resp : rx_err_resp;

assign idle = arb_idle && tx_idle && rx_idle;
assign bus_idle = arb_idle;

// the arbiter's last flag is implied by each engine's beat count
wire unused_ok = &{1'b0, rd_resp_last};

endmodule

`resetall
