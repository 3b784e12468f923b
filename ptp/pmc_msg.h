/* PTP management messages: encoding and decoding, no I/O.
 *
 * The messages ptp4l's management socket speaks (what `pmc -u` sends): IEEE
 * 1588-2008 clause 15 management messages over ptp4l's UNIX datagram socket,
 * with linuxptp's implementation-specific (_NP) TLVs.  Every integer on the
 * wire is big-endian.  Decoding never trusts a length it has not checked:
 * a short, truncated or malformed message is -EBADMSG with the reason in
 * pmc_msg.why, never a read past the buffer.
 */
#ifndef CAPTURED_PMC_MSG_H
#define CAPTURED_PMC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* managementId values */
#define PMC_ID_CURRENT_DATA_SET         0x2001
#define PMC_ID_PARENT_DATA_SET          0x2002
#define PMC_ID_TIME_PROPERTIES_DATA_SET 0x2003
#define PMC_ID_PORT_DATA_SET            0x2004
#define PMC_ID_TIME_STATUS_NP           0xC000
#define PMC_ID_SUBSCRIBE_EVENTS_NP      0xC003
#define PMC_ID_PORT_PROPERTIES_NP       0xC004

/* actionField values */
#define PMC_ACTION_GET          0
#define PMC_ACTION_SET          1
#define PMC_ACTION_RESPONSE     2
#define PMC_ACTION_COMMAND      3
#define PMC_ACTION_ACKNOWLEDGE  4

/* portState values (IEEE 1588-2008 table 8) */
#define PMC_PS_INITIALIZING  1
#define PMC_PS_FAULTY        2
#define PMC_PS_DISABLED      3
#define PMC_PS_LISTENING     4
#define PMC_PS_PRE_MASTER    5
#define PMC_PS_MASTER        6
#define PMC_PS_PASSIVE       7
#define PMC_PS_UNCALIBRATED  8
#define PMC_PS_SLAVE         9

/* tlvType values of the TLV that follows the management header */
#define PMC_TLV_MANAGEMENT              0x0001
#define PMC_TLV_MANAGEMENT_ERROR_STATUS 0x0002

/* managementErrorId values (IEEE 1588-2008 table 72), in pmc_msg.error */
#define PMC_ERR_RESPONSE_TOO_BIG 0x0001
#define PMC_ERR_NO_SUCH_ID       0x0002
#define PMC_ERR_WRONG_LENGTH     0x0003
#define PMC_ERR_WRONG_VALUE      0x0004
#define PMC_ERR_NOT_SETABLE      0x0005
#define PMC_ERR_NOT_SUPPORTED    0x0006
#define PMC_ERR_GENERAL_ERROR    0xFFFE

/* PORT_PROPERTIES_NP timestamping (linuxptp enum timestamp_type) */
#define PMC_TS_SOFTWARE   0
#define PMC_TS_HARDWARE   1
#define PMC_TS_LEGACY_HW  2
#define PMC_TS_ONESTEP    3
#define PMC_TS_P2P1STEP   4

/* SUBSCRIBE_EVENTS_NP bits (linuxptp notification.h) */
#define PMC_NOTIFY_PORT_STATE 0
#define PMC_NOTIFY_TIME_SYNC  1

/* TIME_PROPERTIES_DATA_SET flags (IEEE 1588-2008 flagField octet 1) */
#define PMC_TP_LEAP61           0x01
#define PMC_TP_LEAP59           0x02
#define PMC_TP_UTC_OFF_VALID    0x04
#define PMC_TP_PTP_TIMESCALE    0x08
#define PMC_TP_TIME_TRACEABLE   0x10
#define PMC_TP_FREQ_TRACEABLE   0x20

#define PMC_MSG_MAX 1500          /* largest message we send or accept */

struct pmc_clock_id {
	uint8_t id[8];
};

struct pmc_port_id {
	struct pmc_clock_id clock;
	uint16_t port;
};

struct pmc_clock_quality {
	uint8_t clock_class;
	uint8_t clock_accuracy;
	uint16_t offset_scaled_log_variance;
};

struct pmc_current_ds {
	uint16_t steps_removed;
	int64_t offset_from_master_ns;   /* TimeInterval / 2^16, rounded toward zero */
	int64_t mean_path_delay_ns;
};

struct pmc_parent_ds {
	struct pmc_port_id parent_port;
	uint8_t parent_stats;
	uint16_t observed_parent_offset_scaled_log_variance;
	int32_t observed_parent_clock_phase_change_rate;
	uint8_t gm_priority1;
	struct pmc_clock_quality gm_quality;
	uint8_t gm_priority2;
	struct pmc_clock_id gm_identity;
};

struct pmc_time_properties {
	int16_t current_utc_offset;
	uint8_t flags;                   /* PMC_TP_* */
	uint8_t time_source;
};

