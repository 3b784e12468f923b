/* PTP management messages (IEEE 1588-2008 clause 15, with linuxptp's _NP
 * TLVs): encoding GETs and SET SUBSCRIBE_EVENTS_NP, decoding answers.
 *
 * Layout of a management message (all integers big-endian):
 *
 *   0  transportSpecific:4 messageType:4 (0xD)
 *   1  reserved:4 versionPTP:4 (2)
 *   2  messageLength:16
 *   4  domainNumber, 5 reserved, 6 flagField[2], 8 correctionField:64,
 *   16 reserved:32, 20 sourcePortIdentity (clockIdentity[8], portNumber:16),
 *   30 sequenceId:16, 32 controlField (4), 33 logMessageInterval (0x7f)
 *   34 targetPortIdentity[10], 44 startingBoundaryHops, 45 boundaryHops,
 *   46 reserved:4 actionField:4, 47 reserved
 *   48 TLV: tlvType:16, lengthField:16 (bytes after it), then
 *      MANAGEMENT: managementId:16, data
 *      MANAGEMENT_ERROR_STATUS: managementErrorId:16, managementId:16,
 *                               reserved[4], displayData (PTPText, optional)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pmc_msg.h"

#define HDR_LEN 34          /* common PTP header */
#define MGMT_LEN 48         /* + management header */
#define TLV_HDR_LEN 4       /* tlvType, lengthField */
#define MSGTYPE_MANAGEMENT 0xD
#define PTP_VERSION 2
#define CTL_MANAGEMENT 4

