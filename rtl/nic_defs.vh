// nicsim NIC register map: offsets, fields, interrupt causes, reset values.
//
// Included inside a module body (the constants are localparams). The Rust
// driver's register definitions are checked against this file by a test that
// parses it, so every line follows one of these forms:
//   localparam [16:0] REG_<NAME>            = 17'h<offset>;  byte offset
//   localparam integer <REG>_<FIELD>_BIT    = <n>;           one-bit field
//   localparam integer <REG>_<FIELD>_LSB    = <n>;           multi-bit field
//   localparam integer <REG>_<FIELD>_WIDTH  = <n>;
//   localparam [31:0] ICR_<CAUSE>           = 32'h<mask>;    interrupt cause
//   localparam [31:0] RST_<REG>             = 32'h<value>;   reset value
//   localparam integer <NAME>               = <n>;           sizes and strides
// Offsets and fields follow the Intel 8254x manual (section 13) for the
// subset in ../shared/spec/NIC.md; our additions are marked "nicsim" and are
// described in docs/regmap.md.

// each includer uses a subset of these constants
/* verilator lint_off UNUSEDPARAM */

/*
 * Sizes and strides
 */
// number of receive address (RAL/RAH) entries, 8254x 13.4.53
localparam integer RA_ENTRIES = 16;
// byte stride between RAL/RAH pairs
localparam integer RA_STRIDE = 8;
// multicast table array: 128 x 32 bits, 8254x 13.4.52
localparam integer MTA_WORDS = 128;
// descriptor size in bytes (legacy TX and RX), 8254x 3.2.3 / 3.3.3
localparam integer DESC_BYTES = 16;

/*
 * General registers, 8254x 13.4.1 .. 13.4.2
 */
localparam [16:0] REG_CTRL     = 17'h00000;
localparam [16:0] REG_STATUS   = 17'h00008;

// CTRL (8254x 13.4.1)
localparam integer CTRL_FD_BIT   = 0;   // full duplex (stored; always full duplex)
localparam integer CTRL_SLU_BIT  = 6;   // set link up (stored)
localparam integer CTRL_RST_BIT  = 26;  // device reset, self-clearing

// STATUS (8254x 13.4.2)
localparam integer STATUS_FD_BIT        = 0;   // full duplex, constant 1
localparam integer STATUS_LU_BIT        = 1;   // link up (link_up input)
localparam integer STATUS_SPEED_LSB     = 6;   // 2'b10 = 1000 Mb/s, constant
localparam integer STATUS_SPEED_WIDTH   = 2;
localparam integer STATUS_QUIESCENT_BIT = 16;  // nicsim: mirror of the quiescent output
localparam integer STATUS_TXSTOP_BIT    = 17;  // nicsim: TX queue stopped by a bus error
localparam integer STATUS_RXSTOP_BIT    = 18;  // nicsim: RX queue stopped by a bus error

/*
 * Interrupt registers, 8254x 13.4.17 .. 13.4.21
 */
localparam [16:0] REG_ICR      = 17'h000C0;
localparam [16:0] REG_ITR      = 17'h000C4;
localparam [16:0] REG_ICS      = 17'h000C8;
localparam [16:0] REG_IMS      = 17'h000D0;
localparam [16:0] REG_IMC      = 17'h000D8;

// ITR (8254x 13.4.18): minimum inter-interrupt interval, 256 ns units
localparam integer ITR_INTERVAL_LSB   = 0;
localparam integer ITR_INTERVAL_WIDTH = 16;

// interrupt causes (ICR/ICS/IMS/IMC share the layout), 8254x 13.4.17
localparam [31:0] ICR_TXDW   = 32'h00000001;  // TX descriptor written back
localparam [31:0] ICR_TXQE   = 32'h00000002;  // TX queue empty
localparam [31:0] ICR_LSC    = 32'h00000004;  // link status change
localparam [31:0] ICR_RXDMT0 = 32'h00000010;  // RX descriptors below minimum threshold
localparam [31:0] ICR_RXO    = 32'h00000040;  // receiver overrun (frame dropped)
localparam [31:0] ICR_RXT0   = 32'h00000080;  // receiver timer interrupt
localparam [31:0] ICR_DMAERR = 32'h10000000;  // nicsim: DMA bus error (bit 28, reserved in 8254x)
// every cause this NIC can raise
localparam [31:0] ICR_ALL    = 32'h100000D7;