struct pmc_port_ds {
	struct pmc_port_id port;
	uint8_t port_state;              /* PMC_PS_* */
	int8_t log_min_delay_req_interval;
	int64_t peer_mean_path_delay_ns;
	int8_t log_announce_interval;
	uint8_t announce_receipt_timeout;
	int8_t log_sync_interval;
	uint8_t delay_mechanism;
	int8_t log_min_pdelay_req_interval;
	uint8_t version_number;
};

struct pmc_time_status {             /* TIME_STATUS_NP */
	int64_t master_offset_ns;
	int64_t ingress_time_ns;
	int32_t cumulative_scaled_rate_offset;
	int32_t scaled_last_gm_phase_change;
	uint16_t gm_time_base_indicator;
	bool gm_present;
	struct pmc_clock_id gm_identity;
};

struct pmc_port_props {              /* PORT_PROPERTIES_NP */
	struct pmc_port_id port;
	uint8_t port_state;
	uint8_t timestamping;            /* linuxptp enum timestamp_type: 0 software, 1 hardware, ... */
	char interface[64];              /* NUL-terminated, cut to fit */
};
/* (interface: control characters and NULs of the PTPText become '?'.) */

struct pmc_subscription {            /* SUBSCRIBE_EVENTS_NP, as ptp4l echoes a SET */
	uint16_t duration;               /* seconds */
	uint32_t bits;                   /* 1u << PMC_NOTIFY_*: the first 32 bits of the bitmask */
};

/* A decoded message. */
struct pmc_msg {
	uint16_t sequence;
	uint8_t domain;
	uint8_t action;                  /* PMC_ACTION_* */
	struct pmc_port_id source;       /* sourcePortIdentity (who sent it) */
	uint16_t id;                     /* managementId of the TLV */
	uint16_t error;                  /* managementErrorId when the TLV is an error status, else 0 */
	bool empty;                      /* a TLV without data (a GET, an ack) */
	union {
		struct pmc_current_ds current;
		struct pmc_parent_ds parent;
		struct pmc_time_properties tprop;
		struct pmc_port_ds port;
		struct pmc_time_status tstatus;
		struct pmc_port_props pprops;
		struct pmc_subscription sub;
	} u;
	const char *why;                 /* after -EBADMSG/-EPROTONOSUPPORT: what was wrong (static) */
};

/* A GET of managementId id, as pmc sends it (target: all clocks and ports,
 * boundaryHops 0).  Returns the message length, or -ENOSPC when len is too
 * small, -EINVAL for an id we cannot encode. */
int pmc_msg_get(uint8_t *buf, size_t len, uint16_t id, uint8_t domain, uint16_t seq,
		const struct pmc_port_id *src);
/* A SET SUBSCRIBE_EVENTS_NP for duration seconds with the given
 * PMC_NOTIFY_* bits (bitmask of 1u << bit).  Length or -ENOSPC. */
int pmc_msg_subscribe(uint8_t *buf, size_t len, uint8_t domain, uint16_t seq,
		      const struct pmc_port_id *src, uint16_t duration, uint32_t bits);
/* Parses one message.  0; -EBADMSG with m->why when it is short, truncated
 * or inconsistent; -EPROTONOSUPPORT with m->why for a valid message we do
 * not handle (not a management message, a TLV id we do not know).
 *
 * Any actionField is accepted (a GET parses too, with empty set); ptp4l's
 * answers are RESPONSE (to GET and SET) and ACKNOWLEDGE (to COMMAND), and
 * so are its notifications to a subscriber: a RESPONSE with a
 * PORT_DATA_SET (port state) or TIME_STATUS_NP (time sync) TLV, numbered
 * by a sequence of the subscription's own.  A MANAGEMENT_ERROR_STATUS TLV
 * parses to 0 with m->error set and m->id the managementId it refers to.
 * Bytes after messageLength are ignored; TLVs after the first are checked
 * for length and otherwise ignored.  m->sequence, domain, action and source
 * are set whenever the header was whole, even on -EPROTONOSUPPORT. */
int pmc_msg_parse(const uint8_t *buf, size_t len, struct pmc_msg *m);

/* "SLAVE", "MASTER", ...; "UNKNOWN(n)" is never returned: "?" for others. */
const char *pmc_port_state_name(uint8_t state);
/* "TIME_STATUS_NP", ...; "?" for others. */
const char *pmc_id_name(uint16_t id);
/* "0011fe.fffe.123456" as ptp4l prints it; buf of at least 19 bytes. */
char *pmc_clock_id_str(const struct pmc_clock_id *id, char *buf, size_t len);
/* "0011fe.fffe.123456-1" as ptp4l prints it; buf of at least 25 bytes. */
char *pmc_port_id_str(const struct pmc_port_id *id, char *buf, size_t len);
/* "NOT_SUPPORTED", ...; "?" for others. */
const char *pmc_error_name(uint16_t error);
/* "software", "hardware", "legacy_hw", "onestep", "p2p1step"; "?" for others. */
const char *pmc_timestamping_name(uint8_t ts);
/* "GPS", "INTERNAL_OSCILLATOR", ... (IEEE 1588-2008 table 7); "?" for others. */
const char *pmc_time_source_name(uint8_t src);

#endif
