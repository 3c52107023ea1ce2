// nicsim NIC top level -- PORT CONTRACT SHELL (to be filled by the RTL work).
// Port names bind unchanged to cocotbext-axi (AxiLiteMaster on s_axil,
// AxiRam on m_axi) and cocotbext-eth (GmiiSource/GmiiSink).

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_top #
(
    // DMA data width in bits (64 default)
    parameter AXI_DATA_WIDTH = 64,
    // DMA address width in bits
    parameter AXI_ADDR_WIDTH = 64,
    // DMA byte-strobe width
    parameter AXI_STRB_WIDTH = AXI_DATA_WIDTH/8,
    // DMA transaction id width
    parameter AXI_ID_WIDTH = 4,
    // register window: 128 KiB
    parameter AXIL_ADDR_WIDTH = 17
)
(
    input  wire                       clk,
    input  wire                       rst,

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
    output wire                       m_axi_rready,

    /*
     * PHY (GMII, one byte per clock)
     */
    output wire [7:0]                 gmii_txd,
    output wire                       gmii_tx_en,
    output wire                       gmii_tx_er,
    input  wire [7:0]                 gmii_rxd,
    input  wire                       gmii_rx_dv,
    input  wire                       gmii_rx_er,

    /*
     * Interrupt, link, status
     */
    output wire                       irq,
    input  wire                       link_up,
    // High when no frame, DMA transfer or timer is in flight: the simulator
    // may skip idle cycles while it is high and no input changes.
    output wire                       quiescent
);

// nicsim NIC top level: register block, interrupts, DMA engines, MAC.
// (step 1: register block and interrupts; DMA and MAC tied off)

