`resetall
`timescale 1ns / 1ps
`default_nettype none

// Register slice (skid buffer) for one valid/ready channel.
//
// Every output is a flip-flop: s_ready comes from the skid register, m_valid
// and m_data from the output register. No combinational path runs from one
// side to the other, so a slice at a module boundary cuts the timing paths
// through it (and, in a Verilated model, keeps the logic behind it out of
// the input-combinational region: it is evaluated once per clock instead of
// on every eval).
//
// Full throughput: a beat can enter and leave in every clock. When m_ready
// drops, the beat accepted in that clock waits in the skid register and
// s_ready falls in the next clock. Latency one clock. Data is forwarded
// unchanged and in order; nothing is dropped or duplicated.
module axi_skid #
(
    // Payload width
    parameter WIDTH = 8
)
(
    input  wire             clk,
    input  wire             rst,

    input  wire [WIDTH-1:0] s_data,
    input  wire             s_valid,
    output wire             s_ready,

    output wire [WIDTH-1:0] m_data,
    output wire             m_valid,
    input  wire             m_ready
);

initial begin
    if (WIDTH < 1) begin
        $error("Error: WIDTH must be at least 1 (instance %m)");
        $finish;
    end
end

reg [WIDTH-1:0] m_data_reg;
reg             m_valid_reg;
reg [WIDTH-1:0] skid_data_reg;
reg             skid_valid_reg;

// Defined handshake outputs from time 0, before the first reset edge.
initial begin
    m_valid_reg = 1'b0;
    skid_valid_reg = 1'b0;
end

assign s_ready = !skid_valid_reg;
assign m_data = m_data_reg;
assign m_valid = m_valid_reg;

always @(posedge clk) begin
    if (!m_valid_reg || m_ready) begin
        // the output register is free at this edge: refill it, from the
        // skid register first (s_ready is low while that one is full)
        if (skid_valid_reg) begin
            m_data_reg <= skid_data_reg;
            m_valid_reg <= 1'b1;
            skid_valid_reg <= 1'b0;
        end else begin
            m_data_reg <= s_data;
            m_valid_reg <= s_valid;
        end
    end else if (s_valid && !skid_valid_reg) begin
        // output stalled: the beat accepted now waits in the skid register
        skid_data_reg <= s_data;
        skid_valid_reg <= 1'b1;
    end
    if (rst) begin
        m_valid_reg <= 1'b0;
        skid_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
