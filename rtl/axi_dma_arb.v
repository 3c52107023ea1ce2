`resetall
`timescale 1ns / 1ps
`default_nettype none

// AXI4 DMA master shared by the NIC's engines: round-robin arbitration of
// read bursts (AR) and write bursts (AW + W) among request ports, response
// routing by ID, and a drain mode for CTRL.RST.
//
// Each read port i issues bursts with ARID = i; each write port j with
// AWID = j. Responses are routed back by RID/BID; rready and bready are
// always high: an engine requests a read only when it has room for the whole
// burst. A granted write port owns the W channel until its burst's last beat
// (the arbiter generates WLAST from the burst length). AR, AW and W are
// registered outputs: once valid they stay valid and unchanged until ready
// (AMBA AXI A3.2.1), also while draining.
//
// drain (the core is in CTRL.RST): no new grant; a write burst whose AW was
// issued is completed with WSTRB = 0 beats (no memory byte changes);
// responses are accepted and dropped. idle says nothing is outstanding.
module axi_dma_arb #
(
    // number of read request ports
    parameter N_RD = 3,
    // number of write request ports
    parameter N_WR = 2,
    // AXI data width (only 64 is supported by the engines)
    parameter DATA_WIDTH = 64,
    // AXI address width
    parameter ADDR_WIDTH = 64,
    // byte strobe width
    parameter STRB_WIDTH = DATA_WIDTH/8,
    // AXI ID width
    parameter ID_WIDTH = 4
)
(
    input  wire                       clk,
    input  wire                       rst,
    input  wire                       drain,
    output wire                       idle,

    /*
     * Read request ports
     */
    input  wire [N_RD*ADDR_WIDTH-1:0] rd_req_addr,
    input  wire [N_RD*8-1:0]          rd_req_len,
    input  wire [N_RD-1:0]            rd_req_valid,
    output wire [N_RD-1:0]            rd_req_ready,
    output wire [DATA_WIDTH-1:0]      rd_resp_data,
    output wire [1:0]                 rd_resp_resp,
    output wire                       rd_resp_last,
    output wire [N_RD-1:0]            rd_resp_valid,

    /*
     * Write request ports
     */
    input  wire [N_WR*ADDR_WIDTH-1:0] wr_req_addr,
    input  wire [N_WR*8-1:0]          wr_req_len,
    input  wire [N_WR-1:0]            wr_req_valid,
    output wire [N_WR-1:0]            wr_req_ready,
    input  wire [N_WR*DATA_WIDTH-1:0] wr_data,
    input  wire [N_WR*STRB_WIDTH-1:0] wr_strb,
    input  wire [N_WR-1:0]            wr_data_valid,
    output wire [N_WR-1:0]            wr_data_ready,
    output wire [1:0]                 wr_resp_resp,
    output wire [N_WR-1:0]            wr_resp_valid,

    /*
     * AXI4 master
     */
    output wire [ID_WIDTH-1:0]        m_axi_awid,
    output wire [ADDR_WIDTH-1:0]      m_axi_awaddr,
    output wire [7:0]                 m_axi_awlen,
    output wire [2:0]                 m_axi_awsize,
    output wire [1:0]                 m_axi_awburst,
    output wire                       m_axi_awlock,
    output wire [3:0]                 m_axi_awcache,
    output wire [2:0]                 m_axi_awprot,
    output wire                       m_axi_awvalid,
    input  wire                       m_axi_awready,
    output wire [DATA_WIDTH-1:0]      m_axi_wdata,
    output wire [STRB_WIDTH-1:0]      m_axi_wstrb,
    output wire                       m_axi_wlast,
    output wire                       m_axi_wvalid,
    input  wire                       m_axi_wready,
    input  wire [ID_WIDTH-1:0]        m_axi_bid,
    input  wire [1:0]                 m_axi_bresp,
    input  wire                       m_axi_bvalid,
    output wire                       m_axi_bready,
    output wire [ID_WIDTH-1:0]        m_axi_arid,
    output wire [ADDR_WIDTH-1:0]      m_axi_araddr,
    output wire [7:0]                 m_axi_arlen,
    output wire [2:0]                 m_axi_arsize,
    output wire [1:0]                 m_axi_arburst,
    output wire                       m_axi_arlock,
    output wire [3:0]                 m_axi_arcache,
    output wire [2:0]                 m_axi_arprot,
    output wire                       m_axi_arvalid,
    input  wire                       m_axi_arready,
    input  wire [ID_WIDTH-1:0]        m_axi_rid,
    input  wire [DATA_WIDTH-1:0]      m_axi_rdata,
    input  wire [1:0]                 m_axi_rresp,
    input  wire                       m_axi_rlast,
    input  wire                       m_axi_rvalid,
    output wire                       m_axi_rready
);

initial begin
    if (N_RD < 1 || N_WR < 1 || N_RD > 2**ID_WIDTH || N_WR > 2**ID_WIDTH) begin
        $error("Error: port counts must be 1 .. 2**ID_WIDTH (instance %m)");
        $finish;
    end
    if (STRB_WIDTH * 8 != DATA_WIDTH) begin
        $error("Error: STRB_WIDTH must be DATA_WIDTH/8 (instance %m)");
        $finish;
    end
end

// AxSIZE for full-width beats
localparam [2:0] AXI_SIZE = DATA_WIDTH == 8 ? 3'd0 : DATA_WIDTH == 16 ? 3'd1 :
    DATA_WIDTH == 32 ? 3'd2 : DATA_WIDTH == 64 ? 3'd3 : DATA_WIDTH == 128 ? 3'd4 :
    DATA_WIDTH == 256 ? 3'd5 : DATA_WIDTH == 512 ? 3'd6 : 3'd7;

localparam RD_SEL_W = N_RD > 1 ? $clog2(N_RD) : 1;
localparam WR_SEL_W = N_WR > 1 ? $clog2(N_WR) : 1;

/*
 * Read address channel
 */
reg ar_valid_reg, ar_valid_next;
reg [ADDR_WIDTH-1:0] ar_addr_reg, ar_addr_next;
reg [7:0] ar_len_reg, ar_len_next;
reg [ID_WIDTH-1:0] ar_id_reg, ar_id_next;
reg [RD_SEL_W-1:0] rd_last_reg, rd_last_next;
reg [N_RD-1:0] rd_req_ready_int;
reg [8:0] rd_outstanding_reg, rd_outstanding_next;

integer i_rd, i_wr;
reg rd_found;
reg [RD_SEL_W-1:0] rd_pick;
reg [RD_SEL_W:0] rd_idx;

always @* begin
    ar_valid_next = ar_valid_reg;
    ar_addr_next = ar_addr_reg;
    ar_len_next = ar_len_reg;
    ar_id_next = ar_id_reg;
    rd_last_next = rd_last_reg;
    rd_req_ready_int = {N_RD{1'b0}};
    rd_found = 1'b0;
    rd_pick = rd_last_reg;
    rd_outstanding_next = rd_outstanding_reg;

    i_rd = 0;
    rd_idx = {(RD_SEL_W+1){1'b0}};
    // (nothing can change without a request, a beat waiting on AR or a read
    // response: the other clocks a simulator skips the arbitration)
    if (ar_valid_reg || rd_req_valid != {N_RD{1'b0}} || m_axi_rvalid) begin
        if (m_axi_arvalid && m_axi_arready) begin
            ar_valid_next = 1'b0;
        end
        // round robin: the first requester after the last one granted
        for (i_rd = 1; i_rd <= N_RD; i_rd = i_rd + 1) begin
            rd_idx = {1'b0, rd_last_reg} + i_rd[RD_SEL_W:0];
            if (rd_idx >= N_RD) begin
                rd_idx = rd_idx - N_RD;
            end
            if (!rd_found && rd_req_valid[rd_idx[RD_SEL_W-1:0]]) begin
                rd_found = 1'b1;
                rd_pick = rd_idx[RD_SEL_W-1:0];
            end
        end
        if (!ar_valid_next && rd_found && !drain) begin
            ar_valid_next = 1'b1;
            ar_addr_next = rd_req_addr[rd_pick*ADDR_WIDTH +: ADDR_WIDTH];
            ar_len_next = rd_req_len[rd_pick*8 +: 8];
            ar_id_next = {ID_WIDTH{1'b0}};
            ar_id_next[RD_SEL_W-1:0] = rd_pick;
            rd_last_next = rd_pick;
            rd_req_ready_int[rd_pick] = 1'b1;
        end

        rd_outstanding_next = rd_outstanding_reg
            + ((m_axi_arvalid && m_axi_arready) ? 9'd1 : 9'd0)
            - ((m_axi_rvalid && m_axi_rlast) ? 9'd1 : 9'd0);
    end
end

always @(posedge clk) begin
    ar_valid_reg <= ar_valid_next;
    ar_addr_reg <= ar_addr_next;
    ar_len_reg <= ar_len_next;
    ar_id_reg <= ar_id_next;
    rd_last_reg <= rd_last_next;
    rd_outstanding_reg <= rd_outstanding_next;
    if (rst) begin
        ar_valid_reg <= 1'b0;
        rd_last_reg <= {RD_SEL_W{1'b0}};
        rd_outstanding_reg <= 9'd0;
    end
end

assign rd_req_ready = rd_req_ready_int;
assign m_axi_arid = ar_id_reg;
assign m_axi_araddr = ar_addr_reg;
assign m_axi_arlen = ar_len_reg;
assign m_axi_arsize = AXI_SIZE;
assign m_axi_arburst = 2'b01;   // INCR
assign m_axi_arlock = 1'b0;
assign m_axi_arcache = 4'b0011; // normal, non-cacheable, bufferable
assign m_axi_arprot = 3'b010;   // unprivileged, non-secure, data
assign m_axi_arvalid = ar_valid_reg;
assign m_axi_rready = 1'b1;

// read responses: routed by RID, dropped while draining
genvar g;
generate
    for (g = 0; g < N_RD; g = g + 1) begin : rd_route
        assign rd_resp_valid[g] = m_axi_rvalid && !drain && m_axi_rid == g;
    end
endgenerate
assign rd_resp_data = m_axi_rdata;
assign rd_resp_resp = m_axi_rresp;
assign rd_resp_last = m_axi_rlast;

/*
 * Write address and data channels
 */
reg aw_valid_reg, aw_valid_next;
reg [ADDR_WIDTH-1:0] aw_addr_reg, aw_addr_next;
reg [7:0] aw_len_reg, aw_len_next;
reg [ID_WIDTH-1:0] aw_id_reg, aw_id_next;
reg [WR_SEL_W-1:0] wr_last_reg, wr_last_next;
reg [N_WR-1:0] wr_req_ready_int;

// W ownership: beats still to be loaded for the granted burst
reg w_active_reg, w_active_next;
reg [WR_SEL_W-1:0] w_owner_reg, w_owner_next;
reg [8:0] w_left_reg, w_left_next;

reg w_valid_reg, w_valid_next;
reg [DATA_WIDTH-1:0] w_data_reg, w_data_next;
reg [STRB_WIDTH-1:0] w_strb_reg, w_strb_next;
reg w_last_reg, w_last_next;
reg [N_WR-1:0] wr_data_ready_int;

reg [8:0] wr_outstanding_reg, wr_outstanding_next;

reg wr_found;
reg [WR_SEL_W-1:0] wr_pick;
reg [WR_SEL_W:0] wr_idx;
wire w_load_ok = !w_valid_reg || m_axi_wready;

always @* begin
    aw_valid_next = aw_valid_reg;
    aw_addr_next = aw_addr_reg;
    aw_len_next = aw_len_reg;
    aw_id_next = aw_id_reg;
    wr_last_next = wr_last_reg;
    wr_req_ready_int = {N_WR{1'b0}};
    w_active_next = w_active_reg;
    w_owner_next = w_owner_reg;
    w_left_next = w_left_reg;
    w_valid_next = w_valid_reg;
    w_data_next = w_data_reg;
    w_strb_next = w_strb_reg;
    w_last_next = w_last_reg;
    wr_data_ready_int = {N_WR{1'b0}};
    wr_found = 1'b0;
    wr_pick = wr_last_reg;
    wr_outstanding_next = wr_outstanding_reg;

    i_wr = 0;
    wr_idx = {(WR_SEL_W+1){1'b0}};
    // (nothing can change without a request, a burst in progress, a beat
    // waiting on AW or W or a write response: the other clocks a simulator
    // skips the arbitration)
    if (aw_valid_reg || w_valid_reg || w_active_reg || wr_req_valid != {N_WR{1'b0}}
            || m_axi_bvalid) begin
        if (m_axi_awvalid && m_axi_awready) begin
            aw_valid_next = 1'b0;
        end
        if (m_axi_wvalid && m_axi_wready) begin
            w_valid_next = 1'b0;
        end

        // W: load the output register from the owner (or with empty beats
        // while draining) until the burst's last beat is loaded
        if (w_active_reg && w_load_ok) begin
            if (drain) begin
                w_valid_next = 1'b1;
                w_strb_next = {STRB_WIDTH{1'b0}};
                w_last_next = w_left_reg == 1;
                w_left_next = w_left_reg - 1;
                if (w_left_reg == 1) begin
                    w_active_next = 1'b0;
                end
            end else if (wr_data_valid[w_owner_reg]) begin
                wr_data_ready_int[w_owner_reg] = 1'b1;
                w_valid_next = 1'b1;
                w_data_next = wr_data[w_owner_reg*DATA_WIDTH +: DATA_WIDTH];
                w_strb_next = wr_strb[w_owner_reg*STRB_WIDTH +: STRB_WIDTH];
                w_last_next = w_left_reg == 1;
                w_left_next = w_left_reg - 1;
                if (w_left_reg == 1) begin
                    w_active_next = 1'b0;
                end
            end
        end

        // a new write burst once the previous one's AW and W are handed over
        for (i_wr = 1; i_wr <= N_WR; i_wr = i_wr + 1) begin
            wr_idx = {1'b0, wr_last_reg} + i_wr[WR_SEL_W:0];
            if (wr_idx >= N_WR) begin
                wr_idx = wr_idx - N_WR;
            end
            if (!wr_found && wr_req_valid[wr_idx[WR_SEL_W-1:0]]) begin
                wr_found = 1'b1;
                wr_pick = wr_idx[WR_SEL_W-1:0];
            end
        end
        if (!aw_valid_reg && !w_active_reg && wr_found && !drain) begin
            aw_valid_next = 1'b1;
            aw_addr_next = wr_req_addr[wr_pick*ADDR_WIDTH +: ADDR_WIDTH];
            aw_len_next = wr_req_len[wr_pick*8 +: 8];
            aw_id_next = {ID_WIDTH{1'b0}};
            aw_id_next[WR_SEL_W-1:0] = wr_pick;
            wr_last_next = wr_pick;
            wr_req_ready_int[wr_pick] = 1'b1;
            w_active_next = 1'b1;
            w_owner_next = wr_pick;
            w_left_next = {1'b0, wr_req_len[wr_pick*8 +: 8]} + 9'd1;
        end

        wr_outstanding_next = wr_outstanding_reg
            + ((m_axi_awvalid && m_axi_awready) ? 9'd1 : 9'd0)
            - (m_axi_bvalid ? 9'd1 : 9'd0);
    end
end

always @(posedge clk) begin
    aw_valid_reg <= aw_valid_next;
    aw_addr_reg <= aw_addr_next;
    aw_len_reg <= aw_len_next;
    aw_id_reg <= aw_id_next;
    wr_last_reg <= wr_last_next;
    w_active_reg <= w_active_next;
    w_owner_reg <= w_owner_next;
    w_left_reg <= w_left_next;
    w_valid_reg <= w_valid_next;
    w_data_reg <= w_data_next;
    w_strb_reg <= w_strb_next;
    w_last_reg <= w_last_next;
    wr_outstanding_reg <= wr_outstanding_next;
    if (rst) begin
        aw_valid_reg <= 1'b0;
        wr_last_reg <= {WR_SEL_W{1'b0}};
        w_active_reg <= 1'b0;
        w_valid_reg <= 1'b0;
        wr_outstanding_reg <= 9'd0;
    end
end

assign wr_req_ready = wr_req_ready_int;
assign wr_data_ready = wr_data_ready_int;
assign m_axi_awid = aw_id_reg;
assign m_axi_awaddr = aw_addr_reg;
assign m_axi_awlen = aw_len_reg;
assign m_axi_awsize = AXI_SIZE;
assign m_axi_awburst = 2'b01;   // INCR
assign m_axi_awlock = 1'b0;
assign m_axi_awcache = 4'b0011;
assign m_axi_awprot = 3'b010;
assign m_axi_awvalid = aw_valid_reg;
assign m_axi_wdata = w_data_reg;
assign m_axi_wstrb = w_strb_reg;
assign m_axi_wlast = w_last_reg;
assign m_axi_wvalid = w_valid_reg;
assign m_axi_bready = 1'b1;

generate
    for (g = 0; g < N_WR; g = g + 1) begin : wr_route
        assign wr_resp_valid[g] = m_axi_bvalid && !drain && m_axi_bid == g;
    end
endgenerate
assign wr_resp_resp = m_axi_bresp;

assign idle = !ar_valid_reg && rd_outstanding_reg == 0 && !aw_valid_reg && !w_active_reg
    && !w_valid_reg && wr_outstanding_reg == 0;

endmodule

`resetall