`include "nic_defs.vh"

/*
 * Reset: rst, or the CTRL.RST sequence (8254x 13.4.1). The sequence holds
 * the core in reset for at least SOFT_RST_CYCLES cycles and until the DMA
 * arbiter has drained every outstanding AXI transaction.
 */
localparam [3:0] SOFT_RST_CYCLES = 4'd8;

reg soft_rst_active_reg;
reg [3:0] soft_rst_cnt_reg;
wire soft_rst_req;
wire dma_idle = 1'b1;
wire core_rst = rst || soft_rst_active_reg;

always @(posedge clk) begin
    if (soft_rst_req) begin
        soft_rst_active_reg <= 1'b1;
        soft_rst_cnt_reg <= SOFT_RST_CYCLES;
    end else if (soft_rst_active_reg) begin
        if (soft_rst_cnt_reg != 0) begin
            soft_rst_cnt_reg <= soft_rst_cnt_reg - 1;
        end else if (dma_idle) begin
            soft_rst_active_reg <= 1'b0;
        end
    end
    if (rst) begin
        soft_rst_active_reg <= 1'b0;
        soft_rst_cnt_reg <= 4'd0;
    end
end

/*
 * Register block
 */
wire cfg_ctrl_slu;
wire [31:0] cfg_rctl, cfg_tctl;
wire [9:0] cfg_ipgt;
wire [63:0] cfg_rdba, cfg_tdba;
wire [19:0] cfg_rdlen, cfg_tdlen;
wire [15:0] cfg_rdt, cfg_rdtr, cfg_radv, cfg_tdt, cfg_tidv, cfg_tadv, cfg_itr;
wire cfg_rdtr_fpd;
wire [7:0] cfg_pcss;
wire [48*RA_ENTRIES-1:0] cfg_ra_addr;
wire [RA_ENTRIES-1:0] cfg_ra_valid;
wire [11:0] mta_index = 12'd0;
wire mta_req = 1'b0;
wire mta_bit;
wire tdh_wr, rdh_wr;
wire [15:0] head_wr_data;
wire [15:0] tdh = 16'd0;
wire [15:0] rdh = 16'd0;
wire icr_rd, icr_wr, ics_wr, ims_wr, imc_wr;
wire [31:0] int_wr_data, icr, ims;
wire intr_busy;

nic_regs #(
    .AXIL_ADDR_WIDTH(AXIL_ADDR_WIDTH)
)
regs_inst (
    .clk(clk),
    .rst(rst),
    .core_rst(core_rst),
    .s_axil_awaddr(s_axil_awaddr),
    .s_axil_awprot(s_axil_awprot),
    .s_axil_awvalid(s_axil_awvalid),
    .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata),
    .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp),
    .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr),
    .s_axil_arprot(s_axil_arprot),
    .s_axil_arvalid(s_axil_arvalid),
    .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata),
    .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready),
    .cfg_ctrl_slu(cfg_ctrl_slu),
    .cfg_rctl(cfg_rctl),
    .cfg_tctl(cfg_tctl),
    .cfg_ipgt(cfg_ipgt),
    .cfg_rdba(cfg_rdba),
    .cfg_rdlen(cfg_rdlen),
    .cfg_rdt(cfg_rdt),
    .cfg_rdtr(cfg_rdtr),
    .cfg_rdtr_fpd(cfg_rdtr_fpd),
    .cfg_radv(cfg_radv),
    .cfg_pcss(cfg_pcss),
    .cfg_tdba(cfg_tdba),
    .cfg_tdlen(cfg_tdlen),
    .cfg_tdt(cfg_tdt),
    .cfg_tidv(cfg_tidv),
    .cfg_tadv(cfg_tadv),
    .cfg_itr(cfg_itr),
    .cfg_ra_addr(cfg_ra_addr),
    .cfg_ra_valid(cfg_ra_valid),
    .mta_index(mta_index),
    .mta_req(mta_req),
    .mta_bit(mta_bit),
    .tdh_wr(tdh_wr),
    .rdh_wr(rdh_wr),
    .head_wr_data(head_wr_data),
    .tdh(tdh),
    .rdh(rdh),
    .icr_rd(icr_rd),
    .icr_wr(icr_wr),
    .ics_wr(ics_wr),
    .ims_wr(ims_wr),
    .imc_wr(imc_wr),
    .int_wr_data(int_wr_data),
    .icr(icr),
    .ims(ims),
    .soft_rst_req(soft_rst_req),
    .soft_rst_active(soft_rst_active_reg),
    .link_up(link_up),
    .quiescent(quiescent),
    .tx_stopped(1'b0),
    .rx_stopped(1'b0),
    .dmaerr_valid(1'b0),
    .dmaerr_addr(64'd0),
    .dmaerr_rxq(1'b0),
    .dmaerr_write(1'b0),
    .dmaerr_desc(1'b0),
    .dmaerr_resp(2'd0),
    .stat_rx_total(1'b0),
    .stat_rx_good(1'b0),
    .stat_rx_bcast(1'b0),
    .stat_rx_mcast(1'b0),
    .stat_rx_good_bytes(16'd0),
    .stat_rx_crc_err(1'b0),
    .stat_rx_er(1'b0),
    .stat_rx_runt(1'b0),
    .stat_rx_oversize(1'b0),
    .stat_rx_missed(1'b0),
    .stat_rx_no_desc(1'b0),
    .stat_tx_frame(1'b0),
    .stat_tx_bytes(16'd0)
);

/*
 * Interrupts
 */
nic_intr intr_inst (
    .clk(clk),
    .rst(core_rst),
    .icr_rd(icr_rd),
    .icr_wr(icr_wr),
    .ics_wr(ics_wr),
    .ims_wr(ims_wr),
    .imc_wr(imc_wr),
    .wr_data(int_wr_data),
    .icr(icr),
    .ims(ims),
    .cfg_itr(cfg_itr),
    .cfg_rdtr(cfg_rdtr),
    .cfg_rdtr_fpd(cfg_rdtr_fpd),
    .cfg_radv(cfg_radv),
    .cfg_tidv(cfg_tidv),
    .cfg_tadv(cfg_tadv),
    .ev_txdw(1'b0),
    .ev_txdw_ide(1'b0),
    .ev_txqe(1'b0),
    .ev_rx_frame(1'b0),
    .ev_rxdmt0(1'b0),
    .ev_rxo(1'b0),
    .ev_dmaerr(1'b0),
    .link_up(link_up),
    .irq(irq),
    .busy(intr_busy)
);

assign quiescent = !intr_busy && !soft_rst_active_reg;

/*
 * DMA master: tied off in this step
 */
assign m_axi_awid = {AXI_ID_WIDTH{1'b0}};
assign m_axi_awaddr = {AXI_ADDR_WIDTH{1'b0}};
assign m_axi_awlen = 8'd0;
assign m_axi_awsize = 3'd3;
assign m_axi_awburst = 2'b01;
assign m_axi_awlock = 1'b0;
assign m_axi_awcache = 4'b0011;
assign m_axi_awprot = 3'b010;
assign m_axi_awvalid = 1'b0;
assign m_axi_wdata = {AXI_DATA_WIDTH{1'b0}};
assign m_axi_wstrb = {AXI_STRB_WIDTH{1'b0}};
assign m_axi_wlast = 1'b0;
assign m_axi_wvalid = 1'b0;
assign m_axi_bready = 1'b1;
assign m_axi_arid = {AXI_ID_WIDTH{1'b0}};
assign m_axi_araddr = {AXI_ADDR_WIDTH{1'b0}};
assign m_axi_arlen = 8'd0;
assign m_axi_arsize = 3'd3;
assign m_axi_arburst = 2'b01;
assign m_axi_arlock = 1'b0;
assign m_axi_arcache = 4'b0011;
assign m_axi_arprot = 3'b010;
assign m_axi_arvalid = 1'b0;
assign m_axi_rready = 1'b1;

/*
 * MAC: tied off in this step
 */
assign gmii_txd = 8'd0;
assign gmii_tx_en = 1'b0;
assign gmii_tx_er = 1'b0;

wire unused_ok = &{1'b0, m_axi_awready, m_axi_wready, m_axi_bid, m_axi_bresp, m_axi_bvalid,
                   m_axi_arready, m_axi_rid, m_axi_rdata, m_axi_rresp, m_axi_rlast, m_axi_rvalid,
                   gmii_rxd, gmii_rx_dv, gmii_rx_er, cfg_ctrl_slu, cfg_rctl, cfg_tctl, cfg_ipgt,
                   cfg_rdba, cfg_rdlen, cfg_rdt, cfg_tdba, cfg_tdlen, cfg_tdt, cfg_pcss,
                   cfg_ra_addr, cfg_ra_valid, mta_bit, tdh_wr, rdh_wr, head_wr_data};

endmodule

`resetall
