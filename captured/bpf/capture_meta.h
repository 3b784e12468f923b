/* What captured's XDP program puts in front of each frame it hands to an
 * AF_XDP socket (bpf_xdp_adjust_meta), shared by the BPF program
 * (capture.bpf.c) and the reader (src_afxdp.c).  Both sides compile it:
 * kernel-style types only. */
#ifndef CAPTURED_CAPTURE_META_H
#define CAPTURED_CAPTURE_META_H

#include <linux/types.h>

/* flags: where ts_ns comes from.  Zero means no metadata: the reader clears
 * the area after each packet, so a frame whose program could not reserve it
 * does not show the stamp of the frame's previous packet. */
#define CAPTURE_META_TS_HW 1u   /* the NIC's stamp (PHC time), ns */
#define CAPTURE_META_TS_SW 2u   /* bpf_ktime_get_tai_ns(): CLOCK_TAI, ns */

struct capture_meta {
	__u64 ts_ns;
	__u32 flags;
	__u32 pad;
};

/* Entries of the XSKMAP: RX queues 0..255. */
#define CAPTURE_MAX_QUEUES 256

#endif
