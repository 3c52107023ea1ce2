`resetall
`timescale 1ns / 1ps
`default_nettype none

// Receive DMA engine (8254x 3.2, legacy descriptors): descriptor prefetch,
// buffer writes, descriptor write-back, RDH.
//
// A frame at the head of rx_fifo (store and forward: its length, checksum
// and errors are known at its first beat) is started only when the ring
// holds enough descriptors for all of it: ceil(length / buffer size)
// descriptors between RDH and RDT. Until then it waits in rx_fifo (which
// drops and counts later frames when full); stat_no_desc (RNBC) pulses once
// per waiting frame. A frame therefore goes to memory whole or not at all.
//
// Buffer writes: each buffer gets min(buffer size, bytes left) bytes, in
// INCR bursts of up to MAX_BURST_BEATS beats that never cross 4 KiB; any
// byte alignment of the buffer address is handled (data shifted across
// beats, WSTRB covers exactly the buffer bytes written). Buffer size comes
// from RCTL.BSIZE/BSEX (8254x 13.4.22); frames longer than one buffer span
// descriptors (EOP on the last).
//
// Write-back, only after the B responses of all of the frame's data writes
// (software never sees DD before the data): one beat at descriptor + 8 per
// descriptor used, all eight bytes: length (bytes in this buffer),
// checksum (rx_fifo's packet checksum from RXCSUM.PCSS; EOP descriptor only,
// 0 on the others), status DD | IXSM (| EOP and rx_fifo's status bits, i.e.
// PIF, on the last), errors (rx_fifo's, EOP descriptor only), special 0. IXSM is always set: this NIC does no
// IP/TCP/UDP checksum offload (8254x 3.2.3.1), only the packet checksum.
// Then RDH advances past the frame's descriptors (after those B responses
// too), ev_rx_frame pulses, and ev_rxdmt0 pulses when the free descriptors
// drop to RCTL.RDMTS's fraction of the ring (1/2, 1/4, 1/8).
//
// Bus error on a descriptor read, buffer write or write-back: the queue stops
// (a burst in progress is completed, no write-back, RDH stays), err_* report
// the first failing address (for writes: the address of the failing burst).
// Only CTRL.RST (rst) restarts it.
module dma_rx #
(
    // longest burst in 64-bit beats (2 .. 256, even)
    parameter MAX_BURST_BEATS = 16,
    // prefetched descriptors
    parameter DESC_DEPTH = 8,
    // write bursts awaiting their B response at most
    parameter MAX_WR_OUTSTANDING = 8
)
(
    input  wire        clk,
    input  wire        rst,

    /*
     * Configuration and ring state
     */
    input  wire        cfg_enable,
    input  wire [63:0] cfg_rdba,
    input  wire [19:0] cfg_rdlen,
    input  wire [15:0] cfg_rdt,
    input  wire [1:0]  cfg_bsize,
    input  wire        cfg_bsex,
    input  wire [1:0]  cfg_rdmts,
    input  wire        rdh_wr,
    input  wire [15:0] rdh_wr_data,
    output wire [15:0] rdh,

    /*
     * Descriptor read port
     */
    output wire [63:0] dr_req_addr,
    output wire [7:0]  dr_req_len,
    output wire        dr_req_valid,
    input  wire        dr_req_ready,
    input  wire [63:0] dr_resp_data,
    input  wire [1:0]  dr_resp_resp,
    input  wire        dr_resp_valid,

    /*
     * Write port (buffers and write-back)
     */
    output wire [63:0] wr_req_addr,
    output wire [7:0]  wr_req_len,
    output wire        wr_req_valid,
    input  wire        wr_req_ready,
    output wire [63:0] wr_data,
    output wire [7:0]  wr_strb,
    output wire        wr_data_valid,
    input  wire        wr_data_ready,
    input  wire [1:0]  wr_resp_resp,
    input  wire        wr_resp_valid,

    /*
     * Frames from rx_fifo
     */
    input  wire [63:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire [15:0] s_frame_len,
    input  wire [15:0] s_frame_csum,
    input  wire [7:0]  s_frame_status,
    input  wire [7:0]  s_frame_errors,

    /*
     * Events and status
     */
    output wire        ev_rx_frame,
    output wire        ev_rxdmt0,
    output wire        stat_no_desc,
    output wire        err_valid,
    output wire [63:0] err_addr,
    output wire        err_write,
    output wire        err_desc,
    output wire [1:0]  err_resp,
    output wire        stopped,
    output wire        idle
);

initial begin
    if (MAX_BURST_BEATS < 2 || MAX_BURST_BEATS > 256 || MAX_BURST_BEATS % 2 != 0) begin
        $error("Error: MAX_BURST_BEATS must be even, 2 .. 256 (instance %m)");
        $finish;
    end
    if (MAX_WR_OUTSTANDING < 1 || MAX_WR_OUTSTANDING > 64) begin
        $error("Error: MAX_WR_OUTSTANDING must be 1 .. 64 (instance %m)");
        $finish;
    end
end

localparam OAW = $clog2(MAX_WR_OUTSTANDING) > 0 ? $clog2(MAX_WR_OUTSTANDING) : 1;
localparam [16:0] MAX_BURST_W = MAX_BURST_BEATS;
localparam [7:0] MAX_OUT_W = MAX_WR_OUTSTANDING;

// 8254x 3.2.3.1 / 3.2.3.2: receive descriptor status and error bits
localparam [7:0] STA_DD = 8'h01, STA_EOP = 8'h02, STA_IXSM = 8'h04;

wire [16:0] ring_n = {1'b0, cfg_rdlen[19:4]};
wire ring_ok = ring_n != 0 && {1'b0, cfg_rdt} < ring_n;

// RCTL.BSIZE/BSEX (8254x 13.4.22): buffer size as a power of two
reg [3:0] bsize_log2;
always @* begin
    case ({cfg_bsex, cfg_bsize})
        3'b001: bsize_log2 = 4'd10;  // 1024
        3'b010: bsize_log2 = 4'd9;   // 512
        3'b011: bsize_log2 = 4'd8;   // 256
        3'b101: bsize_log2 = 4'd14;  // 16384
        3'b110: bsize_log2 = 4'd13;  // 8192
        3'b111: bsize_log2 = 4'd12;  // 4096
        default: bsize_log2 = 4'd11; // 2048 (BSEX with BSIZE 00 is reserved)
    endcase
end
wire [16:0] bsize = 17'd1 << bsize_log2;

reg stopped_reg, stopped_next;
reg [15:0] rdh_reg, rdh_next;
reg err_valid_reg, err_valid_next;
reg [63:0] err_addr_reg, err_addr_next;
reg err_write_reg, err_write_next;
reg err_desc_reg, err_desc_next;
reg [1:0] err_resp_reg, err_resp_next;

/*
 * Descriptor prefetch
 */
wire [127:0] fq_desc;
wire fq_valid;
reg dq_pop;
wire fetch_stop_req;
wire [63:0] fetch_err_addr;
wire [1:0] fetch_err_resp;
wire fetch_busy;

dma_desc_fetch #(
    .DEPTH(DESC_DEPTH),
    .MAX_DESC_PER_BURST(MAX_BURST_BEATS/2)
)
fetch_inst (
    .clk(clk),
    .rst(rst),
    .enable(cfg_enable),
    .stop_in(stopped_reg),
    .ring_base(cfg_rdba),
    .ring_n(ring_n),
    .tail(cfg_rdt),
    .set_ptr(rdh_wr),
    .set_ptr_data(rdh_wr_data),
    .rd_req_addr(dr_req_addr),
    .rd_req_len(dr_req_len),
    .rd_req_valid(dr_req_valid),
    .rd_req_ready(dr_req_ready),
    .rd_resp_data(dr_resp_data),
    .rd_resp_resp(dr_resp_resp),
    .rd_resp_valid(dr_resp_valid),
    .desc(fq_desc),
    .desc_valid(fq_valid),
    .desc_pop(dq_pop),
    .stop_req(fetch_stop_req),
    .err_addr(fetch_err_addr),
    .err_resp(fetch_err_resp),
    .busy(fetch_busy)
);

// legacy RX descriptor, 8254x 3.2.3: buffer address @0
wire [63:0] cur_addr = fq_desc[63:0];

/*
 * Frame state
 */
localparam [3:0]
    STATE_IDLE    = 4'd0,
    STATE_DESC    = 4'd1,
    STATE_AW      = 4'd2,
    STATE_W       = 4'd3,
    STATE_WAIT_B  = 4'd4,
    STATE_WB_AW   = 4'd5,
    STATE_WB_W    = 4'd6,
    STATE_WB_WAIT = 4'd7,
    STATE_STOP    = 4'd8;

reg [3:0] state_reg, state_next;
reg [15:0] f_len_reg, f_len_next;
reg [15:0] f_csum_reg, f_csum_next;
reg [7:0] f_err_reg, f_err_next;
reg [7:0] f_sta_reg, f_sta_next;           // status bits from rx_fifo (PIF)
reg [16:0] f_left_reg, f_left_next;        // frame bytes not yet given a buffer
reg [15:0] n_desc_reg, n_desc_next;        // descriptors used by the frame
reg [16:0] last_n_reg, last_n_next;        // bytes in the last buffer
reg nodesc_reg, nodesc_next;               // RNBC already counted for this frame

reg [63:0] w_addr_reg, w_addr_next;        // aligned address of the next burst
reg [2:0] off_reg, off_next;               // buffer address bits 2:0
reg [17:0] w_rem_reg, w_rem_next;          // buffer end minus next beat address
reg w_first_reg, w_first_next;
reg [15:0] sb_left_reg, sb_left_next;      // stream beats left for this buffer
reg [8:0] burst_left_reg, burst_left_next;
reg [63:0] carry_reg, carry_next;
reg [15:0] wb_i_reg, wb_i_next;

reg [7:0] b_out_reg, b_out_next;           // write bursts awaiting B
reg b_err_reg, b_err_next;
reg ev_rx_frame_reg, ev_rx_frame_next;
reg ev_rxdmt0_reg, ev_rxdmt0_next;
reg stat_no_desc_reg, stat_no_desc_next;

// outstanding write burst addresses, for the error report
reg [63:0] aq_mem [0:MAX_WR_OUTSTANDING-1];
reg [OAW:0] aq_wr_reg, aq_rd_reg;

reg [16:0] avail, need, free_after, thresh;
reg [16:0] buf_n;
reg [16:0] beats, to_4k;
reg [15:0] wb_idx;
reg [63:0] wb_addr;
reg [63:0] beat_data;
reg [7:0] beat_strb;
reg need_in;
reg w_can;
reg aw_fire;
reg [63:0] aw_addr;
reg [15:0] rdh_adv;

// byte masks: lanes at or above off, lanes below rem
function [7:0] mask_from(input [2:0] off);
    mask_from = 8'hFF << off;
endfunction
function [7:0] mask_below(input [17:0] rem);
    mask_below = rem >= 18'd8 ? 8'hFF : 8'hFF >> (4'd8 - rem[3:0]);
endfunction

// Engine activity: high in every clock where the engine's next state, its
// pulses (dq_pop, events, the error report) or the write request and data
// it offers can matter. At rest in IDLE with no frame waiting in the FIFO
// (most clocks, also under traffic: a full-size frame is written in about
// 200 of the 1538 clocks it takes on the wire) or stopped, only an input
// it reacts to or a pulse that must fall again wakes it. In the other
// clocks the engine holds: its combinational logic is skipped (a
// simulator evaluates none of it; the request and data outputs, offered
// only in the writing states, read zero) and its registers keep their
// value (a clock enable in hardware).
reg rx_wake;
always @* begin
    case (state_reg)
        STATE_IDLE: rx_wake = stopped_reg || s_axis_tvalid;
        STATE_STOP: rx_wake = 1'b0;
        default: rx_wake = 1'b1;
    endcase
    rx_wake = rx_wake || wr_resp_valid || fetch_stop_req || rdh_wr || err_valid_reg
        || ev_rx_frame_reg || ev_rxdmt0_reg || stat_no_desc_reg;
end

// values that depend on registers and inputs only (never on a ready)
always @* begin
    avail = 17'd0;
    need = 17'd1;
    buf_n = 17'd0;
    beats = 17'd0;
    to_4k = 17'd0;
    wb_idx = 16'd0;
    wb_addr = 64'd0;
    rdh_adv = 16'd0;
    free_after = 17'd0;
    thresh = 17'd0;
    need_in = 1'b0;
    w_can = 1'b0;
    beat_data = 64'd0;
    beat_strb = 8'd0;
    // (see rx_wake)
    if (rx_wake) begin
        // descriptors owned by hardware: RDH up to (not including) RDT
        avail = cfg_rdt >= rdh_reg ? {1'b0, cfg_rdt} - {1'b0, rdh_reg}
                                   : ring_n - {1'b0, rdh_reg} + {1'b0, cfg_rdt};
        need = ({1'b0, s_frame_len} + bsize - 17'd1) >> bsize_log2;
        if (need == 0) need = 17'd1;

        buf_n = f_left_reg < bsize ? f_left_reg : bsize;

        beats = ({1'b0, w_rem_reg[15:0]} + 17'd7) >> 3;
        to_4k = (17'h1000 - {5'd0, w_addr_reg[11:0]}) >> 3;
        if (beats > MAX_BURST_W) beats = MAX_BURST_W;
        if (beats > to_4k) beats = to_4k;

        wb_idx = ({1'b0, rdh_reg} + {1'b0, wb_i_reg} >= ring_n)
            ? rdh_reg + wb_i_reg - ring_n[15:0] : rdh_reg + wb_i_reg;
        wb_addr = cfg_rdba + {44'd0, wb_idx, 4'd0} + 64'd8;

        rdh_adv = ({1'b0, rdh_reg} + {1'b0, n_desc_reg} >= ring_n)
            ? rdh_reg + n_desc_reg - ring_n[15:0] : rdh_reg + n_desc_reg;
        free_after = avail - {1'b0, n_desc_reg};
        thresh = ring_n >> ({1'b0, cfg_rdmts} + 3'd1);

        // buffer beat: stream beat shifted up by the buffer offset, with the
        // previous stream beat's top bytes below it
        need_in = sb_left_reg != 0;
        w_can = !need_in || s_axis_tvalid;
        beat_data = need_in ? s_axis_tdata : 64'd0;
        if (off_reg != 0) begin
            beat_data = (beat_data << {off_reg, 3'b000}) | carry_reg;
        end
        beat_strb = (w_first_reg ? mask_from(off_reg) : 8'hFF) & mask_below(w_rem_reg);
    end
end

always @* begin
    stopped_next = stopped_reg;
    rdh_next = rdh_reg;
    err_valid_next = 1'b0;
    err_addr_next = err_addr_reg;
    err_write_next = err_write_reg;
    err_desc_next = err_desc_reg;
    err_resp_next = err_resp_reg;
    dq_pop = 1'b0;

    state_next = state_reg;
    f_len_next = f_len_reg;
    f_csum_next = f_csum_reg;
    f_err_next = f_err_reg;
    f_sta_next = f_sta_reg;
    f_left_next = f_left_reg;
    n_desc_next = n_desc_reg;
    last_n_next = last_n_reg;
    nodesc_next = nodesc_reg;
    w_addr_next = w_addr_reg;
    off_next = off_reg;
    w_rem_next = w_rem_reg;
    w_first_next = w_first_reg;
    sb_left_next = sb_left_reg;
    burst_left_next = burst_left_reg;
    carry_next = carry_reg;
    wb_i_next = wb_i_reg;
    b_out_next = b_out_reg;
    b_err_next = b_err_reg;
    ev_rx_frame_next = 1'b0;
    ev_rxdmt0_next = 1'b0;
    stat_no_desc_next = 1'b0;
    aw_fire = 1'b0;
    aw_addr = w_addr_reg;

    // (see rx_wake)
    if (rx_wake) begin
        case (state_reg)
            STATE_IDLE: begin
                if (stopped_reg) begin
                    state_next = STATE_STOP;
                end else if (s_axis_tvalid && ring_ok) begin
                    if (avail >= need) begin
                        f_len_next = s_frame_len;
                        f_csum_next = s_frame_csum;
                        f_err_next = s_frame_errors;
                        f_sta_next = s_frame_status & ~(STA_DD | STA_EOP | STA_IXSM);
                        f_left_next = {1'b0, s_frame_len};
                        n_desc_next = 16'd0;
                        nodesc_next = 1'b0;
                        state_next = STATE_DESC;
                    end else if (!nodesc_reg) begin
                        // 8254x 13.7: RNBC, once per frame that waits
                        stat_no_desc_next = 1'b1;
                        nodesc_next = 1'b1;
                    end
                end
            end
            STATE_DESC: begin
                if (stopped_reg) begin
                    state_next = STATE_STOP;
                end else if (fq_valid) begin
                    w_addr_next = {cur_addr[63:3], 3'b000};
                    off_next = cur_addr[2:0];
                    w_rem_next = {1'b0, buf_n} + {15'd0, cur_addr[2:0]};
                    w_first_next = 1'b1;
                    sb_left_next = (buf_n[15:0] + 16'd7) >> 3;
                    carry_next = 64'd0;
                    last_n_next = buf_n;
                    state_next = STATE_AW;
                end
            end
            STATE_AW: begin
                if (stopped_reg) begin
                    state_next = STATE_STOP;
                end else if (b_out_reg < MAX_OUT_W) begin
                    aw_fire = wr_req_ready;
                    if (wr_req_ready) begin
                        burst_left_next = beats[8:0];
                        w_addr_next = w_addr_reg + {44'd0, beats, 3'b000};
                        state_next = STATE_W;
                    end
                end
            end
            STATE_W: begin
                if (wr_data_ready) begin
                    carry_next = s_axis_tdata >> {~off_reg + 3'd1, 3'b000};
                    w_rem_next = w_rem_reg > 18'd8 ? w_rem_reg - 18'd8 : 18'd0;
                    w_first_next = 1'b0;
                    if (need_in) begin
                        sb_left_next = sb_left_reg - 16'd1;
                    end
                    burst_left_next = burst_left_reg - 9'd1;
                    if (burst_left_reg == 1) begin
                        if (w_rem_reg > 18'd8) begin
                            state_next = STATE_AW;
                        end else begin
                            // buffer complete
                            dq_pop = 1'b1;
                            n_desc_next = n_desc_reg + 16'd1;
                            f_left_next = f_left_reg - last_n_reg;
                            state_next = f_left_reg == last_n_reg ? STATE_WAIT_B : STATE_DESC;
                        end
                    end
                end
            end
            STATE_WAIT_B: begin
                if (b_out_reg == 0) begin
                    if (b_err_reg || stopped_reg) begin
                        state_next = STATE_STOP;
                    end else begin
                        wb_i_next = 16'd0;
                        state_next = STATE_WB_AW;
                    end
                end
            end
            STATE_WB_AW: begin
                if (b_out_reg < MAX_OUT_W) begin
                    aw_fire = wr_req_ready;
                    aw_addr = wb_addr;
                    if (wr_req_ready) begin
                        state_next = STATE_WB_W;
                    end
                end
            end
            STATE_WB_W: begin
                if (wr_data_ready) begin
                    wb_i_next = wb_i_reg + 16'd1;
                    state_next = wb_i_reg + 16'd1 == n_desc_reg ? STATE_WB_WAIT : STATE_WB_AW;
                end
            end
            STATE_WB_WAIT: begin
                if (b_out_reg == 0) begin
                    if (b_err_reg || stopped_reg) begin
                        state_next = STATE_STOP;
                    end else begin
                        rdh_next = rdh_adv;
                        ev_rx_frame_next = 1'b1;
                        // 8254x 13.4.22 RDMTS: free descriptors reach the threshold
                        ev_rxdmt0_next = avail > thresh && free_after <= thresh;
                        state_next = STATE_IDLE;
                    end
                end
            end
            default: begin
                state_next = STATE_STOP;
            end
        endcase

        // B responses
        if (aw_fire) begin
            b_out_next = b_out_next + 8'd1;
        end
        if (wr_resp_valid) begin
            b_out_next = b_out_next - 8'd1;
            if (wr_resp_resp[1]) begin
                b_err_next = 1'b1;
                if (!stopped_reg) begin
                    stopped_next = 1'b1;
                    err_valid_next = 1'b1;
                    err_addr_next = aq_mem[aq_rd_reg[OAW-1:0]];
                    err_write_next = 1'b1;
                    err_desc_next = state_reg == STATE_WB_W || state_reg == STATE_WB_AW
                        || state_reg == STATE_WB_WAIT;
                    err_resp_next = wr_resp_resp;
                end
            end
        end

        if (fetch_stop_req && !stopped_reg && !stopped_next) begin
            stopped_next = 1'b1;
            err_valid_next = 1'b1;
            err_addr_next = fetch_err_addr;
            err_write_next = 1'b0;
            err_desc_next = 1'b1;
            err_resp_next = fetch_err_resp;
        end

        // software sets the head at initialisation (8254x 13.4.28)
        if (rdh_wr) begin
            rdh_next = rdh_wr_data;
        end
    end
end

always @(posedge clk) begin
    // the engine's registers load only while it is awake (see rx_wake)
    if (rx_wake) begin
        stopped_reg <= stopped_next;
        rdh_reg <= rdh_next;
        err_valid_reg <= err_valid_next;
        err_addr_reg <= err_addr_next;
        err_write_reg <= err_write_next;
        err_desc_reg <= err_desc_next;
        err_resp_reg <= err_resp_next;
        state_reg <= state_next;
        f_len_reg <= f_len_next;
        f_csum_reg <= f_csum_next;
        f_err_reg <= f_err_next;
        f_sta_reg <= f_sta_next;
        f_left_reg <= f_left_next;
        n_desc_reg <= n_desc_next;
        last_n_reg <= last_n_next;
        nodesc_reg <= nodesc_next;
        w_addr_reg <= w_addr_next;
        off_reg <= off_next;
        w_rem_reg <= w_rem_next;
        w_first_reg <= w_first_next;
        sb_left_reg <= sb_left_next;
        burst_left_reg <= burst_left_next;
        carry_reg <= carry_next;
        wb_i_reg <= wb_i_next;
        b_out_reg <= b_out_next;
        b_err_reg <= b_err_next;
        ev_rx_frame_reg <= ev_rx_frame_next;
        ev_rxdmt0_reg <= ev_rxdmt0_next;
        stat_no_desc_reg <= stat_no_desc_next;
    end

    if (aw_fire) begin
        aq_mem[aq_wr_reg[OAW-1:0]] <= aw_addr;
        aq_wr_reg <= aq_wr_reg + 1;
    end
    if (wr_resp_valid) begin
        aq_rd_reg <= aq_rd_reg + 1;
    end

    if (rst) begin
        stopped_reg <= 1'b0;
        rdh_reg <= 16'd0;
        err_valid_reg <= 1'b0;
        err_addr_reg <= 64'd0;
        err_write_reg <= 1'b0;
        err_desc_reg <= 1'b0;
        err_resp_reg <= 2'd0;
        state_reg <= STATE_IDLE;
        nodesc_reg <= 1'b0;
        b_out_reg <= 8'd0;
        b_err_reg <= 1'b0;
        ev_rx_frame_reg <= 1'b0;
        ev_rxdmt0_reg <= 1'b0;
        stat_no_desc_reg <= 1'b0;
        aq_wr_reg <= 0;
        aq_rd_reg <= 0;
    end
end

wire wb_last = wb_i_reg + 16'd1 == n_desc_reg;
wire [15:0] wb_len = wb_last ? last_n_reg[15:0] : bsize[15:0];
wire [15:0] wb_csum = wb_last ? f_csum_reg : 16'd0;
wire [7:0] wb_status = STA_DD | STA_IXSM | (wb_last ? (STA_EOP | f_sta_reg) : 8'd0);
wire [7:0] wb_errors = wb_last ? f_err_reg : 8'd0;

assign rdh = rdh_reg;

assign wr_req_addr = state_reg == STATE_WB_AW ? wb_addr : w_addr_reg;
assign wr_req_len = state_reg == STATE_WB_AW ? 8'd0 : beats[7:0] - 8'd1;
assign wr_req_valid = (state_reg == STATE_AW || state_reg == STATE_WB_AW)
    && !stopped_reg && b_out_reg < MAX_OUT_W;
assign wr_data = state_reg == STATE_WB_W ? {16'd0, wb_errors, wb_status, wb_csum, wb_len}
                                         : beat_data;
assign wr_strb = state_reg == STATE_WB_W ? 8'hFF : beat_strb;
assign wr_data_valid = state_reg == STATE_WB_W || (state_reg == STATE_W && w_can);
assign s_axis_tready = state_reg == STATE_W && need_in && wr_data_ready;

assign ev_rx_frame = ev_rx_frame_reg;
assign ev_rxdmt0 = ev_rxdmt0_reg;
assign stat_no_desc = stat_no_desc_reg;
assign err_valid = err_valid_reg;
assign err_addr = err_addr_reg;
assign err_write = err_write_reg;
assign err_desc = err_desc_reg;
assign err_resp = err_resp_reg;
assign stopped = stopped_reg;
assign idle = (state_reg == STATE_IDLE || state_reg == STATE_STOP) && !fetch_busy
    && b_out_reg == 0;

// unused: RDLEN bits below one descriptor, the descriptor's second word
// (length/status are written, never read)
wire unused_ok = &{1'b0, cfg_rdlen[3:0], fq_desc[127:64], f_len_reg};

endmodule

`resetall
