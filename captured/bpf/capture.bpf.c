// SPDX-License-Identifier: GPL-2.0
/* captured's XDP program: stamp each packet, then hand it to the AF_XDP
 * socket of its RX queue.
 *
 * Two variants of one body: captured_hw asks the driver for the NIC's RX
 * timestamp (the XDP RX metadata kfunc; only loadable device-bound, with
 * BPF_F_XDP_DEV_BOUND_ONLY), captured_sw stamps in software.  Both live in
 * "xdp.frags" so they attach to devices whose MTU needs multi-buffer.
 * Filtering is done in userspace: this program stays small.
 *
 * The daemon attaches it through a BPF link, so it goes away with the
 * daemon; owner_pid (set before loading) only names that daemon to a second
 * one that finds the program attached (xdp_prog.c). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "capture_meta.h"

/* libbpf 1.1's helper list predates this helper (kernel 6.1) */
static __u64 (*ktime_get_tai_ns)(void) = (void *)BPF_FUNC_ktime_get_tai_ns;

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *ts) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, CAPTURE_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

/* the only variable of .rodata: xdp_prog.c reads it as the map's value */
const volatile __u32 owner_pid = 0;

static __always_inline int capture(struct xdp_md *ctx, int hw)
{
	__u32 q = ctx->rx_queue_index;
	struct capture_meta *m;
	__u64 ts = 0;
	__u32 flags = CAPTURE_META_TS_HW;
	void *data;

	/* No socket on this queue (none yet, or its worker is gone): pass the
	 * packet to the host as if we were not attached, rather than silently
	 * eating it, and without the cost of a stamp. */
	if (!bpf_map_lookup_elem(&xsks, &q))
		return XDP_PASS;
	/* veth answers 0 with a zero stamp; other drivers an error */
	if (!hw || bpf_xdp_metadata_rx_timestamp(ctx, &ts) || !ts) {
		ts = ktime_get_tai_ns();
		flags = CAPTURE_META_TS_SW;
	}
	/* without room for metadata the packet still goes up; the reader
	 * sees flags 0 and stamps it itself */
	if (!bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m))) {
		data = (void *)(long)ctx->data;
		m = (void *)(long)ctx->data_meta;
		if ((void *)(m + 1) <= data) {
			m->ts_ns = ts;
			m->flags = flags;
			m->pad = 0;
		}
	}
	/* XDP_PASS if the socket went away since the lookup */
	return bpf_redirect_map(&xsks, q, XDP_PASS);
}

SEC("xdp.frags")
int captured_hw(struct xdp_md *ctx)
{
	return capture(ctx, 1);
}

SEC("xdp.frags")
int captured_sw(struct xdp_md *ctx)
{
	return capture(ctx, 0);
}

char LICENSE[] SEC("license") = "GPL";
