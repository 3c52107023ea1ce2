`resetall
`timescale 1ns / 1ps
`default_nettype none

// Output stage for a FIFO with a synchronous-read RAM: a 2-entry buffer that
// keeps one beat per clock flowing under m_ready back-pressure.
//
// The owner issues a RAM read (issue high) only while can_issue is high; the
// read data must be on s_data in the next clock, when this module takes it.
// can_issue counts the read in flight and the beat leaving this clock, so a
// steady stream issues every clock and never overflows the two entries.
// flush empties the buffer and forgets a read in flight.
module fifo_read_buf #
(
    // Payload width (data and whatever travels with it: keep, last)
    parameter WIDTH = 8
)
(
    input  wire             clk,
    input  wire             rst,

    input  wire             issue,
    output wire             can_issue,
    input  wire [WIDTH-1:0] s_data,

    output wire [WIDTH-1:0] m_data,
    output wire             m_valid,
    input  wire             m_ready,

    input  wire             flush,
    output wire             idle
);

initial begin
    if (WIDTH < 1) begin
        $error("Error: WIDTH must be at least 1 (instance %m)");
        $finish;
    end
end

reg [WIDTH-1:0] ob0_reg, ob0_next;
reg [WIDTH-1:0] ob1_reg, ob1_next;
reg [1:0]       cnt_reg, cnt_next;
reg             inflight_reg;

// Defined handshake output from time 0, before the first reset edge.
initial begin
    cnt_reg = 2'd0;
    inflight_reg = 1'b0;
end

wire pop = (cnt_reg != 2'd0) && m_ready;
wire push = inflight_reg;
wire [2:0] held = {1'b0, cnt_reg} + {2'd0, inflight_reg};

assign can_issue = held < 3'd2 + {2'd0, pop};
assign m_data = ob0_reg;
assign m_valid = cnt_reg != 2'd0;
assign idle = (cnt_reg == 2'd0) && !inflight_reg;

always @* begin
    ob0_next = ob0_reg;
    ob1_next = ob1_reg;
    cnt_next = cnt_reg;
    case ({push, pop})
        2'b01: begin
            ob0_next = ob1_reg;
            cnt_next = cnt_reg - 2'd1;
        end
        2'b10: begin
            if (cnt_reg == 2'd0) begin
                ob0_next = s_data;
            end else begin
                ob1_next = s_data;
            end
            cnt_next = cnt_reg + 2'd1;
        end
        2'b11: begin
            if (cnt_reg == 2'd1) begin
                ob0_next = s_data;
            end else begin
                ob0_next = ob1_reg;
                ob1_next = s_data;
            end
        end
        default: begin
        end
    endcase
end

always @(posedge clk) begin
    ob0_reg <= ob0_next;
    ob1_reg <= ob1_next;
    cnt_reg <= cnt_next;
    inflight_reg <= issue;

    if (rst || flush) begin
        cnt_reg <= 2'd0;
        inflight_reg <= 1'b0;
    end
end

endmodule

`resetall