/*
 * Receive registers, 8254x 13.4.22 .. 13.4.35
 */
localparam [16:0] REG_RCTL     = 17'h00100;
localparam [16:0] REG_RDBAL    = 17'h02800;
localparam [16:0] REG_RDBAH    = 17'h02804;
localparam [16:0] REG_RDLEN    = 17'h02808;
localparam [16:0] REG_RDH      = 17'h02810;
localparam [16:0] REG_RDT      = 17'h02818;
localparam [16:0] REG_RDTR     = 17'h02820;
localparam [16:0] REG_RADV     = 17'h0282C;
localparam [16:0] REG_RXCSUM   = 17'h05000;

// RCTL (8254x 13.4.22)
localparam integer RCTL_EN_BIT       = 1;
localparam integer RCTL_SBP_BIT      = 2;
localparam integer RCTL_UPE_BIT      = 3;
localparam integer RCTL_MPE_BIT      = 4;
localparam integer RCTL_LPE_BIT      = 5;
localparam integer RCTL_RDMTS_LSB    = 8;   // 0: 1/2, 1: 1/4, 2: 1/8 of the ring
localparam integer RCTL_RDMTS_WIDTH  = 2;
localparam integer RCTL_MO_LSB       = 12;
localparam integer RCTL_MO_WIDTH     = 2;
localparam integer RCTL_BAM_BIT      = 15;
localparam integer RCTL_BSIZE_LSB    = 16;  // 0: 2048, 1: 1024, 2: 512, 3: 256 (x16 with BSEX)
localparam integer RCTL_BSIZE_WIDTH  = 2;
localparam integer RCTL_BSEX_BIT     = 25;
localparam integer RCTL_SECRC_BIT    = 26;

// RDBAL/TDBAL: bits 3:0 ignored (16-byte aligned rings)
localparam integer RDBAL_ADDR_LSB    = 4;
localparam integer RDBAL_ADDR_WIDTH  = 28;
// RDLEN/TDLEN: bits 6:0 ignored (multiple of 128 bytes)
localparam integer RDLEN_LEN_LSB     = 7;
localparam integer RDLEN_LEN_WIDTH   = 13;
localparam integer RDH_HEAD_LSB      = 0;
localparam integer RDH_HEAD_WIDTH    = 16;
localparam integer RDT_TAIL_LSB      = 0;
localparam integer RDT_TAIL_WIDTH    = 16;
// RDTR (8254x 13.4.30): packet timer, 1.024 us units; FPD flushes it
localparam integer RDTR_DELAY_LSB    = 0;
localparam integer RDTR_DELAY_WIDTH  = 16;
localparam integer RDTR_FPD_BIT      = 31;
// RADV (8254x 13.4.31): absolute timer, 1.024 us units
localparam integer RADV_DELAY_LSB    = 0;
localparam integer RADV_DELAY_WIDTH  = 16;
// RXCSUM (8254x 13.4.33): packet checksum start offset
localparam integer RXCSUM_PCSS_LSB   = 0;
localparam integer RXCSUM_PCSS_WIDTH = 8;

/*
 * Transmit registers, 8254x 13.4.33 .. 13.4.45
 */
localparam [16:0] REG_TCTL     = 17'h00400;
localparam [16:0] REG_TIPG     = 17'h00410;
localparam [16:0] REG_TDBAL    = 17'h03800;
localparam [16:0] REG_TDBAH    = 17'h03804;
localparam [16:0] REG_TDLEN    = 17'h03808;
localparam [16:0] REG_TDH      = 17'h03810;
localparam [16:0] REG_TDT      = 17'h03818;
localparam [16:0] REG_TIDV     = 17'h03820;
localparam [16:0] REG_TADV     = 17'h0382C;

