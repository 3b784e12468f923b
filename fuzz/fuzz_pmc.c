/* linuxptp management messages (ptp/pmc_msg.h): pmc_msg_parse on the input
 * as a datagram, then every name and text function on what it found.  A
 * GET built from the parsed header must parse back to the same header. */
#include <errno.h>
#include <string.h>

#include "common.h"
#include "pmc_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[PMC_MSG_MAX];
	struct pmc_msg m, m2;
	char text[64];
	int rc, n;

	rc = pmc_msg_parse(data, size, &m);
	FUZZ_ASSERT(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
	if (rc) {
		FUZZ_ASSERT(m.why && m.why[0]);
		return 0;
	}
	(void)pmc_id_name(m.id);
	(void)pmc_error_name(m.error);
	(void)pmc_port_state_name(m.u.port.port_state);
	(void)pmc_timestamping_name(m.u.pprops.timestamping);
	(void)pmc_time_source_name(m.u.tprop.time_source);
	pmc_clock_id_str(&m.u.parent.gm_identity, text, sizeof(text));
	FUZZ_ASSERT(strlen(text) == 18);
	pmc_port_id_str(&m.source, text, sizeof(text));
	FUZZ_ASSERT(strlen(text) >= 20 && strlen(text) <= 24);
	if (m.id == PMC_ID_PORT_PROPERTIES_NP && !m.empty && !m.error) {
		size_t l = strnlen(m.u.pprops.interface, sizeof(m.u.pprops.interface));

		FUZZ_ASSERT(l < sizeof(m.u.pprops.interface));
		for (size_t i = 0; i < l; i++)
			FUZZ_ASSERT((unsigned char)m.u.pprops.interface[i] >= 0x20 &&
				    m.u.pprops.interface[i] != 0x7f);
	}
	n = pmc_msg_get(buf, sizeof(buf), m.id, m.domain, m.sequence, &m.source);
	if (n > 0) {
		FUZZ_ASSERT(pmc_msg_parse(buf, (size_t)n, &m2) == 0);
		FUZZ_ASSERT(m2.id == m.id && m2.domain == m.domain && m2.sequence == m.sequence &&
			    m2.action == PMC_ACTION_GET && !m2.error &&
			    !memcmp(&m2.source.clock, &m.source.clock, 8) &&
			    m2.source.port == m.source.port);
	}
	return 0;
}
