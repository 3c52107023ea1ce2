`resetall
`timescale 1ns / 1ps
`default_nettype none

// Transmit DMA engine (8254x 3.3, legacy descriptors): descriptor prefetch,
// buffer reads, frame stream to tx_fifo, DD write-back, TDH.
//
// Descriptor fetch: while TCTL.EN and the prefetch pointer differs from TDT,
// read up to min(DESC_DEPTH free slots, MAX_BURST_BEATS/2) descriptors in one
// INCR burst, never past TDT, the ring end or a 4 KiB boundary.
//
// Processing, one descriptor at a time in ring order:
//   1. read the buffer in bursts of up to MAX_BURST_BEATS beats (8-byte
//      aligned addresses, never across 4 KiB); each beat is shifted to lane 0
//      and carries 1..8 bytes (keep contiguous from lane 0); a burst is only
//      requested when the data FIFO has room for it, so rready never stalls;
//   2. frames span descriptors until EOP; IFCS, IC, CSS and CSO are taken
//      from the first descriptor of a frame (nicsim: the 8254x takes IC/CSS/
//      CSO per descriptor; ours apply to the whole frame);
//   3. when every beat of the buffer has arrived, the descriptor goes to the
//      write-back stage (a 4-entry queue, so the next descriptor's reads
//      start at once): if RS, it writes back STA.DD by writing byte 12 of
//      the descriptor only (one beat at descriptor + 8, WSTRB = 0x10:
//      length, CSO, CMD, CSS, special stay as software wrote them) and waits
//      for its B response;
//   4. then advances TDH, in ring order (so TDH past a descriptor implies
//      its DD is visible); TXQE when TDH reaches TDT.
// TCTL.EN low: no new fetch and no new frame; a frame in progress completes.
//
// Bus error (RRESP/BRESP SLVERR or DECERR) on any access: the queue stops
// (no further requests, TDH stays on the failing descriptor), outstanding
// beats are accepted and dropped, a partial frame is ended with
// tuser_abort so tx_fifo discards it, and err_* report the first failing
// address. Only CTRL.RST (the rst input) restarts the queue.
module dma_tx #
(
    // longest burst in 64-bit beats (<= 256; descriptors use bursts of
    // 2 beats per descriptor)
    parameter MAX_BURST_BEATS = 16,
    // prefetched descriptors
    parameter DESC_DEPTH = 8,
    // data FIFO depth in beats (>= MAX_BURST_BEATS)
    parameter DATA_DEPTH = 32
)
(
    input  wire        clk,
    input  wire        rst,

    /*
     * Configuration and ring state
     */
    input  wire        cfg_enable,
    input  wire [63:0] cfg_tdba,
    input  wire [19:0] cfg_tdlen,
    input  wire [15:0] cfg_tdt,
    input  wire        tdh_wr,
    input  wire [15:0] tdh_wr_data,
    output wire [15:0] tdh,

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
     * Buffer read port
     */
    output wire [63:0] br_req_addr,
    output wire [7:0]  br_req_len,
    output wire        br_req_valid,
    input  wire        br_req_ready,
    input  wire [63:0] br_resp_data,
    input  wire [1:0]  br_resp_resp,
    input  wire        br_resp_valid,

    /*
     * Write-back port
     */
    output wire [63:0] wb_req_addr,
    output wire [7:0]  wb_req_len,
    output wire        wb_req_valid,
    input  wire        wb_req_ready,
    output wire [63:0] wb_data,
    output wire [7:0]  wb_strb,
    output wire        wb_data_valid,
    input  wire        wb_data_ready,
    input  wire [1:0]  wb_resp_resp,
    input  wire        wb_resp_valid,

    /*
     * Frame stream to tx_fifo
     */
    output wire [63:0] m_axis_tdata,
    output wire [7:0]  m_axis_tkeep,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready,
    output wire        m_axis_tlast,
    output wire        m_axis_tuser_ifcs,
    output wire        m_axis_tuser_ic,
    output wire [7:0]  m_axis_tuser_css,
    output wire [7:0]  m_axis_tuser_cso,
    output wire        m_axis_tuser_abort,

    /*
     * Events and status
     */
    output wire        ev_txdw,
    output wire        ev_txdw_ide,
    output wire        ev_txqe,
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
    if (DATA_DEPTH < MAX_BURST_BEATS || DESC_DEPTH < 1) begin
        $error("Error: DATA_DEPTH must be >= MAX_BURST_BEATS, DESC_DEPTH >= 1 (instance %m)");
        $finish;
    end
end

localparam DATA_AW = $clog2(DATA_DEPTH) > 0 ? $clog2(DATA_DEPTH) : 1;
localparam [15:0] MAX_BURST_W = MAX_BURST_BEATS;
localparam [7:0] DATA_DEPTH_W = DATA_DEPTH;

// descriptor command bits, 8254x 3.3.3.1
localparam CMD_EOP = 0, CMD_IFCS = 1, CMD_IC = 2, CMD_RS = 3, CMD_IDE = 7;

// ring size in descriptors; a ring of zero descriptors is never fetched
wire [16:0] ring_n = {1'b0, cfg_tdlen[19:4]};
wire ring_ok = ring_n != 0 && {1'b0, cfg_tdt} < ring_n;


reg stopped_reg, stopped_next;
reg [15:0] tdh_reg, tdh_next;

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
    .ring_base(cfg_tdba),
    .ring_n(ring_n),
    .tail(cfg_tdt),
    .set_ptr(tdh_wr),
    .set_ptr_data(tdh_wr_data),
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

wire dq_empty = !fq_valid;
// legacy TX descriptor, 8254x 3.3.3: addr @0, length @8, CSO @10, CMD @11, CSS @13
wire [63:0] cur_addr = fq_desc[63:0];
wire [15:0] cur_len = fq_desc[79:64];
wire [7:0] cur_cso = fq_desc[87:80];
wire [7:0] cur_cmd = fq_desc[95:88];
wire [7:0] cur_css = fq_desc[111:104];

/*
 * Buffer reads and frame state
 */
localparam [2:0]
    STATE_IDLE   = 3'd0,
    STATE_READ   = 3'd1,
    STATE_WAIT   = 3'd2,
    STATE_MARK   = 3'd3,
    STATE_STOP   = 3'd7;

reg [2:0] state_reg, state_next;
reg [63:0] rd_addr_reg, rd_addr_next;          // next beat address to request
reg [15:0] rd_beats_reg, rd_beats_next;        // beats still to request
reg [16:0] rx_left_reg, rx_left_next;          // bytes still to receive
reg rx_first_reg, rx_first_next;
reg [8:0] rd_outstanding_reg, rd_outstanding_next;   // beats requested, not arrived
reg br_req_valid_reg, br_req_valid_next;
reg [63:0] br_req_addr_reg, br_req_addr_next;
reg [7:0] br_req_len_reg, br_req_len_next;
reg in_frame_reg, in_frame_next;
reg f_ifcs_reg, f_ifcs_next;
reg f_ic_reg, f_ic_next;
reg [7:0] f_css_reg, f_css_next;
reg [7:0] f_cso_reg, f_cso_next;
reg abort_pending_reg, abort_pending_next;     // a partial frame must be aborted
reg [7:0] reserved_reg, reserved_next;         // data FIFO entries + beats in flight

reg ev_txdw_reg, ev_txdw_next;
reg ev_txdw_ide_reg, ev_txdw_ide_next;
reg ev_txqe_reg, ev_txqe_next;

reg [15:0] b_beats;
reg [15:0] b_to_4k;
reg [15:0] tdh_inc;

/*
 * Completion queue: descriptors whose buffer has been read, in ring order,
 * waiting for their DD write-back (RS) and the TDH advance. The write-back
 * stage always works on the descriptor at TDH.
 */
localparam CQ_DEPTH = 4;
reg [CQ_DEPTH-1:0] cq_rs_reg, cq_ide_reg;
reg [2:0] cq_wr_ptr_reg, cq_rd_ptr_reg;
wire [2:0] cq_count = cq_wr_ptr_reg - cq_rd_ptr_reg;
wire cq_full = cq_count == CQ_DEPTH;
wire cq_empty = cq_count == 0;
wire cq_head_rs = cq_rs_reg[cq_rd_ptr_reg[1:0]];
wire cq_head_ide = cq_ide_reg[cq_rd_ptr_reg[1:0]];
reg cq_push;
reg cq_pop;

localparam [1:0]
    WB_IDLE = 2'd0,
    WB_AW   = 2'd1,
    WB_W    = 2'd2,
    WB_B    = 2'd3;
reg [1:0] wb_state_reg, wb_state_next;
reg wb_stop_reg, wb_stop_next;             // a write-back failed: stage stopped
reg [16:0] rd_beats_req;

/*
 * Data FIFO: {err, last, n[3:0], ifcs, ic, css, cso, data}
 */
localparam DQW = 1 + 1 + 4 + 1 + 1 + 8 + 8 + 64;
reg [DQW-1:0] fifo_mem [0:DATA_DEPTH-1];
reg [DATA_AW:0] fifo_wr_ptr_reg, fifo_rd_ptr_reg;
wire fifo_empty = fifo_wr_ptr_reg == fifo_rd_ptr_reg;
reg fifo_push;
reg [DQW-1:0] fifo_din;
reg fifo_pop;
wire [DQW-1:0] fifo_dout = fifo_mem[fifo_rd_ptr_reg[DATA_AW-1:0]];

// beat bookkeeping for the buffer beat arriving now
reg [3:0] beat_off;
reg [3:0] beat_n;
reg [63:0] beat_data;
// write-back target: the descriptor's second 8 bytes
wire [63:0] wb_addr = cfg_tdba + {44'd0, tdh_reg, 4'd0} + 64'd8;

// Engine activity: high in every clock where the engine's next state or
// its pulses (dq_pop, cq_push/pop, fifo_push, events) can differ from
// holding still. Per state, the conditions its transitions test; in every
// state, the inputs and pending work the engine reacts to, and the
// one-clock pulses that must fall again. In the other clocks the engine
// holds: its next-state logic is skipped (a simulator evaluates none of
// it) and its registers keep their value (a clock enable in hardware).
// Under traffic the engine idles most clocks: it fetches a 1514-byte frame
// in about 200 of the 1538 clocks the frame takes on the wire.
reg eng_wake;
always @* begin
    b_to_4k = (16'h1000 - {4'd0, rd_addr_reg[11:0]}) >> 3;
    b_beats = rd_beats_reg;
    if (b_beats > MAX_BURST_W) b_beats = MAX_BURST_W;
    if (b_beats > b_to_4k) b_beats = b_to_4k;
    case (state_reg)
        STATE_IDLE: eng_wake = stopped_reg || (!dq_empty && (in_frame_reg || cfg_enable));
        STATE_READ: eng_wake = stopped_reg || rd_beats_reg == 0
            || {8'd0, DATA_DEPTH_W} - {8'd0, reserved_reg} >= b_beats;
        STATE_WAIT: eng_wake = rd_outstanding_reg == 0;
        STATE_MARK: eng_wake = 1'b1;
        default: eng_wake = 1'b0;
    endcase
    eng_wake = eng_wake || fetch_stop_req || br_resp_valid || br_req_valid_reg || tdh_wr
        || fifo_pop || abort_pending_reg || wb_state_reg != WB_IDLE || (!cq_empty && !wb_stop_reg)
        || err_valid_reg || ev_txdw_reg || ev_txdw_ide_reg || ev_txqe_reg;
end

always @* begin
    stopped_next = stopped_reg;
    tdh_next = tdh_reg;
    err_valid_next = 1'b0;
    err_addr_next = err_addr_reg;
    err_write_next = err_write_reg;
    err_desc_next = err_desc_reg;
    err_resp_next = err_resp_reg;

    dq_pop = 1'b0;
    rd_beats_req = 17'd0;
    cq_push = 1'b0;
    cq_pop = 1'b0;
    wb_state_next = wb_state_reg;
    wb_stop_next = wb_stop_reg;

    state_next = state_reg;
    rd_addr_next = rd_addr_reg;
    rd_beats_next = rd_beats_reg;
    rx_left_next = rx_left_reg;
    rx_first_next = rx_first_reg;
    rd_outstanding_next = rd_outstanding_reg;
    br_req_valid_next = br_req_valid_reg;
    br_req_addr_next = br_req_addr_reg;
    br_req_len_next = br_req_len_reg;
    in_frame_next = in_frame_reg;
    f_ifcs_next = f_ifcs_reg;
    f_ic_next = f_ic_reg;
    f_css_next = f_css_reg;
    f_cso_next = f_cso_reg;
    abort_pending_next = abort_pending_reg;
    reserved_next = reserved_reg;
    ev_txdw_next = 1'b0;
    ev_txdw_ide_next = 1'b0;
    ev_txqe_next = 1'b0;
    fifo_push = 1'b0;
    fifo_din = {DQW{1'b0}};
    beat_off = 4'd0;
    beat_n = 4'd0;
    beat_data = 64'd0;
    tdh_inc = 16'd0;

    // (see eng_wake)
    if (eng_wake) begin
        // descriptor fetch error: the prefetcher reports it one cycle later
        if (fetch_stop_req && !stopped_reg) begin
            stopped_next = 1'b1;
            err_valid_next = 1'b1;
            err_addr_next = fetch_err_addr;
            err_write_next = 1'b0;
            err_desc_next = 1'b1;
            err_resp_next = fetch_err_resp;
        end

        /*
         * Buffer beats: shift to lane 0, 1..8 bytes each
         */
        beat_off = rx_first_reg ? {1'b0, cur_addr[2:0]} : 4'd0;
        beat_n = 4'd8 - beat_off;
        if ({13'd0, beat_n} > rx_left_reg) begin
            beat_n = rx_left_reg[3:0];
        end
        beat_data = br_resp_data >> {beat_off[2:0], 3'b000};

        if (br_resp_valid) begin
            rd_outstanding_next = rd_outstanding_next - 1;
            if (stopped_reg) begin
                // dropped: release its FIFO reservation
                reserved_next = reserved_next - 1;
            end else if (br_resp_resp[1]) begin
                stopped_next = 1'b1;
                err_valid_next = 1'b1;
                err_addr_next = {rd_addr_reg[63:3] - {52'd0, rd_outstanding_reg}, 3'b000};
                err_write_next = 1'b0;
                err_desc_next = 1'b0;
                err_resp_next = br_resp_resp;
                fifo_push = 1'b1;
                fifo_din = {1'b1, 1'b1, 4'd0, f_ifcs_reg, f_ic_reg, f_css_reg, f_cso_reg, 64'd0};
            end else begin
                fifo_push = 1'b1;
                fifo_din = {1'b0, rx_left_reg == {13'd0, beat_n} && cur_cmd[CMD_EOP], beat_n,
                            f_ifcs_reg, f_ic_reg, f_css_reg, f_cso_reg, beat_data};
                rx_left_next = rx_left_reg - {13'd0, beat_n};
                rx_first_next = 1'b0;
            end
        end

        /*
         * Buffer read requests
         */
        if (br_req_ready) begin
            br_req_valid_next = 1'b0;
        end

        tdh_inc = ({1'b0, tdh_reg} + 17'd1 == ring_n) ? 16'd0 : tdh_reg + 16'd1;

        case (state_reg)
            STATE_IDLE: begin
                if (stopped_reg) begin
                    state_next = STATE_STOP;
                end else if (!dq_empty && (in_frame_reg || cfg_enable)) begin
                    // start the descriptor at the head of the prefetch FIFO
                    rd_addr_next = {cur_addr[63:3], 3'b000};
                    rd_beats_req = ({1'b0, cur_len} + {14'd0, cur_addr[2:0]} + 17'd7) >> 3;
                    rd_beats_next = cur_len == 0 ? 16'd0 : rd_beats_req[15:0];
                    rx_left_next = {1'b0, cur_len};
                    rx_first_next = 1'b1;
                    if (!in_frame_reg) begin
                        f_ifcs_next = cur_cmd[CMD_IFCS];
                        f_ic_next = cur_cmd[CMD_IC];
                        f_css_next = cur_css;
                        f_cso_next = cur_cso;
                    end
                    in_frame_next = 1'b1;
                    state_next = STATE_READ;
                end
            end
            STATE_READ: begin
                if (stopped_reg) begin
                    state_next = STATE_WAIT;
                end else if (rd_beats_reg == 0) begin
                    state_next = STATE_WAIT;
                end else if (!br_req_valid_reg
                        && {8'd0, DATA_DEPTH_W} - {8'd0, reserved_reg} >= b_beats) begin
                    br_req_valid_next = 1'b1;
                    br_req_addr_next = rd_addr_reg;
                    br_req_len_next = b_beats[7:0] - 8'd1;
                    rd_addr_next = rd_addr_reg + {45'd0, b_beats, 3'b000};
                    rd_beats_next = rd_beats_reg - b_beats;
                    rd_outstanding_next = rd_outstanding_next + b_beats[8:0];
                    reserved_next = reserved_next + b_beats[7:0];
                end
            end
            STATE_WAIT: begin
                // every requested beat must have arrived (also after an error)
                if (rd_outstanding_reg == 0 && !br_req_valid_reg) begin
                    if (stopped_reg) begin
                        state_next = STATE_STOP;
                    end else if (cur_len == 0 && cur_cmd[CMD_EOP]) begin
                        state_next = STATE_MARK;
                    end else if (!cq_full) begin
                        // hand the descriptor to the write-back stage, go on
                        state_next = STATE_IDLE;
                        dq_pop = 1'b1;
                        cq_push = 1'b1;
                        in_frame_next = !cur_cmd[CMD_EOP];
                    end
                end
            end
            STATE_MARK: begin
                // EOP on an empty descriptor: an end marker closes the frame
                if (reserved_reg != DATA_DEPTH_W && !fifo_push && !cq_full) begin
                    fifo_push = 1'b1;
                    fifo_din = {1'b0, 1'b1, 4'd0, f_ifcs_reg, f_ic_reg, f_css_reg, f_cso_reg, 64'd0};
                    reserved_next = reserved_next + 1;
                    state_next = STATE_IDLE;
                    dq_pop = 1'b1;
                    cq_push = 1'b1;
                    in_frame_next = 1'b0;
                end
            end
            default: begin
                // STATE_STOP: a partial frame is aborted once, then nothing
                state_next = STATE_STOP;
            end
        endcase

        // write-back stage: DD for RS descriptors, then TDH, in ring order
        case (wb_state_reg)
            WB_IDLE: begin
                if (!cq_empty && !wb_stop_reg) begin
                    if (cq_head_rs) begin
                        wb_state_next = WB_AW;
                    end else begin
                        cq_pop = 1'b1;
                        tdh_next = tdh_inc;
                        ev_txqe_next = tdh_inc == cfg_tdt;
                    end
                end
            end
            WB_AW: begin
                if (wb_req_ready) begin
                    wb_state_next = WB_W;
                end
            end
            WB_W: begin
                if (wb_data_ready) begin
                    wb_state_next = WB_B;
                end
            end
            default: begin
                if (wb_resp_valid) begin
                    wb_state_next = WB_IDLE;
                    if (wb_resp_resp[1]) begin
                        wb_stop_next = 1'b1;
                        if (!stopped_reg) begin
                            stopped_next = 1'b1;
                            err_valid_next = 1'b1;
                            err_addr_next = wb_addr;
                            err_write_next = 1'b1;
                            err_desc_next = 1'b1;
                            err_resp_next = wb_resp_resp;
                        end
                    end else begin
                        cq_pop = 1'b1;
                        tdh_next = tdh_inc;
                        ev_txdw_next = 1'b1;
                        ev_txdw_ide_next = cq_head_ide;
                        ev_txqe_next = tdh_inc == cfg_tdt;
                    end
                end
            end
        endcase

        // a stop inside a frame aborts the partial frame (once)
        if (stopped_next && !stopped_reg && in_frame_reg && !(br_resp_valid && br_resp_resp[1])) begin
            abort_pending_next = 1'b1;
        end
        if (abort_pending_reg && !fifo_push && reserved_reg != DATA_DEPTH_W) begin
            fifo_push = 1'b1;
            fifo_din = {1'b1, 1'b1, 4'd0, f_ifcs_reg, f_ic_reg, f_css_reg, f_cso_reg, 64'd0};
            reserved_next = reserved_next + 1;
            abort_pending_next = 1'b0;
        end

        if (fifo_pop) begin
            reserved_next = reserved_next - 1;
        end

        // software sets the head at initialisation (8254x 13.4.38): the
        // prefetched descriptors are discarded
        if (tdh_wr) begin
            tdh_next = tdh_wr_data;
            dq_pop = 1'b0;
        end
    end
end

/*
 * Output stage: hold the newest beat until it is known whether it ends the
 * frame (an empty EOP descriptor or an abort may follow)
 */
reg hold_valid_reg, hold_valid_next;
reg [DQW-1:0] hold_reg, hold_next;
reg out_valid_reg, out_valid_next;
reg [DQW-1:0] out_reg, out_next;
reg out_last_reg, out_last_next;
reg out_abort_reg, out_abort_next;

wire out_ready = !out_valid_reg || m_axis_tready;
wire e_valid = !fifo_empty;
wire e_err = fifo_dout[DQW-1];
wire e_last = fifo_dout[DQW-2];
wire [3:0] e_n = fifo_dout[DQW-3 -: 4];

always @* begin
    hold_valid_next = hold_valid_reg;
    hold_next = hold_reg;
    out_valid_next = out_valid_reg && !m_axis_tready;
    out_next = out_reg;
    out_last_next = out_last_reg;
    out_abort_next = out_abort_reg;
    fifo_pop = 1'b0;

    if (out_ready && e_valid) begin
        if (hold_valid_reg) begin
            if (e_err || e_n == 0) begin
                // abort or empty EOP: the held beat ends the frame
                out_valid_next = 1'b1;
                out_next = hold_reg;
                out_last_next = 1'b1;
                out_abort_next = e_err;
                hold_valid_next = 1'b0;
                fifo_pop = 1'b1;
            end else begin
                out_valid_next = 1'b1;
                out_next = hold_reg;
                out_last_next = 1'b0;
                out_abort_next = 1'b0;
                if (e_last) begin
                    // the last beat goes out directly next cycle
                    hold_valid_next = 1'b0;
                end else begin
                    hold_next = fifo_dout;
                    fifo_pop = 1'b1;
                end
            end
        end else begin
            fifo_pop = 1'b1;
            if (e_err || e_n == 0) begin
                // nothing of the frame was sent: nothing to end
            end else if (e_last) begin
                out_valid_next = 1'b1;
                out_next = fifo_dout;
                out_last_next = 1'b1;
                out_abort_next = 1'b0;
            end else begin
                hold_valid_next = 1'b1;
                hold_next = fifo_dout;
            end
        end
    end
end

always @(posedge clk) begin
    // the engine's registers load only while it is awake (see eng_wake)
    if (eng_wake) begin
        stopped_reg <= stopped_next;
        tdh_reg <= tdh_next;
        err_valid_reg <= err_valid_next;
        err_addr_reg <= err_addr_next;
        err_write_reg <= err_write_next;
        err_desc_reg <= err_desc_next;
        err_resp_reg <= err_resp_next;
        state_reg <= state_next;
        rd_addr_reg <= rd_addr_next;
        rd_beats_reg <= rd_beats_next;
        rx_left_reg <= rx_left_next;
        rx_first_reg <= rx_first_next;
        rd_outstanding_reg <= rd_outstanding_next;
        br_req_valid_reg <= br_req_valid_next;
        br_req_addr_reg <= br_req_addr_next;
        br_req_len_reg <= br_req_len_next;
        in_frame_reg <= in_frame_next;
        f_ifcs_reg <= f_ifcs_next;
        f_ic_reg <= f_ic_next;
        f_css_reg <= f_css_next;
        f_cso_reg <= f_cso_next;
        abort_pending_reg <= abort_pending_next;
        reserved_reg <= reserved_next;
        ev_txdw_reg <= ev_txdw_next;
        wb_state_reg <= wb_state_next;
        wb_stop_reg <= wb_stop_next;
        if (cq_push) begin
            cq_rs_reg[cq_wr_ptr_reg[1:0]] <= cur_cmd[CMD_RS];
            cq_ide_reg[cq_wr_ptr_reg[1:0]] <= cur_cmd[CMD_IDE];
            cq_wr_ptr_reg <= cq_wr_ptr_reg + 3'd1;
        end
        if (cq_pop) begin
            cq_rd_ptr_reg <= cq_rd_ptr_reg + 3'd1;
        end
        ev_txdw_ide_reg <= ev_txdw_ide_next;
        ev_txqe_reg <= ev_txqe_next;
    end
    hold_valid_reg <= hold_valid_next;
    hold_reg <= hold_next;
    out_valid_reg <= out_valid_next;
    out_reg <= out_next;
    out_last_reg <= out_last_next;
    out_abort_reg <= out_abort_next;

    // data FIFO
    if (fifo_push) begin
        fifo_mem[fifo_wr_ptr_reg[DATA_AW-1:0]] <= fifo_din;
        fifo_wr_ptr_reg <= fifo_wr_ptr_reg + 1;
    end
    if (fifo_pop) begin
        fifo_rd_ptr_reg <= fifo_rd_ptr_reg + 1;
    end

    if (rst) begin
        stopped_reg <= 1'b0;
        tdh_reg <= 16'd0;
        err_valid_reg <= 1'b0;
        err_addr_reg <= 64'd0;
        err_write_reg <= 1'b0;
        err_desc_reg <= 1'b0;
        err_resp_reg <= 2'd0;
        state_reg <= STATE_IDLE;
        rd_beats_reg <= 16'd0;
        rx_left_reg <= 17'd0;
        rx_first_reg <= 1'b0;
        rd_outstanding_reg <= 9'd0;
        br_req_valid_reg <= 1'b0;
        in_frame_reg <= 1'b0;
        abort_pending_reg <= 1'b0;
        reserved_reg <= 8'd0;
        ev_txdw_reg <= 1'b0;
        wb_state_reg <= WB_IDLE;
        wb_stop_reg <= 1'b0;
        cq_wr_ptr_reg <= 3'd0;
        cq_rd_ptr_reg <= 3'd0;
        ev_txdw_ide_reg <= 1'b0;
        ev_txqe_reg <= 1'b0;
        hold_valid_reg <= 1'b0;
        out_valid_reg <= 1'b0;
        out_last_reg <= 1'b0;
        out_abort_reg <= 1'b0;
        fifo_wr_ptr_reg <= 0;
        fifo_rd_ptr_reg <= 0;
    end
end

assign tdh = tdh_reg;

assign br_req_addr = br_req_addr_reg;
assign br_req_len = br_req_len_reg;
assign br_req_valid = br_req_valid_reg;

assign wb_req_addr = wb_addr;
assign wb_req_len = 8'd0;
assign wb_req_valid = wb_state_reg == WB_AW;
// STA is byte 12 of the descriptor: lane 4 of the beat at descriptor + 8
assign wb_data = 64'h0000_0001_0000_0000;
assign wb_strb = 8'h10;
assign wb_data_valid = wb_state_reg == WB_W;

wire [3:0] out_n = out_reg[DQW-3 -: 4];
assign m_axis_tdata = out_reg[63:0];
assign m_axis_tkeep = 8'hFF >> (4'd8 - out_n);
assign m_axis_tvalid = out_valid_reg;
assign m_axis_tlast = out_last_reg;
assign m_axis_tuser_ifcs = out_reg[81];
assign m_axis_tuser_ic = out_reg[80];
assign m_axis_tuser_css = out_reg[79:72];
assign m_axis_tuser_cso = out_reg[71:64];
assign m_axis_tuser_abort = out_abort_reg;

assign ev_txdw = ev_txdw_reg;
assign ev_txdw_ide = ev_txdw_ide_reg;
assign ev_txqe = ev_txqe_reg;
assign err_valid = err_valid_reg;
assign err_addr = err_addr_reg;
assign err_write = err_write_reg;
assign err_desc = err_desc_reg;
assign err_resp = err_resp_reg;
assign stopped = stopped_reg;

// no request, beat or frame in flight and no descriptor work pending
assign idle = !fetch_busy && rd_outstanding_reg == 0
    && !br_req_valid_reg && fifo_empty && !hold_valid_reg && !out_valid_reg
    && !abort_pending_reg && wb_state_reg == WB_IDLE && (cq_empty || wb_stop_reg)
    && (state_reg == STATE_STOP || (state_reg == STATE_IDLE
        && (stopped_reg || !cfg_enable || !ring_ok || tdh_reg == cfg_tdt)));

// unused: TDLEN bits below the 16-byte descriptor, STA/special of fetched
// descriptors
wire unused_ok = &{1'b0, cfg_tdlen[3:0], fq_desc[127:112], fq_desc[103:96], rd_beats_req[16]};

endmodule

`resetall