// TCTL (8254x 13.4.33)
localparam integer TCTL_EN_BIT       = 1;
localparam integer TCTL_PSP_BIT      = 3;
localparam integer TCTL_CT_LSB       = 4;   // stored only (half duplex)
localparam integer TCTL_CT_WIDTH     = 8;
localparam integer TCTL_COLD_LSB     = 12;  // stored only (half duplex)
localparam integer TCTL_COLD_WIDTH   = 10;
// TIPG (8254x 13.4.34): IPGT in byte times (the MAC never goes below 12)
localparam integer TIPG_IPGT_LSB     = 0;
localparam integer TIPG_IPGT_WIDTH   = 10;
localparam integer TIPG_IPGR1_LSB    = 10;  // stored only
localparam integer TIPG_IPGR1_WIDTH  = 10;
localparam integer TIPG_IPGR2_LSB    = 20;  // stored only
localparam integer TIPG_IPGR2_WIDTH  = 10;
localparam integer TDBAL_ADDR_LSB    = 4;
localparam integer TDBAL_ADDR_WIDTH  = 28;
localparam integer TDLEN_LEN_LSB     = 7;
localparam integer TDLEN_LEN_WIDTH   = 13;
localparam integer TDH_HEAD_LSB      = 0;
localparam integer TDH_HEAD_WIDTH    = 16;
localparam integer TDT_TAIL_LSB      = 0;
localparam integer TDT_TAIL_WIDTH    = 16;
// TIDV (8254x 13.4.39) / TADV (13.4.44): 1.024 us units
localparam integer TIDV_DELAY_LSB    = 0;
localparam integer TIDV_DELAY_WIDTH  = 16;
localparam integer TADV_DELAY_LSB    = 0;
localparam integer TADV_DELAY_WIDTH  = 16;

/*
 * Filter registers, 8254x 13.4.52 .. 13.4.54
 */
localparam [16:0] REG_MTA      = 17'h05200;  // 128 words, to 0x053FC
localparam [16:0] REG_RAL0     = 17'h05400;  // RAL n at REG_RAL0 + 8 n
localparam [16:0] REG_RAH0     = 17'h05404;  // RAH n at REG_RAH0 + 8 n
localparam integer RAH_ADDR_LSB   = 0;       // address bytes 5..4
localparam integer RAH_ADDR_WIDTH = 16;
localparam integer RAH_AS_LSB     = 16;      // address select (stored; destination only)
localparam integer RAH_AS_WIDTH   = 2;
localparam integer RAH_AV_BIT     = 31;      // address valid

/*
 * Statistics, 8254x 13.7: read clears; 32-bit counters saturate at
 * 0xFFFFFFFF; a read of the low word of a 64-bit octet counter latches its
 * high word and restarts the count, a read of the high word returns and
 * clears the latch (docs/regmap.md).
 */
localparam [16:0] REG_CRCERRS  = 17'h04000;
localparam [16:0] REG_RXERRC   = 17'h0400C;
localparam [16:0] REG_MPC      = 17'h04010;
localparam [16:0] REG_GPRC     = 17'h04074;
localparam [16:0] REG_BPRC     = 17'h04078;
localparam [16:0] REG_MPRC     = 17'h0407C;
localparam [16:0] REG_GPTC     = 17'h04080;
localparam [16:0] REG_GORCL    = 17'h04088;
localparam [16:0] REG_GORCH    = 17'h0408C;
localparam [16:0] REG_GOTCL    = 17'h04090;
localparam [16:0] REG_GOTCH    = 17'h04094;
localparam [16:0] REG_RNBC     = 17'h040A0;
localparam [16:0] REG_RUC      = 17'h040A4;
localparam [16:0] REG_ROC      = 17'h040AC;
localparam [16:0] REG_TPR      = 17'h040D0;
localparam [16:0] REG_TPT      = 17'h040D4;

/*
 * nicsim: DMA bus error report (reserved area of the 8254x map)
 */