/* Data sizes of the TLVs we know (after managementId). */
#define LEN_CURRENT_DS  18
#define LEN_PARENT_DS   32
#define LEN_TPROP_DS     4
#define LEN_PORT_DS     26
#define LEN_TIME_STATUS 50
#define LEN_SUBSCRIBE   66  /* duration:16 + bitmask[64] */
#define LEN_PPROPS_MIN  13  /* portIdentity, state, timestamping, PTPText length */
#define LEN_ERROR_MIN    8  /* errorId, managementId, reserved[4] */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t get64s(const uint8_t *p)
{
	return (int64_t)((uint64_t)get32(p) << 32 | get32(p + 4));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void get_port_id(const uint8_t *p, struct pmc_port_id *id)
{
	memcpy(id->clock.id, p, 8);
	id->port = get16(p + 8);
}

/* The size of the data pmc sends in a GET of id (it zero-fills the data
 * set), or -1 for an id we do not encode. */
static int get_data_len(uint16_t id)
{
	switch (id) {
	case PMC_ID_CURRENT_DATA_SET: return LEN_CURRENT_DS;
	case PMC_ID_PARENT_DATA_SET: return LEN_PARENT_DS;
	case PMC_ID_TIME_PROPERTIES_DATA_SET: return LEN_TPROP_DS;
	case PMC_ID_PORT_DATA_SET: return LEN_PORT_DS;
	case PMC_ID_TIME_STATUS_NP: return LEN_TIME_STATUS;
	case PMC_ID_PORT_PROPERTIES_NP: return 0;
	case PMC_ID_SUBSCRIBE_EVENTS_NP: return 0;
	default: return -1;
	}
}

/* Header and TLV head of a management message with data_len bytes of
 * data (zeroed); the message length or -ENOSPC. */
static int encode(uint8_t *buf, size_t len, uint8_t action, uint16_t id, size_t data_len,
		  uint8_t domain, uint16_t seq, const struct pmc_port_id *src)
{
	size_t total = MGMT_LEN + TLV_HDR_LEN + 2 + data_len;

	if (!buf || len < total)
		return -ENOSPC;
	memset(buf, 0, total);
	buf[0] = MSGTYPE_MANAGEMENT;
	buf[1] = PTP_VERSION;
	put16(buf + 2, (uint16_t)total);
	buf[4] = domain;
	if (src) {
		memcpy(buf + 20, src->clock.id, 8);
		put16(buf + 28, src->port);
	}
	put16(buf + 30, seq);
	buf[32] = CTL_MANAGEMENT;
	buf[33] = 0x7f;
	memset(buf + 34, 0xff, 10);   /* all clocks, all ports */
	buf[44] = 0;                  /* startingBoundaryHops */
	buf[45] = 0;                  /* boundaryHops */
	buf[46] = action;
	put16(buf + 48, PMC_TLV_MANAGEMENT);
	put16(buf + 50, (uint16_t)(2 + data_len));
	put16(buf + 52, id);
	return (int)total;
}

int pmc_msg_get(uint8_t *buf, size_t len, uint16_t id, uint8_t domain, uint16_t seq,
		const struct pmc_port_id *src)
{
	int dlen = get_data_len(id);

	if (dlen < 0)
		return -EINVAL;
	return encode(buf, len, PMC_ACTION_GET, id, (size_t)dlen, domain, seq, src);
}

int pmc_msg_subscribe(uint8_t *buf, size_t len, uint8_t domain, uint16_t seq,
		      const struct pmc_port_id *src, uint16_t duration, uint32_t bits)
{
	int n = encode(buf, len, PMC_ACTION_SET, PMC_ID_SUBSCRIBE_EVENTS_NP, LEN_SUBSCRIBE,
		       domain, seq, src);
	int i;

	if (n < 0)
		return n;
	put16(buf + 54, duration);
	for (i = 0; i < 32; i++)
		if (bits & 1u << i)
			buf[56 + i / 8] |= (uint8_t)(1u << (i % 8));
	return n;
}

/* ---- decoding ---- */

static bool known_id(uint16_t id)
{
	switch (id) {
	case PMC_ID_CURRENT_DATA_SET:
	case PMC_ID_PARENT_DATA_SET:
	case PMC_ID_TIME_PROPERTIES_DATA_SET:
	case PMC_ID_PORT_DATA_SET:
	case PMC_ID_TIME_STATUS_NP:
	case PMC_ID_SUBSCRIBE_EVENTS_NP:
	case PMC_ID_PORT_PROPERTIES_NP:
		return true;
	default:
		return false;
	}
}

static int64_t scaled_ns(const uint8_t *p)
{
	/* TimeInterval: ns * 2^16; C division truncates toward zero */
	return get64s(p) / 65536;
}

static int bad(struct pmc_msg *m, const char *why)
{
	m->why = why;
	return -EBADMSG;
}

/* The data of a MANAGEMENT TLV with a known id, d[0..n). */
static int parse_data(const uint8_t *d, size_t n, struct pmc_msg *m)
{
	size_t tlen, i;
	char *out;

	switch (m->id) {
	case PMC_ID_CURRENT_DATA_SET:
		if (n < LEN_CURRENT_DS)
			return bad(m, "CURRENT_DATA_SET shorter than 18 bytes");
		m->u.current.steps_removed = get16(d);
		m->u.current.offset_from_master_ns = scaled_ns(d + 2);
		m->u.current.mean_path_delay_ns = scaled_ns(d + 10);
		break;
	case PMC_ID_PARENT_DATA_SET:
		if (n < LEN_PARENT_DS)
			return bad(m, "PARENT_DATA_SET shorter than 32 bytes");
		get_port_id(d, &m->u.parent.parent_port);
		m->u.parent.parent_stats = d[10];
		/* d[11] reserved */
		m->u.parent.observed_parent_offset_scaled_log_variance = get16(d + 12);
		m->u.parent.observed_parent_clock_phase_change_rate = (int32_t)get32(d + 14);
		m->u.parent.gm_priority1 = d[18];
		m->u.parent.gm_quality.clock_class = d[19];
		m->u.parent.gm_quality.clock_accuracy = d[20];
		m->u.parent.gm_quality.offset_scaled_log_variance = get16(d + 21);
		m->u.parent.gm_priority2 = d[23];
		memcpy(m->u.parent.gm_identity.id, d + 24, 8);
		break;
	case PMC_ID_TIME_PROPERTIES_DATA_SET:
		if (n < LEN_TPROP_DS)
			return bad(m, "TIME_PROPERTIES_DATA_SET shorter than 4 bytes");
		m->u.tprop.current_utc_offset = (int16_t)get16(d);
		m->u.tprop.flags = d[2];
		m->u.tprop.time_source = d[3];
		break;
	case PMC_ID_PORT_DATA_SET:
		if (n < LEN_PORT_DS)
			return bad(m, "PORT_DATA_SET shorter than 26 bytes");
		get_port_id(d, &m->u.port.port);
		m->u.port.port_state = d[10];
		m->u.port.log_min_delay_req_interval = (int8_t)d[11];
		m->u.port.peer_mean_path_delay_ns = scaled_ns(d + 12);
		m->u.port.log_announce_interval = (int8_t)d[20];
		m->u.port.announce_receipt_timeout = d[21];
		m->u.port.log_sync_interval = (int8_t)d[22];
		m->u.port.delay_mechanism = d[23];
		m->u.port.log_min_pdelay_req_interval = (int8_t)d[24];
		m->u.port.version_number = d[25];
		break;
	case PMC_ID_TIME_STATUS_NP:
		/* master_offset, ingress_time (ns), cumulativeScaledRateOffset,
		 * scaledLastGmPhaseChange, gmTimeBaseIndicator,
		 * lastGmPhaseChange (ScaledNs, 12 bytes), gmPresent:32,
		 * gmIdentity */
		if (n < LEN_TIME_STATUS)
			return bad(m, "TIME_STATUS_NP shorter than 50 bytes");
		m->u.tstatus.master_offset_ns = get64s(d);
		m->u.tstatus.ingress_time_ns = get64s(d + 8);
		m->u.tstatus.cumulative_scaled_rate_offset = (int32_t)get32(d + 16);
		m->u.tstatus.scaled_last_gm_phase_change = (int32_t)get32(d + 20);
		m->u.tstatus.gm_time_base_indicator = get16(d + 24);
		m->u.tstatus.gm_present = get32(d + 38) != 0;
		memcpy(m->u.tstatus.gm_identity.id, d + 42, 8);
		break;
	case PMC_ID_PORT_PROPERTIES_NP:
		if (n < LEN_PPROPS_MIN)
			return bad(m, "PORT_PROPERTIES_NP shorter than 13 bytes");
		get_port_id(d, &m->u.pprops.port);
		m->u.pprops.port_state = d[10];
		m->u.pprops.timestamping = d[11];
		tlen = d[12];
		if (tlen > n - LEN_PPROPS_MIN)
			return bad(m, "PORT_PROPERTIES_NP interface text longer than the TLV");
		out = m->u.pprops.interface;
		for (i = 0; i < tlen && i < sizeof(m->u.pprops.interface) - 1; i++)
			out[i] = d[13 + i] < 0x20 || d[13 + i] == 0x7f ? '?' : (char)d[13 + i];
		out[i] = '\0';
		break;
	case PMC_ID_SUBSCRIBE_EVENTS_NP:
		if (n < LEN_SUBSCRIBE)
			return bad(m, "SUBSCRIBE_EVENTS_NP shorter than 66 bytes");
		m->u.sub.duration = get16(d);
		m->u.sub.bits = (uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16 |
				(uint32_t)d[5] << 24;
		break;
	}
	return 0;
}

int pmc_msg_parse(const uint8_t *buf, size_t len, struct pmc_msg *m)
{
	size_t ml, off, tlen, rest;
	uint16_t type;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!buf || len < HDR_LEN)
		return bad(m, "shorter than a PTP header (34 bytes)");
	if ((buf[1] & 0x0f) != PTP_VERSION) {
		m->why = "versionPTP is not 2";
		return -EPROTONOSUPPORT;
	}
	if ((buf[0] & 0x0f) != MSGTYPE_MANAGEMENT) {
		m->why = "not a management message";
		return -EPROTONOSUPPORT;
	}
	ml = get16(buf + 2);
	if (ml > len)
		return bad(m, "messageLength exceeds the datagram (truncated)");
	if (ml < MGMT_LEN)
		return bad(m, "messageLength shorter than a management header (48 bytes)");
	m->domain = buf[4];
	get_port_id(buf + 20, &m->source);
	m->sequence = get16(buf + 30);
	m->action = buf[46] & 0x0f;
	if (m->action > PMC_ACTION_ACKNOWLEDGE) {
		m->why = "unknown actionField";
		return -EPROTONOSUPPORT;
	}

	/* the first TLV */
	off = MGMT_LEN;
	if (ml - off < TLV_HDR_LEN)
		return bad(m, "no room for a TLV after the management header");
	type = get16(buf + off);
	tlen = get16(buf + off + 2);
	off += TLV_HDR_LEN;
	if (tlen > ml - off)
		return bad(m, "TLV longer than the message");
	switch (type) {
	case PMC_TLV_MANAGEMENT:
		if (tlen < 2)
			return bad(m, "management TLV without a managementId");
		m->id = get16(buf + off);
		if (!known_id(m->id)) {
			m->why = "managementId not handled";
			return -EPROTONOSUPPORT;
		}
		if (tlen == 2)
			m->empty = true;
		else if ((rc = parse_data(buf + off + 2, tlen - 2, m)) < 0)
			return rc;
		break;
	case PMC_TLV_MANAGEMENT_ERROR_STATUS:
		if (tlen < LEN_ERROR_MIN)
			return bad(m, "error status TLV shorter than 8 bytes");
		m->error = get16(buf + off);
		m->id = get16(buf + off + 2);
		m->empty = true;
		if (!m->error)
			return bad(m, "error status with managementErrorId 0");
		/* optional displayData, a PTPText */
		if (tlen > LEN_ERROR_MIN && buf[off + LEN_ERROR_MIN] > tlen - LEN_ERROR_MIN - 1)
			return bad(m, "error status text longer than the TLV");
		break;
	default:
		m->why = "first TLV is neither MANAGEMENT nor MANAGEMENT_ERROR_STATUS";
		return -EPROTONOSUPPORT;
	}
	off += tlen;

	/* further TLVs: whole, else ignored */
	while (off < ml) {
		rest = ml - off;
		if (rest < TLV_HDR_LEN)
			return bad(m, "bytes after the last TLV");
		if (get16(buf + off + 2) > rest - TLV_HDR_LEN)
			return bad(m, "a second TLV longer than the message");
		off += TLV_HDR_LEN + get16(buf + off + 2);
	}
	return 0;
}

/* ---- names ---- */

const char *pmc_port_state_name(uint8_t state)
{
	static const char *const names[] = {
		[PMC_PS_INITIALIZING] = "INITIALIZING", [PMC_PS_FAULTY] = "FAULTY",
		[PMC_PS_DISABLED] = "DISABLED", [PMC_PS_LISTENING] = "LISTENING",
		[PMC_PS_PRE_MASTER] = "PRE_MASTER", [PMC_PS_MASTER] = "MASTER",
		[PMC_PS_PASSIVE] = "PASSIVE", [PMC_PS_UNCALIBRATED] = "UNCALIBRATED",
		[PMC_PS_SLAVE] = "SLAVE",
	};

	return state < sizeof(names) / sizeof(names[0]) && names[state] ? names[state] : "?";
}

const char *pmc_id_name(uint16_t id)
{
	switch (id) {
	case PMC_ID_CURRENT_DATA_SET: return "CURRENT_DATA_SET";
	case PMC_ID_PARENT_DATA_SET: return "PARENT_DATA_SET";
	case PMC_ID_TIME_PROPERTIES_DATA_SET: return "TIME_PROPERTIES_DATA_SET";
	case PMC_ID_PORT_DATA_SET: return "PORT_DATA_SET";
	case PMC_ID_TIME_STATUS_NP: return "TIME_STATUS_NP";
	case PMC_ID_SUBSCRIBE_EVENTS_NP: return "SUBSCRIBE_EVENTS_NP";
	case PMC_ID_PORT_PROPERTIES_NP: return "PORT_PROPERTIES_NP";
	default: return "?";
	}
}

const char *pmc_error_name(uint16_t error)
{
	switch (error) {
	case PMC_ERR_RESPONSE_TOO_BIG: return "RESPONSE_TOO_BIG";
	case PMC_ERR_NO_SUCH_ID: return "NO_SUCH_ID";
	case PMC_ERR_WRONG_LENGTH: return "WRONG_LENGTH";
	case PMC_ERR_WRONG_VALUE: return "WRONG_VALUE";
	case PMC_ERR_NOT_SETABLE: return "NOT_SETABLE";
	case PMC_ERR_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case PMC_ERR_GENERAL_ERROR: return "GENERAL_ERROR";
	default: return "?";
	}
}

const char *pmc_timestamping_name(uint8_t ts)
{
	switch (ts) {
	case PMC_TS_SOFTWARE: return "software";
	case PMC_TS_HARDWARE: return "hardware";
	case PMC_TS_LEGACY_HW: return "legacy_hw";
	case PMC_TS_ONESTEP: return "onestep";
	case PMC_TS_P2P1STEP: return "p2p1step";
	default: return "?";
	}
}

const char *pmc_time_source_name(uint8_t src)
{
	switch (src) {
	case 0x10: return "ATOMIC_CLOCK";
	case 0x20: return "GPS";
	case 0x30: return "TERRESTRIAL_RADIO";
	case 0x40: return "PTP";
	case 0x50: return "NTP";
	case 0x60: return "HAND_SET";
	case 0x90: return "OTHER";
	case 0xA0: return "INTERNAL_OSCILLATOR";
	default: return "?";
	}
}

char *pmc_clock_id_str(const struct pmc_clock_id *id, char *buf, size_t len)
{
	const uint8_t *c = id->id;

	snprintf(buf, len, "%02x%02x%02x.%02x%02x.%02x%02x%02x", c[0], c[1], c[2], c[3], c[4],
		 c[5], c[6], c[7]);
	return buf;
}

char *pmc_port_id_str(const struct pmc_port_id *id, char *buf, size_t len)
{
	char c[20];

	snprintf(buf, len, "%s-%u", pmc_clock_id_str(&id->clock, c, sizeof(c)),
		 (unsigned)id->port);
	return buf;
}
