`resetall
`timescale 1ns / 1ps
`default_nettype none

// Descriptor ring prefetcher shared by the TX and RX DMA engines (8254x
// 3.2.6 / 3.3.7: descriptors are fetched in bursts ahead of use).
//
// While enabled and the fetch pointer differs from the tail, reads
// n = min(free slots, MAX_DESC_PER_BURST, descriptors up to the tail,
// descriptors up to the ring end, descriptors up to the next 4 KiB boundary)
// 16-byte descriptors in one INCR burst of 2n 64-bit beats, and queues them
// in ring order. The hardware never reads past the tail (8254x 3.2.6).
//
// An error response on any beat stops the prefetcher (stop_req out; the
// engine latches its stopped state and holds stop_in high): the failing
// descriptor and everything after it are never queued; the remaining beats
// of the burst are accepted and dropped.
//
// set_ptr (software wrote the head register, 8254x 13.4.28 / 13.4.38)
// discards the queue and restarts from set_ptr_data; software does this only
// while the queue is idle.
module dma_desc_fetch #
(
    // descriptor queue depth
    parameter DEPTH = 8,
    // descriptors per burst at most (2 beats each, <= 128)
    parameter MAX_DESC_PER_BURST = 8
)
(
    input  wire         clk,
    input  wire         rst,

    input  wire         enable,
    input  wire         stop_in,
    input  wire [63:0]  ring_base,
    input  wire [16:0]  ring_n,
    input  wire [15:0]  tail,
    input  wire         set_ptr,
    input  wire [15:0]  set_ptr_data,

    /*
     * Read port
     */
    output wire [63:0]  rd_req_addr,
    output wire [7:0]   rd_req_len,
    output wire         rd_req_valid,
    input  wire         rd_req_ready,
    input  wire [63:0]  rd_resp_data,
    input  wire [1:0]   rd_resp_resp,
    input  wire         rd_resp_valid,

    /*
     * Descriptor queue (head, first-word-fall-through)
     */
    output wire [127:0] desc,
    output wire         desc_valid,
    input  wire         desc_pop,

    /*
     * Errors and status
     */
    output wire         stop_req,
    output wire [63:0]  err_addr,
    output wire [1:0]   err_resp,
    output wire         busy
);

initial begin
    if (DEPTH < 1 || MAX_DESC_PER_BURST < 1 || MAX_DESC_PER_BURST > 128) begin
        $error("Error: DEPTH >= 1 and MAX_DESC_PER_BURST 1 .. 128 (instance %m)");
        $finish;
    end
end

localparam AW = $clog2(DEPTH) > 0 ? $clog2(DEPTH) : 1;
localparam [16:0] DEPTH_W = DEPTH;
localparam [16:0] MAX_N = MAX_DESC_PER_BURST;

reg [127:0] mem [0:DEPTH-1];
reg [AW:0] wr_ptr_reg, rd_ptr_reg;
wire [AW:0] count = wr_ptr_reg - rd_ptr_reg;
reg [63:0] lo_reg;

reg [15:0] ptr_reg, ptr_next;
reg busy_reg, busy_next;
reg [63:0] beat_addr_reg, beat_addr_next;
reg hi_reg, hi_next;
reg req_valid_reg, req_valid_next;
reg [63:0] req_addr_reg, req_addr_next;
reg [7:0] req_len_reg, req_len_next;
reg [8:0] inflight_reg, inflight_next;   // descriptors requested, not yet queued
reg stop_req_reg, stop_req_next;
reg err_seen_reg, err_seen_next;        // sticky: an error response was seen
reg [63:0] err_addr_reg, err_addr_next;
reg [1:0] err_resp_reg, err_resp_next;
reg push;

reg [16:0] avail, to_end, free, to_4k, n;
reg [63:0] addr;

always @* begin
    ptr_next = ptr_reg;
    busy_next = busy_reg;
    beat_addr_next = beat_addr_reg;
    hi_next = hi_reg;
    req_valid_next = req_valid_reg && !rd_req_ready;
    req_addr_next = req_addr_reg;
    req_len_next = req_len_reg;
    inflight_next = inflight_reg;
    stop_req_next = 1'b0;
    err_seen_next = err_seen_reg;
    err_addr_next = err_addr_reg;
    err_resp_next = err_resp_reg;
    push = 1'b0;

    // the burst size is worked out only when a burst may start (most
    // clocks it cannot: the fetcher is busy or has nothing to fetch)
    avail = 17'd0;
    to_end = 17'd0;
    free = 17'd0;
    to_4k = 17'd0;
    n = 17'd0;
    addr = 64'd0;
    if (!busy_reg && ptr_reg != tail) begin
        if (enable && !stop_in && !err_seen_reg && ring_n != 0 && {1'b0, tail} < ring_n
                && {1'b0, ptr_reg} < ring_n) begin
            avail = tail >= ptr_reg ? {1'b0, tail} - {1'b0, ptr_reg} : ring_n - {1'b0, ptr_reg} + {1'b0, tail};
            to_end = ring_n - {1'b0, ptr_reg};
            free = DEPTH_W - {{(16-AW){1'b0}}, count} - {8'd0, inflight_reg};
            addr = ring_base + {44'd0, ptr_reg, 4'd0};
            to_4k = (17'h1000 - {5'd0, addr[11:0]}) >> 4;
            n = MAX_N;
            if (avail < n) n = avail;
            if (to_end < n) n = to_end;
            if (free < n) n = free;
            if (to_4k < n) n = to_4k;
        end
    end

    if (n != 0) begin
        busy_next = 1'b1;
        req_valid_next = 1'b1;
        req_addr_next = addr;
        req_len_next = {n[6:0], 1'b0} - 8'd1;
        beat_addr_next = addr;
        hi_next = 1'b0;
        inflight_next = n[8:0];
        ptr_next = ({1'b0, ptr_reg} + n == ring_n) ? 16'd0 : ptr_reg + n[15:0];
    end

    if (rd_resp_valid) begin
        beat_addr_next = beat_addr_reg + 64'd8;
        hi_next = !hi_reg;
        if (rd_resp_resp[1]) begin
            if (!stop_in && !err_seen_reg) begin
                stop_req_next = 1'b1;
                err_addr_next = beat_addr_reg;
                err_resp_next = rd_resp_resp;
            end
            err_seen_next = 1'b1;
        end else if (hi_reg && !stop_in && !err_seen_reg) begin
            push = 1'b1;
        end
        if (hi_reg) begin
            inflight_next = inflight_next - 9'd1;
            if (inflight_reg == 1) begin
                busy_next = 1'b0;
            end
        end
    end

    if (set_ptr) begin
        ptr_next = set_ptr_data;
    end
end

always @(posedge clk) begin
    ptr_reg <= ptr_next;
    busy_reg <= busy_next;
    beat_addr_reg <= beat_addr_next;
    hi_reg <= hi_next;
    req_valid_reg <= req_valid_next;
    req_addr_reg <= req_addr_next;
    req_len_reg <= req_len_next;
    inflight_reg <= inflight_next;
    stop_req_reg <= stop_req_next;
    err_seen_reg <= err_seen_next;
    err_addr_reg <= err_addr_next;
    err_resp_reg <= err_resp_next;

    if (rd_resp_valid && !hi_reg) begin
        lo_reg <= rd_resp_data;
    end
    if (push) begin
        mem[wr_ptr_reg[AW-1:0]] <= {rd_resp_data, lo_reg};
        wr_ptr_reg <= wr_ptr_reg + 1;
    end
    if (desc_pop && count != 0) begin
        rd_ptr_reg <= rd_ptr_reg + 1;
    end
    if (set_ptr) begin
        rd_ptr_reg <= wr_ptr_reg + (push ? 1 : 0);
    end

    if (rst) begin
        ptr_reg <= 16'd0;
        busy_reg <= 1'b0;
        hi_reg <= 1'b0;
        req_valid_reg <= 1'b0;
        inflight_reg <= 9'd0;
        stop_req_reg <= 1'b0;
        err_seen_reg <= 1'b0;
        err_addr_reg <= 64'd0;
        err_resp_reg <= 2'd0;
        wr_ptr_reg <= 0;
        rd_ptr_reg <= 0;
    end
end

assign rd_req_addr = req_addr_reg;
assign rd_req_len = req_len_reg;
assign rd_req_valid = req_valid_reg;
assign desc = mem[rd_ptr_reg[AW-1:0]];
assign desc_valid = count != 0;
assign stop_req = stop_req_reg;
assign err_addr = err_addr_reg;
assign err_resp = err_resp_reg;
assign busy = busy_reg || req_valid_reg;

endmodule

`resetall
