/* Writer settings from the configuration; see wconf.h. */
#include "comp.h"
#include "wconf.h"

/* ISBs while a file is open: every ten statistics intervals, at least 1 s */
#define WCONF_ISB_INTERVALS 10
#define WCONF_ISB_MIN_NS 1000000000LL

void wconf_fill(struct writer_opts *wo, const struct config *c)
{
	int64_t l = config_int(c, CONFIG_LEVEL), isb;

	wo->plain = config_int(c, CONFIG_COMPRESSION) == CONFIG_COMPRESSION_NONE;
	wo->level = l == CONFIG_LEVEL_ADAPTIVE ? WRITER_LEVEL_ADAPTIVE :
		    l == 0 ? COMP_LEVEL_STORED : (int)l;
	wo->adaptive_ceiling = 3;
	wo->frame_size = (size_t)config_int(c, CONFIG_FRAME_SIZE);
	wo->rotate_size = (uint64_t)config_int(c, CONFIG_ROTATE_SIZE);
	wo->rotate_ns = config_int(c, CONFIG_ROTATE_TIME);
	wo->retain_size = (uint64_t)config_int(c, CONFIG_RETAIN_SIZE);
	wo->retain_age_ns = config_int(c, CONFIG_RETAIN_AGE);
	/* the feeder hands a batch over after half of flush_time and the
	 * writer ends a frame after the other half */
	wo->flush_ns = config_int(c, CONFIG_FLUSH_TIME) / 2;
	isb = config_int(c, CONFIG_STATS_INTERVAL) * WCONF_ISB_INTERVALS;
	wo->isb_ns = isb < WCONF_ISB_MIN_NS ? WCONF_ISB_MIN_NS : isb;
	wo->flow_index = config_int(c, CONFIG_FLOW_INDEX);
}