localparam [16:0] REG_DMAERR       = 17'h0F000;  // first error since reset
localparam [16:0] REG_DMAERR_ADDRL = 17'h0F004;  // failing address, bits 31:0
localparam [16:0] REG_DMAERR_ADDRH = 17'h0F008;  // failing address, bits 63:32
localparam integer DMAERR_VALID_BIT  = 0;   // an error was recorded
localparam integer DMAERR_RXQ_BIT    = 1;   // 0: TX queue, 1: RX queue
localparam integer DMAERR_WRITE_BIT  = 2;   // 0: read, 1: write
localparam integer DMAERR_DESC_BIT   = 3;   // 0: buffer access, 1: descriptor access
localparam integer DMAERR_RESP_LSB   = 4;   // AXI response (2: SLVERR, 3: DECERR)
localparam integer DMAERR_RESP_WIDTH = 2;

/*
 * nicsim: transmit path counters (reserved area of the 8254x map, after the
 * DMA error report; the 8254x statistics end at 0x04124). Read clears,
 * 32 bits, saturating, like the 8254x 13.7 counters.
 */
localparam [16:0] REG_TXDROPC      = 17'h0F00C;  // frames longer than the TX FIFO, discarded
localparam [16:0] REG_TXCSKIPC     = 17'h0F010;  // IC frames whose CSS/CSO lie outside the frame
localparam [16:0] REG_TXUNDERC     = 17'h0F014;  // MAC underruns (frame ended with tx_er)

/*
 * Reset values
 */
localparam [31:0] RST_CTRL     = 32'h00000001;  // FD
localparam [31:0] RST_STATUS   = 32'h00000081;  // FD, 1000 Mb/s; LU from link_up
localparam [31:0] RST_ICR      = 32'h00000000;
localparam [31:0] RST_ITR      = 32'h00000000;
localparam [31:0] RST_IMS      = 32'h00000000;
localparam [31:0] RST_RCTL     = 32'h00000000;
localparam [31:0] RST_TCTL     = 32'h00000000;
localparam [31:0] RST_TIPG     = 32'h0000000C;  // IPGT = 12 byte times
localparam [31:0] RST_RDBAL    = 32'h00000000;
localparam [31:0] RST_RDBAH    = 32'h00000000;
localparam [31:0] RST_RDLEN    = 32'h00000000;
localparam [31:0] RST_RDH      = 32'h00000000;
localparam [31:0] RST_RDT      = 32'h00000000;
localparam [31:0] RST_RDTR     = 32'h00000000;
localparam [31:0] RST_RADV     = 32'h00000000;
localparam [31:0] RST_RXCSUM   = 32'h00000000;
localparam [31:0] RST_TDBAL    = 32'h00000000;
localparam [31:0] RST_TDBAH    = 32'h00000000;
localparam [31:0] RST_TDLEN    = 32'h00000000;
localparam [31:0] RST_TDH      = 32'h00000000;
localparam [31:0] RST_TDT      = 32'h00000000;
localparam [31:0] RST_TIDV     = 32'h00000000;
localparam [31:0] RST_TADV     = 32'h00000000;
localparam [31:0] RST_RAL0     = 32'h00000000;
localparam [31:0] RST_RAH0     = 32'h00000000;
localparam [31:0] RST_DMAERR   = 32'h00000000;

/*
 * Descriptor fields (legacy), 8254x 3.2.3 (RX) and 3.3.3 (TX)
 */
localparam integer TXD_CMD_EOP_BIT  = 0;
localparam integer TXD_CMD_IFCS_BIT = 1;
localparam integer TXD_CMD_IC_BIT   = 2;
localparam integer TXD_CMD_RS_BIT   = 3;
localparam integer TXD_CMD_IDE_BIT  = 7;   // delay TXDW by TIDV/TADV
localparam integer TXD_STA_DD_BIT   = 0;
localparam integer RXD_STA_DD_BIT   = 0;
localparam integer RXD_STA_EOP_BIT  = 1;
localparam integer RXD_STA_IXSM_BIT = 2;
localparam integer RXD_ERR_CE_BIT   = 0;
localparam integer RXD_ERR_RXE_BIT  = 7;

/* verilator lint_on UNUSEDPARAM */
